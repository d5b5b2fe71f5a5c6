import sys

from services.chassis.cli import main
from services.inspection.definition import DEFINITION

sys.exit(main(DEFINITION))
