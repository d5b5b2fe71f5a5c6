"""Identity: accounts, organisations, agents and their authorisations, login and tokens."""
import sys

from services.chassis.cli import main
from services.identity.definition import DEFINITION

sys.exit(main(DEFINITION))
