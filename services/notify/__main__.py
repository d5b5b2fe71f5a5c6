"""SMS, e-mail and in-site messages: ``python -m services.notify serve|consume|jobs|seed-templates``."""
import sys

from services.chassis.cli import main
from services.notify.definition import DEFINITION

# Guarded: consume's code lane is a spawned process, which imports this module again.
if __name__ == "__main__":
    sys.exit(main(DEFINITION))
