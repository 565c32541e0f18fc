"""One worker per SQLite file: `run` and `run --once` hold an exclusive lock beside the database.

SQLite serialises writers; two services on one file would share mailboxes and
the outbox without PostgreSQL's row locks. The lock is an flock on
`<database>.run.lock`, which the kernel releases when the process ends,
however it ends. The other commands (cases, digest, report, the web) do not
take it and keep working beside the one worker.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from mailflow.errors import MailflowError


class AlreadyRunning(MailflowError):
    """Another worker holds this SQLite database."""


class RunLock:
    def __init__(self, database: str) -> None:
        self.database = database
        self.path = Path(f"{database}.run.lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="ascii")  # noqa: SIM115  held open for the process's life
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise AlreadyRunning(
                f"another `mailflow run` (pid {holder}) is already working on the SQLite database "
                f"{self.database}; "
                "SQLite takes one worker. Stop it first, or move to PostgreSQL "
                '(database_url = "postgresql+psycopg://user@host/mailflow") to run several workers.'
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()
