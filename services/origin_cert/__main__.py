import sys

from services.chassis.runtime import main
from services.origin_cert.definition import DEFINITION

sys.exit(main(DEFINITION))
