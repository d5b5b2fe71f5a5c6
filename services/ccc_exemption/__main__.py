import sys

from services.ccc_exemption.definition import DEFINITION
from services.chassis.runtime import main

sys.exit(main(DEFINITION))
