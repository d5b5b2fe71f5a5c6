"""SMS, e-mail and in-site messages: ``python -m services.notify serve|consume|jobs|seed-templates``."""
import sys

from services.chassis.cli import main
from services.notify.definition import DEFINITION

sys.exit(main(DEFINITION))
