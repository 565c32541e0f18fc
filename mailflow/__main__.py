"""`python -m mailflow` is the `mailflow` command."""

import signal
import sys


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(0)  # asked to stop while still starting: nothing is in hand yet


if __name__ == "__main__":  # not when a worker process (the parsing process) imports this module
    signal.signal(signal.SIGTERM, _terminated)  # from the first instant; `main` decides what it means later
    from mailflow.cli import main

    sys.exit(main())
