"""`python -m mailflow` is the `mailflow` command."""

import sys

from mailflow.cli import main

if __name__ == "__main__":  # not when a worker process (the parsing process) imports this module
    sys.exit(main())
