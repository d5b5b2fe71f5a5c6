import sys

from services.ccc_exemption.definition import DEFINITION
from services.chassis.cli import main

sys.exit(main(DEFINITION))
