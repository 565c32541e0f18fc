"""Helper processes that end with the process that started them.

The service's parsing process is started through multiprocessing's forkserver.
When the service dies without a word (SIGKILL, the OOM killer), nothing tells
that process: it waits on its task queue for ever, and the forkserver, which
every child keeps alive through the fd it inherits, stays with it. `follow`
(a pool initializer) starts a thread that ends the process as soon as the
process that started it is gone.
"""

from __future__ import annotations

import os
import threading
import time

CHECK_SECONDS = 1.0


def gone(pid: int) -> bool:
    """Whether process `pid` has ended (a zombie, dead but not yet reaped, has ended too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in (b"Z", b"X")


def follow(parent: int) -> None:
    """Run in a helper process: exit it once `parent` has ended."""

    def watch() -> None:
        while True:
            time.sleep(CHECK_SECONDS)
            if gone(parent):
                os._exit(0)  # no clean-up to wait for: the parent's work is the parent's

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()
