"""Outages: a mail server mailflow cannot use (SMTP, one mailbox), recorded once across workers.

A failure opens the server's outage row (one open row per key, a partial
unique index) or counts on it; the first success closes it. The deadline and
digest job tells the registrar once an outage has lasted
`outage_notice_minutes`, and once more when it ended (`Jobs.outage_notices`).
Outages are operational facts and use the real time, never a pass's `--now`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from mailflow.adapters.tables import OutageRow
from mailflow.adapters.workers import real_now
from mailflow.errors import StoreError

if TYPE_CHECKING:
    from mailflow.adapters.store import Store

log = logging.getLogger(__name__)

SMTP = "smtp"


def imap_key(org_id: str, role: str) -> str:
    return f"imap:{org_id}:{role}"


def outbox_key(org_id: str) -> str:
    """An organization's outbox with mails due and not sent for too long (`outbox_stuck_minutes`)."""
    return f"outbox:{org_id}"


class Outages:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._open: set[str] = set()  # keys this process saw failing (saves a write per success)
        self._checked: set[str] = set()  # keys whose open outage (from an earlier process) was looked for

    def failing(self, key: str, org_id: str | None, error: str) -> bool:
        """Record a failure; True when it opened a new outage."""
        now = real_now()
        error = error[:500]
        for _ in range(2):  # a second worker may open the same outage at the same moment
            try:
                with self.store.transaction(urgent=True) as reg:
                    s = reg.session
                    row = s.execute(select(OutageRow).where(OutageRow.key == key, OutageRow.ended_at.is_(None))
                                    ).scalar_one_or_none()
                    if row is not None:
                        row.last_seen_at, row.error, row.failures = now, error, row.failures + 1
                        self._open.add(key)
                        return False
                    s.add(OutageRow(key=key, org_id=org_id, started_at=now, last_seen_at=now, error=error))
                self._open.add(key)
                log.warning("event=outage_started key=%s", key)
                return True
            except IntegrityError:
                continue
            except StoreError as exc:
                log.error("event=outage_not_recorded key=%s error=%s", key, str(exc)[:200])
                return False
        return False

    def ok(self, key: str, *, force: bool = False) -> bool:
        """Record a success; True when it ended an outage."""
        if key not in self._open and key in self._checked and not force:
            return False
        self._checked.add(key)
        try:
            with self.store.transaction(urgent=True) as reg:
                done = reg.session.execute(
                    update(OutageRow).where(OutageRow.key == key, OutageRow.ended_at.is_(None))
                    .values(ended_at=real_now())
                ).rowcount
        except StoreError as exc:
            log.error("event=outage_not_recorded key=%s error=%s", key, str(exc)[:200])
            return False
        self._open.discard(key)
        if done:
            log.info("event=outage_ended key=%s", key)
        return bool(done)

    def open_outages(self) -> list[OutageRow]:
        with self.store.transaction(readonly=True) as reg:
            return list(reg.session.execute(select(OutageRow).where(OutageRow.ended_at.is_(None))).scalars())

    def since(self, since: datetime) -> list[OutageRow]:
        """Outages open now or ended after `since`."""
        with self.store.transaction(readonly=True) as reg:
            q = select(OutageRow).where(OutageRow.ended_at.is_(None) | (OutageRow.ended_at >= since))
            return list(reg.session.execute(q.order_by(OutageRow.started_at)).scalars())
