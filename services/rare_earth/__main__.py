import sys

from services.chassis.cli import main
from services.rare_earth.definition import DEFINITION

sys.exit(main(DEFINITION))
