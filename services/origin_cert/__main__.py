import sys

from services.chassis.cli import main
from services.origin_cert.definition import DEFINITION

sys.exit(main(DEFINITION))
