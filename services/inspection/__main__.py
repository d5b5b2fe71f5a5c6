import sys

from services.chassis.runtime import main
from services.inspection.definition import DEFINITION

sys.exit(main(DEFINITION))
