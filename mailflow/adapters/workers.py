"""Which processes are alive: a row per worker with a heartbeat, so a killed worker's outbox leases end in seconds.

Every process that sends the outbox (`run`, `run --once`, `digest --send`)
registers here and beats once a second from a thread of its own, in a short
urgent transaction. A lease on an outbox row counts only while its owner's
heartbeat is fresh (`STALE`); a worker on this host whose process is gone is
recognised at once by its pid, so a restarted `run` takes over at its first
claim. Heartbeats use the real time, never the pass's clock (`--now`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from mailflow.adapters.journal import SentJournal
from mailflow.adapters.tables import WorkerRow
from mailflow.errors import StoreError
from mailflow.follow import gone

if TYPE_CHECKING:
    from mailflow.adapters.store import Store

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
# a worker whose heartbeat is older than this is taken for dead, wherever it runs
STALE = timedelta(seconds=6)


def real_now() -> datetime:
    return datetime.now(timezone.utc)


def host_id() -> str:
    """This machine (and boot): pids are compared only between processes of the same host id."""
    boot = ""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        pass
    return f"{socket.gethostname()}:{boot}"[:255]


def pid_alive(pid: int) -> bool:
    """Whether a process of this host still runs (a zombie, killed but not yet reaped, does not)."""
    return not gone(pid)


class Worker:
    """This process as a worker: registered, beating, and gone from the table when it stops."""

    def __init__(self, store: Store, role: str) -> None:
        self.store = store
        self.role = role
        self.id = f"mailflow-{uuid.uuid4().hex[:12]}"
        self.host = host_id()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.journal = SentJournal(store, self.id)

    def start(self) -> Worker:
        now = real_now()
        with self.store.transaction(urgent=True) as reg:
            reg.session.add(WorkerRow(id=self.id, host=self.host, pid=os.getpid(), role=self.role,
                                      started_at=now, heartbeat_at=now))
        try:
            self.journal.open()
        except OSError as exc:  # no journal (a read-only directory): the database mark alone
            log.warning("event=journal_unavailable error=%s", type(exc).__name__)
        self.reap()
        self.journal.recover()
        self._thread = threading.Thread(target=self._beat, name="worker-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with self.store.transaction(urgent=True) as reg:
                    reg.session.execute(update(WorkerRow).where(WorkerRow.id == self.id)
                                        .values(heartbeat_at=real_now()))
            except StoreError as exc:  # the database is away for a moment: leases are renewed next beat
                log.warning("event=heartbeat_failed error=%s", str(exc)[:200])

    def reap(self) -> int:
        """Forget workers of this host whose process is gone, and workers that stopped beating long ago."""
        try:
            with self.store.transaction(urgent=True) as reg:
                rows = list(reg.session.execute(select(WorkerRow.id, WorkerRow.host, WorkerRow.pid,
                                                       WorkerRow.heartbeat_at)))
                dead = [wid for wid, host, pid, beat in rows
                        if wid != self.id and ((host == self.host and not pid_alive(pid))
                                               or beat < real_now() - 10 * STALE)]
                if dead:
                    reg.session.execute(delete(WorkerRow).where(WorkerRow.id.in_(dead)))
        except StoreError as exc:
            log.warning("event=reap_failed error=%s", str(exc)[:200])
            return 0
        if dead:
            log.info("event=workers_reaped count=%d", len(dead))
        return len(dead)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.journal.recover()  # our own marks that failed, before the file goes
        self.journal.close()
        try:
            with self.store.transaction(urgent=True) as reg:
                reg.session.execute(delete(WorkerRow).where(WorkerRow.id == self.id))
        except StoreError:
            pass  # a row left behind goes stale and is reaped by the next worker
