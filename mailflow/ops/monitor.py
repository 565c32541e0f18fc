"""What `mailflow run` has done and how it stands: counters from the service, the outbox from the database."""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from mailflow.adapters.tables import OutageRow, OutboxRow
from mailflow.config import Config

if TYPE_CHECKING:
    from mailflow.adapters.store import Store

# the service's loop comes round every few seconds; this long without it, it is stuck
LOOP_STALE_SECONDS = 120.0
PASS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


@dataclass
class MailboxState:
    reachable: bool | None = None  # None: not tried yet
    since: float | None = None
    error: str = ""
    last_pass: float | None = None


@dataclass
class OutboxState:
    pending: int
    failed: int
    oldest_pending_age: float | None
    due_for: float | None  # how long the longest-due pending mail has been due
    stuck: bool


def _iso(t: float | None) -> str | None:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds") if t is not None else None


class Monitor:
    """The service's `Reporter`: Prometheus metrics and the state /healthz reports."""

    def __init__(self, config: Config, store: Store, now: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = store
        self.now = now
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter("mailflow_messages", "Messages handled, by what became of them",
                                ["org", "mailbox", "outcome"], registry=r)
        self.pass_seconds = Histogram("mailflow_mailbox_pass_seconds", "Time of one pass over a mailbox's folder",
                                      ["org", "mailbox"], buckets=PASS_BUCKETS, registry=r)
        self.last_pass = Gauge("mailflow_mailbox_last_pass_timestamp_seconds",
                               "When a pass over the mailbox last went to its end", ["org", "mailbox"], registry=r)
        self.up = Gauge("mailflow_mailbox_up", "1 when the mailbox was reached at the last try", ["org", "mailbox"],
                        registry=r)
        self.sends = Counter("mailflow_sends", "Mails the outbox tried to send, by result (sent, failed, retried)",
                             ["result"], registry=r)
        self.smtp_up = Gauge("mailflow_smtp_up", "1 when the SMTP server could be used at the last drain", registry=r)
        self.deadline_mails = Counter("mailflow_deadline_mails", "Reminders, escalations and delay notices queued",
                                      registry=r)
        self.digests = Counter("mailflow_digests", "Registrar digests queued", registry=r)
        self.loop = Gauge("mailflow_loop_timestamp_seconds", "When the service's loop last came round", registry=r)
        r.register(_Register(self))
        self._lock = threading.Lock()
        self.mailboxes: dict[tuple[str, str], MailboxState] = {}
        self.smtp: MailboxState = MailboxState()
        self.loop_at: float | None = None
        for org in config.organizations:
            for role, settings in (("complaints", org.imap), ("registrar", org.registrar_imap)):
                if settings is not None:
                    self.mailboxes[(org.id, role)] = MailboxState()

    # -- the Reporter seam --------------------------------------------------------------

    def _state(self, org_id: str, role: str) -> MailboxState:
        return self.mailboxes.setdefault((org_id, role), MailboxState())

    def mailbox_up(self, org_id: str, role: str) -> None:
        with self._lock:
            st = self._state(org_id, role)
            if st.reachable is not True:
                st.reachable, st.since, st.error = True, self.now(), ""
        self.up.labels(org_id, role).set(1)

    def mailbox_down(self, org_id: str, role: str, error: str) -> None:
        with self._lock:
            st = self._state(org_id, role)
            if st.reachable is not False:
                st.reachable, st.since = False, self.now()
            st.error = error[:300]
        self.up.labels(org_id, role).set(0)

    def drained(self, org_id: str, role: str, outcomes: Tally[str], seconds: float, ok: bool) -> None:
        for outcome, n in outcomes.items():
            if n:
                self.messages.labels(org_id, role, outcome).inc(n)
        if ok:
            self.pass_seconds.labels(org_id, role).observe(seconds)
            now = self.now()
            self.last_pass.labels(org_id, role).set(now)
            with self._lock:
                self._state(org_id, role).last_pass = now

    def sent(self, sent: int, failed: int, retried: int, outage: str | None) -> None:
        for result, n in (("sent", sent), ("failed", failed), ("retried", retried)):
            if n:
                self.sends.labels(result).inc(n)
        with self._lock:
            if outage is None and self.smtp.reachable is not True:
                self.smtp = MailboxState(True, self.now())
            elif outage is not None:
                if self.smtp.reachable is not False:
                    self.smtp = MailboxState(False, self.now())
                self.smtp.error = outage[:300]
        self.smtp_up.set(0 if outage else 1)

    def jobs(self, deadline_mails: int, digests: int) -> None:
        self.deadline_mails.inc(deadline_mails)
        self.digests.inc(digests)

    def tick(self) -> None:
        self.loop_at = self.now()
        self.loop.set(self.loop_at)

    # -- the register's side ----------------------------------------------------------

    def outbox(self) -> dict[str, OutboxState]:
        """Each organization's outbox, read from the database (all workers' mails)."""
        now = datetime.now(timezone.utc)
        t = OutboxRow
        with self.store.transaction(readonly=True) as reg:
            counts = reg.session.execute(select(t.org_id, t.status, func.count()).group_by(t.org_id, t.status)).all()
            ages = reg.session.execute(
                select(t.org_id, func.min(t.created_at), func.min(t.next_attempt_at))
                .where(t.status == "pending").group_by(t.org_id)).all()
            stuck = set(reg.session.execute(select(OutageRow.org_id).where(
                OutageRow.key.like("outbox:%"), OutageRow.ended_at.is_(None))).scalars())
        out = {o.id: OutboxState(0, 0, None, None, False) for o in self.config.organizations}
        for org_id, status, n in counts:
            st = out.setdefault(org_id, OutboxState(0, 0, None, None, False))
            if status == "pending":
                st.pending = n
            elif status == "failed":
                st.failed = n
        for org_id, created, due in ages:
            st = out.setdefault(org_id, OutboxState(0, 0, None, None, False))
            st.oldest_pending_age = max(0.0, (now - created).total_seconds()) if created else None
            st.due_for = max(0.0, (now - due).total_seconds()) if due else None
        for org_id in stuck:  # as the service found it after its last drain (Jobs.outbox_watch)
            out.setdefault(org_id, OutboxState(0, 0, None, None, False)).stuck = True
        return out

    def outbox_mails(self) -> list[tuple[str, str, str, int]]:
        t = OutboxRow
        with self.store.transaction(readonly=True) as reg:
            return [(o, p, s, int(n)) for o, p, s, n in reg.session.execute(
                select(t.org_id, t.purpose, t.status, func.count()).group_by(t.org_id, t.purpose, t.status)).all()]

    def open_outages(self) -> list[str]:
        with self.store.transaction(readonly=True) as reg:
            return list(reg.session.execute(select(OutageRow.key).where(OutageRow.ended_at.is_(None))).scalars())

    # -- /healthz -----------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, the JSON body): mailboxes reachable, SMTP usable, outbox not stuck, the loop alive."""
        now = self.now()
        problems: list[str] = []
        with self._lock:
            boxes = [{"org": org, "mailbox": role, "reachable": st.reachable, "since": _iso(st.since),
                      "last_pass_at": _iso(st.last_pass), **({"error": st.error} if st.error else {})}
                     for (org, role), st in sorted(self.mailboxes.items())]
            smtp = {"reachable": self.smtp.reachable, "since": _iso(self.smtp.since),
                    **({"error": self.smtp.error} if self.smtp.error else {})}
            loop_at = self.loop_at
        problems += [f"mailbox {b['org']} {b['mailbox']} unreachable" for b in boxes if b["reachable"] is False]
        if smtp["reachable"] is False:
            problems.append("SMTP server unusable")
        body: dict[str, Any] = {"mailboxes": boxes, "smtp": smtp, "loop_at": _iso(loop_at)}
        try:
            outbox = self.outbox()
            body["database"] = "ok"
            body["outbox"] = {org: {"pending": st.pending, "failed": st.failed,
                                    "oldest_pending_age_seconds": _round(st.oldest_pending_age),
                                    "due_for_seconds": _round(st.due_for), "stuck": st.stuck}
                              for org, st in sorted(outbox.items())}
            problems += [f"outbox of {org} stuck" for org, st in sorted(outbox.items()) if st.stuck]
        except Exception as exc:  # noqa: BLE001  a database that cannot be read makes the service unhealthy
            body["database"] = f"error: {type(exc).__name__}"
            problems.append("database unreachable")
        if loop_at is not None and now - loop_at > LOOP_STALE_SECONDS:
            problems.append(f"service loop silent for {now - loop_at:.0f} s")
        last = [st.last_pass for st in self.mailboxes.values() if st.last_pass is not None]
        body["last_pass_at"] = _iso(max(last)) if last else None
        body["status"] = "ok" if not problems else "failing"
        body["problems"] = problems
        body["checked_at"] = _iso(now)
        return not problems, body


def _round(v: float | None) -> float | None:
    return round(v, 1) if v is not None else None


class _Register(Collector):
    """Gauges read from the database at each scrape: what every worker's outbox holds, open outages."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("mailflow_database_up", "1 when the register could be read for this scrape")
        try:
            mails = self.monitor.outbox_mails()
            outbox = self.monitor.outbox()
            outages = self.monitor.open_outages()
        except Exception:  # noqa: BLE001  the scrape goes on without the register's numbers
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        g = GaugeMetricFamily("mailflow_outbox_mails", "Mails in the outbox, by organization, purpose and status",
                              labels=["org", "purpose", "status"])
        for org, purpose, status, n in mails:
            g.add_metric([org, purpose, status], n)
        yield g
        pending = GaugeMetricFamily("mailflow_outbox_pending", "Mails waiting to be sent", labels=["org"])
        failed = GaugeMetricFamily("mailflow_outbox_failed", "Mails given up on (see `mailflow outbox list`)",
                                   labels=["org"])
        oldest = GaugeMetricFamily("mailflow_outbox_oldest_pending_age_seconds",
                                   "Age of the oldest mail waiting to be sent", labels=["org"])
        stuck = GaugeMetricFamily("mailflow_outbox_stuck", "1 when a mail has been due longer than "
                                  "outbox_stuck_minutes", labels=["org"])
        for org, st in sorted(outbox.items()):
            pending.add_metric([org], st.pending)
            failed.add_metric([org], st.failed)
            oldest.add_metric([org], st.oldest_pending_age or 0.0)
            stuck.add_metric([org], 1 if st.stuck else 0)
        yield from (pending, failed, oldest, stuck)
        o = GaugeMetricFamily("mailflow_outages_open", "Open outages (a mail server or outbox unusable)", labels=["key"])
        for key, n in Tally(outages).items():
            o.add_metric([key], n)
        yield o


