"""``python -m carbonpeak``."""

from carbonpeak.cli import main

main()
