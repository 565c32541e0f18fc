"""The sent journal: a line per mail the SMTP server took, written the instant it said so.

Marking a row "sent" in the database takes a transaction, and on SQLite that
transaction may wait for the one in hand; a worker killed in that wait would
leave a delivered mail pending, to go out again. So the first record of an
acceptance is one append (`os.write`, no fsync: a killed process's writes are
in the kernel already) to a file of this worker's own, which it holds an flock
on for as long as it lives. Any sender that can take that lock finds a dead
worker's journal: it marks those mails sent in the database, then deletes the
file. The database mark follows the journal line at once as before; the
journal only closes the window between the two.

The files live beside the SQLite database (`<db>.sent-journal/`), or for
PostgreSQL in a directory of this host named after the database. A worker on
another host cannot read them: across hosts the window is the database mark.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update

from mailflow.adapters.tables import MessageRow, OutboxRow
from mailflow.errors import StoreError
from mailflow.model import Direction

if TYPE_CHECKING:
    from mailflow.adapters.store import Store

log = logging.getLogger(__name__)


def journal_dir(store: Store) -> Path:
    path = store.sqlite_path()
    if path:
        return Path(f"{path}.sent-journal")
    url = store.engine.url.render_as_string(hide_password=True)
    return Path(tempfile.gettempdir()) / f"mailflow-sent-journal-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


class SentJournal:
    def __init__(self, store: Store, worker_id: str) -> None:
        self.store = store
        self.dir = journal_dir(store)
        self.path = self.dir / f"{worker_id}.log"
        self._fd: int | None = None
        self.unmarked: set[int] = set()  # ours, whose database mark failed: marked at the next claim

    def open(self) -> SentJournal:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fd = fd
        return self

    @property
    def writable(self) -> bool:
        return self._fd is not None

    def accepted(self, outbox_id: int) -> None:
        """The server took this mail: one line, before anything else."""
        if self._fd is not None:
            os.write(self._fd, f"{outbox_id}\n".encode("ascii"))

    def recover(self) -> int:
        """Mark sent what dead workers' journals (and our own failed marks) hold; returns how many rows."""
        ids = set(self.unmarked)
        done: list[tuple[Path, int]] = []
        try:
            names = [p for p in self.dir.iterdir() if p.suffix == ".log" and p != self.path]
        except OSError:
            names = []
        for path in names:
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)  # its worker lives
                continue
            with os.fdopen(os.dup(fd), "r", encoding="ascii", errors="ignore") as fh:
                ids.update(int(line) for line in fh.read().split() if line.isdigit())
            done.append((path, fd))
        marked = 0
        if ids:
            try:
                with self.store.transaction(urgent=True) as reg:
                    rows = list(reg.session.execute(
                        update(OutboxRow).where(OutboxRow.id.in_(sorted(ids)), OutboxRow.status == "pending")
                        .values(status="sent", lease_owner=None, lease_until=None, last_error=None)
                        .returning(OutboxRow.message_id)).scalars())
                    if rows:
                        reg.session.execute(update(MessageRow).where(
                            MessageRow.message_id.in_(rows), MessageRow.direction == Direction.OUT.value)
                            .values(outcome="sent"))
                    marked = len(rows)
            except StoreError as exc:
                log.warning("event=journal_not_applied error=%s", str(exc)[:200])
                for _, fd in done:
                    os.close(fd)
                return 0
            self.unmarked.clear()
        for path, fd in done:
            try:
                path.unlink()
            except OSError:
                pass
            os.close(fd)
        if marked:
            log.info("event=journal_recovered mails=%d", marked)
        return marked

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                self.path.unlink()
            except OSError:
                pass
            os.close(fd)
