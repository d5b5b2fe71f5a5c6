import sys

from services.chassis.runtime import main
from services.rare_earth.definition import DEFINITION

sys.exit(main(DEFINITION))
