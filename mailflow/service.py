"""The service: mailbox -> pipeline -> one transaction -> file the IMAP message; outbox; loops.

`run_once` is one full pass (every mailbox, the deadlines and digests, then
the outbox); `run_forever` watches every mailbox in its own supervised thread
(imap-tools blocks), with one IDLE held open where the server offers it, and
sends the outbox from the event loop as soon as a message is committed.

Every failure stays where it belongs. A message a step cannot handle is
quarantined with its reason; a mail the server refuses is failed with its
reason; a mail server that cannot be used is an outage, retried with backoff
and jitter and told to the registrar once; a database that is away stops the
work in hand, to be retried, never a message lost.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from mailflow import pipeline
from mailflow.adapters.health import SMTP, Outages, imap_key
from mailflow.adapters.imap import Fetched, keyword_for
from mailflow.adapters.mailbox import Mailbox, open_mailbox
from mailflow.adapters.outbox import DrainResult, OutboxQueue, SmtpSender, drain
from mailflow.adapters.store import Registry, Store
from mailflow.adapters.templates import Templates
from mailflow.adapters.workers import STALE, Worker, real_now
from mailflow.clock import Clock
from mailflow.config import Config, ImapSettings, Organization, clock_time
from mailflow.deadlines import WorkCalendar
from mailflow.errors import ConfigError, DuplicateMessage, MailboxError, StoreError
from mailflow.follow import follow
from mailflow.jobs import Jobs
from mailflow.model import Mail, MailboxRole, Outcome, Parsed, Source
from mailflow.observe import NullReporter, Reporter
from mailflow.pipeline import ahead
from mailflow.pipeline.parse import header_message_id, parse_bytes

log = logging.getLogger(__name__)

# a folder with at least this many messages is parsed in the parsing process, messages up to this size
POOL_FROM = 20
POOL_MAX_BYTES = 2 * 1024 * 1024
# messages per transaction (then moved together), and the bytes a batch holds at most
BATCH_SQLITE = 50
BATCH_POSTGRES = 10
BATCH_BYTES = 8 * 1024 * 1024
# seconds between deadline and digest passes while the service runs
JOBS_INTERVAL = 60.0
# reconnecting to a mailbox or the SMTP server: first wait, doubling up to the cap, with jitter
RETRY_FIRST = 1.0
RETRY_CAP = 30.0
# the service's loop looks at its watchers, outages and the outbox at least this often
LOOP_SECONDS = 5.0
# how often a sending worker looks for dead workers (of this host) whose mails it can take over
REAP_SECONDS = 2.0


# what the parsing process hands back for a batch: the parsed messages and the pure steps' results
Ahead = Future[tuple[list[Parsed | str], list[ahead.Entry]]]


def parser_pool(n: int) -> ProcessPoolExecutor:
    """`n` parsing processes that end with this one, however it ends (see mailflow/follow.py)."""
    return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=follow, initargs=(os.getpid(),))


def jittered(delay: float) -> float:
    """A wait between half and all of `delay`, so workers do not reconnect in step."""
    return delay * random.uniform(0.5, 1.0)


@dataclass
class PassReport:
    """What one pass did, for the command line."""

    outcomes: Counter[str] = field(default_factory=Counter)
    refs: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)  # "mailbox uid N: reason"
    mailbox_errors: list[str] = field(default_factory=list)
    sent: int = 0
    send_failed: int = 0
    send_retried: int = 0
    smtp_outage: str | None = None
    deadline_mails: int = 0
    digests: int = 0
    job_errors: int = 0

    def merge(self, other: PassReport) -> None:
        self.outcomes.update(other.outcomes)
        self.refs += other.refs
        self.quarantined += other.quarantined
        self.mailbox_errors += other.mailbox_errors


@dataclass(frozen=True)
class Watched:
    org: Organization
    role: MailboxRole
    settings: ImapSettings

    @property
    def key(self) -> str:
        return f"{self.org.id}:{self.role.value}"


_UNSEEN = object()  # a UID looked up with its batch and not on record


@dataclass(frozen=True)
class Done:
    """One message handled: what became of it (for filing and the report)."""

    uid: int
    outcome: Outcome
    ref: str | None = None
    reason: str = ""
    leave: bool = False  # recorded by another worker that is alive: it moves the message, not us


class Service:
    def __init__(self, config: Config, store: Store, clock: Clock, env: dict[str, str] | None = None,
                 reporter: Reporter | None = None) -> None:
        self.config = config
        self.reporter: Reporter = reporter or NullReporter()  # operations (metrics, health) hear of the work
        self.store = store
        self.clock = clock
        self.env = env
        self.templates = Templates(config.templates_dir())
        self.steps = pipeline.default_steps()
        end_of_day = clock_time(config.service.working_hours[1])
        self.calendars = {
            o.id: WorkCalendar(o.calendar, o.extra_closed_days, config.org_timezone(o), end_of_day)
            for o in config.organizations
        }
        self.outages = Outages(store)
        self.jobs = Jobs(config, store, self.templates, clock, self.calendars, self.outages)
        self._worker: Worker | None = None
        self._worker_users = 0
        self._worker_lock = threading.Lock()
        self._last_reap = 0.0
        self._pool: ProcessPoolExecutor | None = None
        self._wake: Callable[[], None] | None = None  # set while `run_forever` runs: new outbox mail to send

    def wake(self) -> None:
        """Tell the running service that mail was queued (the web, in the same process): it sends at once."""
        if self._wake is not None:
            self._wake()

    def mailboxes(self) -> list[Watched]:
        out = []
        for org in self.config.organizations:
            out.append(Watched(org, MailboxRole.COMPLAINTS, org.imap))
            if org.registrar_imap is not None:
                out.append(Watched(org, MailboxRole.REGISTRAR, org.registrar_imap))
        return out

    # -- this process as a worker (its outbox leases live while it beats) -------------

    def enter_worker(self, role: str) -> str:
        with self._worker_lock:
            if self._worker is None:
                self._worker = Worker(self.store, role).start()
            self._worker_users += 1
            return self._worker.id

    def leave_worker(self) -> None:
        with self._worker_lock:
            self._worker_users -= 1
            if self._worker_users == 0 and self._worker is not None:
                self._worker.stop()
                self._worker = None

    @property
    def worker_id(self) -> str:
        return self._worker.id if self._worker is not None else "mailflow-unregistered"

    # -- messages, a batch to a transaction ------------------------------------------
    #
    # The pure work (parsing) comes first, outside any transaction. Then a batch of
    # messages shares one transaction, each message in a savepoint of its own: what
    # fails for one message rolls back to its savepoint and is recorded as what it
    # is (a duplicate, a quarantine with its reason), and the others go on. Only
    # after the commit are the messages moved. A crash before the commit repeats
    # the batch; nothing was moved, so nothing is lost.

    def process(self, w: Watched, box: Mailbox, fetched: Fetched) -> Done:
        """One message through the pipeline, recorded in a transaction of its own; the caller files it."""
        return self.process_batch(w, box, [fetched])[0]

    def process_batch(self, w: Watched, box: Mailbox, batch: list[Fetched],
                      parsed: list[Parsed | str | None] | None = None) -> list[Done]:
        """Messages through the pipeline, recorded in one transaction; the caller files them. Safe to repeat.

        `parsed`: what the parsing process made of them already (None where it did not).
        """
        prepared = [self._prepare(Source(w.org.id, w.role, w.settings.folder, box.uidvalidity, f.uid,
                                         f.internaldate), f, parsed[i] if parsed else None)
                    for i, f in enumerate(batch)]
        now = self.clock.now()
        out: list[Done] = []
        if len(prepared) > 1:
            try:  # the common case first: every message goes through, no savepoint needed
                with self.store.transaction() as reg:
                    seen = reg.uids_seen([m.source for m in prepared])
                    out = [self._register(reg, w, mail, now, seen.get(mail.source.uid, _UNSEEN)) for mail in prepared]
            except DuplicateMessage:  # (a StoreError, but the message's doing): each in its savepoint
                log.info("event=batch_redone mailbox=%s messages=%d", w.key, len(prepared))
                out = []
            except (StoreError, OperationalError, ProgrammingError):
                raise
            except Exception:  # noqa: BLE001  one of them needs care: the batch again, each in its savepoint
                log.info("event=batch_redone mailbox=%s messages=%d", w.key, len(prepared))
                out = []
        if not out:
            with self.store.transaction() as reg:
                out = [self._one(reg, w, mail, now) for mail in prepared]
        for d in out:
            log.info("event=registered mailbox=%s uid=%s outcome=%s case=%s", w.key, d.uid, d.outcome, d.ref or "-")
        return out

    def _prepare(self, source: Source, fetched: Fetched, parsed: Parsed | str | None = None) -> Mail:
        """The pure work before the transaction: parsing, or the reason the message cannot be read."""
        raw = fetched.raw
        if fetched.too_large:
            limit = self.config.service.max_message_bytes
            reason = f"too large: {fetched.size} bytes (max_message_bytes is {limit}); only its header was read"
            return Mail(source=source, raw=raw, outcome=Outcome.QUARANTINED, reason=reason,
                        message_id_hint=header_message_id(raw))
        if parsed is None:
            try:
                parsed = parse_bytes(raw)
            except Exception as exc:  # noqa: BLE001  parse_bytes reads anything; should a corner escape it, keep it
                parsed = f"cannot read the message: {type(exc).__name__}"
        if isinstance(parsed, str):
            return Mail(source=source, raw=raw, outcome=Outcome.QUARANTINED, reason=parsed)
        return Mail(source=source, raw=raw, parsed=parsed)

    def _one(self, reg: Registry, w: Watched, mail: Mail, now: datetime) -> Done:
        """One message inside the batch's transaction, in a savepoint of its own."""
        source = mail.source
        try:
            with reg.session.begin_nested():
                return self._register(reg, w, mail, now)
        except DuplicateMessage:  # registered before (another mailbox, another worker, an old UIDVALIDITY)
            return self._duplicate(reg, source, mail.message_id, now)
        except IntegrityError as exc:
            return self._conflict(reg, w, mail, exc, now)
        except (StoreError, OperationalError, ProgrammingError):
            raise  # the database is at fault, not the message: the batch is retried later
        except Exception as exc:  # noqa: BLE001  a step (or a template) failed on this input: keep it, in quarantine
            if isinstance(exc, ConfigError):
                reason = f"a mail template failed on this message: {exc.reason[:200]}"
            else:
                reason = f"processing failed: {type(exc).__name__}"
            log.error("event=step_failed mailbox=%s uid=%s error=%s", w.key, source.uid, type(exc).__name__)
            log.debug("step failure", exc_info=True)
            return self._quarantine(reg, source, mail.raw, reason, mail.message_id, now)

    def _register(self, reg: Registry, w: Watched, mail: Mail, now: datetime, seen: Any = None) -> Done:
        source = mail.source
        if seen is None:
            seen = reg.uid_seen(source)
        elif seen is _UNSEEN:
            seen = None
        if seen is not None:  # recorded before, not yet moved (a crash, a failed MOVE, another worker)
            other = seen.worker_id not in (None, self.worker_id) and reg.worker_alive(
                seen.worker_id, real_now() - STALE)
            return Done(source.uid, Outcome(seen.outcome), None, "", leave=other)
        if mail.outcome is not Outcome.QUARANTINED:
            ctx = pipeline.Context(self.config, w.org, self.clock, reg, self.templates, self.calendars[w.org.id])
            mail = pipeline.run(mail, ctx, self.steps)
        outcome = mail.outcome or (Outcome.REGISTERED if mail.new_case else Outcome.THREADED)
        if outcome is not Outcome.DUPLICATE:
            reg.file(mail, now)
        reg.record_uid(source, mail.message_id, outcome, now, known_new=True, worker_id=self.worker_id)
        return Done(source.uid, outcome, mail.case_ref, mail.reason if outcome is Outcome.QUARANTINED else "")

    def _duplicate(self, reg: Registry, source: Source, message_id: str, now: datetime) -> Done:
        """A message on record already: a duplicate, filed where the first copy went (quarantine stays
        quarantine)."""
        first = reg.message_outcome(source.org_id, message_id)
        if first is not None and first[0] == Outcome.QUARANTINED.value:
            self._record_uid(reg, source, message_id, Outcome.QUARANTINED, now)
            return Done(source.uid, Outcome.QUARANTINED, None, first[1] or "quarantined before")
        self._record_uid(reg, source, message_id, Outcome.DUPLICATE, now)
        return Done(source.uid, Outcome.DUPLICATE)

    def _conflict(self, reg: Registry, w: Watched, mail: Mail, exc: IntegrityError, now: datetime) -> Done:
        """An IntegrityError: a duplicate only when the UID or the Message-ID is now on record."""
        source = mail.source
        seen = reg.uid_seen(source)
        if seen is not None:  # another worker recorded this very UID first: it moves it
            return Done(source.uid, Outcome(seen.outcome), leave=seen.worker_id != self.worker_id)
        if reg.message_exists(source.org_id, mail.message_id):
            return self._duplicate(reg, source, mail.message_id, now)
        name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or type(exc.orig).__name__
        log.error("event=store_conflict mailbox=%s uid=%s constraint=%s", w.key, source.uid, name)
        return self._quarantine(reg, source, mail.raw, f"the register refused the message ({name})",
                                mail.message_id, now)

    def _quarantine(self, reg: Registry, source: Source, raw: bytes, reason: str, message_id: str,
                    now: datetime) -> Done:
        bad = Mail(source=source, raw=raw, outcome=Outcome.QUARANTINED, reason=reason, message_id_hint=message_id)
        try:
            with reg.session.begin_nested():  # the message and its UID together
                if reg.uid_seen(source) is None:
                    if not reg.message_exists(source.org_id, bad.message_id):
                        reg.file(bad, now)
                    reg.record_uid(source, bad.message_id, Outcome.QUARANTINED, now, known_new=True,
                                   worker_id=self.worker_id)
        except (DuplicateMessage, IntegrityError):  # kept already (an earlier attempt or another worker)
            self._record_uid(reg, source, bad.message_id, Outcome.QUARANTINED, now)
        return Done(source.uid, Outcome.QUARANTINED, None, reason)

    def _record_uid(self, reg: Registry, source: Source, message_id: str, outcome: Outcome, now: datetime) -> None:
        try:
            with reg.session.begin_nested():
                if reg.uid_seen(source) is None:
                    reg.record_uid(source, message_id, outcome, now, known_new=True, worker_id=self.worker_id)
        except IntegrityError:
            pass  # another worker recorded it

    # -- one mailbox -----------------------------------------------------------

    @staticmethod
    def file(w: Watched, box: Mailbox, done: list[Done]) -> None:
        """Move recorded messages out of the watched folder; only ever after their commit.

        A message another live worker recorded is left to it: two MOVEs of one UID at
        the same moment may leave two copies in the processed folder.
        """
        done = [d for d in done if not d.leave]
        bad = [d for d in done if d.outcome is Outcome.QUARANTINED]
        for reason in dict.fromkeys(d.reason for d in bad):  # the reason on the copy, as a keyword
            box.label([d.uid for d in bad if d.reason == reason], keyword_for(reason))
        for folder, uids in ((w.settings.processed_folder, [d.uid for d in done if d not in bad]),
                             (w.settings.quarantine_folder, [d.uid for d in bad])):
            if uids:
                box.move(uids, folder)
                log.info("event=filed mailbox=%s count=%d folder=%s", w.key, len(uids), folder)

    def drain_mailbox(self, w: Watched, box: Mailbox, stop: threading.Event | None = None,
                      committed: Callable[[], None] | None = None) -> PassReport:
        """Process every message in the watched folder; `committed` is called after each commit."""
        started, ok = time.monotonic(), False
        report = PassReport()
        try:
            self._drain_mailbox(w, box, report, stop, committed)
            ok = True
            return report
        finally:  # what was committed counts, also when the pass broke off
            self.reporter.drained(w.org.id, w.role.value, report.outcomes, time.monotonic() - started, ok)

    def _drain_mailbox(self, w: Watched, box: Mailbox, report: PassReport, stop: threading.Event | None,
                       committed: Callable[[], None] | None) -> PassReport:
        done: list[Done] = []
        uids = box.uids()
        if self.store.dialect == "postgresql" and len(uids) > 1:
            # several workers may drain this folder at once: each starts at another place
            k = random.randrange(len(uids))
            uids = uids[k:] + uids[:k]
        def commit(batch: list[Fetched], parsed: list[Parsed | str | None] | None = None) -> None:
            for d in self.process_batch(w, box, batch, parsed):
                done.append(d)
                if d.leave:
                    continue  # another worker's, in hand: not counted, not filed here
                report.outcomes[d.outcome.value] += 1
                if d.ref and d.outcome is Outcome.REGISTERED:
                    report.refs.append(d.ref)
                if d.outcome is Outcome.QUARANTINED:
                    report.quarantined.append(f"{w.key} uid {d.uid}: {d.reason}")
            if committed is not None:
                committed()  # the outbox may send what this batch queued

        size = self.batch_size()
        pool = self._parser() if len(uids) >= POOL_FROM else None
        pending: tuple[list[Fetched], Ahead | None] | None = None

        def start(batch: list[Fetched]) -> tuple[list[Fetched], Ahead | None]:
            """Parsing of a batch, and the pure steps on it, begin in the parsing process while the previous
            batch is written."""
            if pool is None or any(f.too_large or len(f.raw) > POOL_MAX_BYTES for f in batch):
                return batch, None
            try:
                return batch, pool.submit(ahead.parse_and_work_out, [f.raw for f in batch], ahead.org_blob(w.org))
            except (BrokenProcessPool, RuntimeError):
                return batch, None

        def finish(item: tuple[list[Fetched], Ahead | None]) -> None:
            nonlocal done
            batch, future = item
            parsed: list[Parsed | str | None] | None = None
            entries: list[ahead.Entry] = []
            if future is not None:
                try:
                    result, entries = future.result()
                    parsed = list(result)
                except (BrokenProcessPool, OSError, RuntimeError) as exc:  # parsed here instead
                    log.warning("event=parser_process_failed error=%s", type(exc).__name__)
                    self._close_parser()
            ahead.install(entries)
            try:
                commit(batch, parsed)
            finally:
                ahead.remove(entries)
            self.file(w, box, done)
            done = []

        try:
            batch: list[Fetched] = []
            for fetched in box.fetch(uids, self.config.service.max_message_bytes):
                if stop is not None and stop.is_set():
                    break
                batch.append(fetched)
                if len(batch) >= size or sum(len(f.raw) for f in batch) >= BATCH_BYTES:
                    item, batch = start(batch), []
                    if pending is not None:
                        finish(pending)
                    pending = item
            if batch and not (stop is not None and stop.is_set()):
                item = start(batch)
                if pending is not None:
                    finish(pending)
                pending = item
            if pending is not None:
                item, pending = pending, None
                finish(item)
        finally:
            if done:
                self.file(w, box, done)
        return report

    def _parser(self) -> ProcessPoolExecutor | None:
        """The parsing process (started on first use), or None where there is one core or it is turned off."""
        n = self.config.service.parse_processes
        if n is None:
            n = 1 if (os.cpu_count() or 1) >= 2 else 0
        if n <= 0:
            return None
        with self._worker_lock:
            if self._pool is None:
                self._pool = parser_pool(n)
            return self._pool

    def _close_parser(self) -> None:
        with self._worker_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def batch_size(self) -> int:
        """Messages per transaction: on SQLite a larger batch saves commits; on PostgreSQL a batch holds
        the case counter row, so other workers should not wait long for it."""
        return BATCH_SQLITE if self.store.is_sqlite else BATCH_POSTGRES

    def pass_mailbox(self, w: Watched, committed: Callable[[], None] | None = None) -> PassReport:
        key = imap_key(w.org.id, w.role.value)
        box: Mailbox | None = None
        try:
            box = open_mailbox(w.settings, self.env)
            box.connect()
            self.outages.ok(key)
            self.reporter.mailbox_up(w.org.id, w.role.value)
            return self.drain_mailbox(w, box, committed=committed)
        except (MailboxError, ConfigError) as exc:
            log.error("event=mailbox_error mailbox=%s error=%s", w.key, exc)
            self.outages.failing(key, w.org.id, str(exc))
            self.reporter.mailbox_down(w.org.id, w.role.value, str(exc))
            return PassReport(mailbox_errors=[f"{w.key}: {exc}"])
        except StoreError as exc:
            log.error("event=mailbox_error mailbox=%s error=%s", w.key, exc)
            return PassReport(mailbox_errors=[f"{w.key}: {exc}"])
        finally:
            if box is not None:
                box.close()

    # -- a whole pass ------------------------------------------------------------

    async def run_once(self) -> PassReport:
        """Every mailbox once (concurrently), the deadlines, the digests, then the outbox.

        The outbox is sent while the mailboxes are read (as each batch commits), so a
        burst's acknowledgments do not wait for the whole burst.
        """
        await asyncio.to_thread(self.enter_worker, "once")
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        reading = True
        pool = self.senders()
        totals = DrainResult()

        def add(result: DrainResult) -> None:
            totals.sent += result.sent
            totals.failed += result.failed
            totals.retried += result.retried
            totals.outage = result.outage

        async def sender() -> None:
            while reading:
                await wake.wait()
                wake.clear()
                if reading:
                    result = await self.send_outbox(None, pool)
                    add(result)
                    if result.outage is not None:
                        return  # the final send reports it; no point hammering a dead server meanwhile

        def committed() -> None:
            loop.call_soon_threadsafe(wake.set)

        try:
            report = PassReport()
            sending = asyncio.create_task(sender())
            try:
                for r in await asyncio.gather(*(asyncio.to_thread(self.pass_mailbox, w, committed)
                                                for w in self.mailboxes())):
                    report.merge(r)
            finally:
                reading = False
                wake.set()
                await sending
            report.deadline_mails, report.digests, report.job_errors = await asyncio.to_thread(self.timed_jobs)
            add(await self.send_outbox(None, pool))
            await asyncio.to_thread(self.jobs.outbox_watch)  # what the drain left behind
            report.sent, report.send_failed, report.send_retried = totals.sent, totals.failed, totals.retried
            report.smtp_outage = totals.outage
            return report
        finally:
            for s in pool:
                await s.close()
            self._close_parser()
            await asyncio.to_thread(self.leave_worker)

    def timed_jobs(self) -> tuple[int, int, int]:
        """The deadline pass, the digests and the outage notices; (mails queued, digests queued, errors)."""
        mails, errors = self.jobs.deadlines()
        digests, digest_errors = self.jobs.digests_due()
        notices = self.jobs.outage_notices()
        self.reporter.jobs(mails, digests)
        return mails + notices, digests, errors + digest_errors

    def senders(self) -> list[SmtpSender]:
        return [SmtpSender(self.config.smtp, self.env) for _ in range(self.config.smtp.connections)]

    def queue(self) -> OutboxQueue:
        smtp = self.config.smtp
        return OutboxQueue(self.store, self.worker_id, max_attempts=smtp.max_attempts,
                           retry_base=timedelta(seconds=smtp.retry_base_seconds),
                           journal=self._worker.journal if self._worker is not None else None)

    async def send_outbox(self, stop: asyncio.Event | None = None,
                          pool: list[SmtpSender] | None = None) -> DrainResult:
        """Send what is due; an unusable server is recorded as an outage (and its end as well).

        `pool`: connections kept open between calls (the service's loop); else new ones, closed after.
        """
        await asyncio.to_thread(self.enter_worker, "send")
        try:
            now = asyncio.get_running_loop().time()
            if self._worker is not None and now - self._last_reap >= REAP_SECONDS:
                self._last_reap = now  # a dead worker of this host lets go of its mails at once
                await asyncio.to_thread(self._worker.reap)
            result = await drain(self.queue(), pool or self.senders(), self.clock, stop=stop, close=pool is None)
        finally:
            await asyncio.to_thread(self.leave_worker)
        if result.outage is not None:
            log.warning("event=smtp_unreachable error=%s", result.outage)
            await asyncio.to_thread(self.outages.failing, SMTP, None, result.outage)
        else:
            await asyncio.to_thread(self.outages.ok, SMTP)
        self.reporter.sent(result.sent, result.failed, result.retried, result.outage)
        return result

    # -- the service -------------------------------------------------------------

    def watch(self, w: Watched, stop: threading.Event, notify: Callable[[], None]) -> None:
        """Keep one mailbox drained until stopped: reconnect with backoff after any failure, never die."""
        key = imap_key(w.org.id, w.role.value)
        delay, failures = RETRY_FIRST, 0
        while not stop.is_set():
            box: Mailbox | None = None
            try:
                box = open_mailbox(w.settings, self.env)
                box.connect()
                if failures:
                    log.info("event=reconnected mailbox=%s failures=%d", w.key, failures)
                self.outages.ok(key)
                self.reporter.mailbox_up(w.org.id, w.role.value)
                log.info("event=watching mailbox=%s idle=%s", w.key, box.supports_idle and w.settings.idle)
                delay, failures = RETRY_FIRST, 0
                while not stop.is_set():
                    report = self.drain_mailbox(w, box, stop, committed=notify)
                    if sum(report.outcomes.values()):
                        continue  # mail may have come while these were handled: look again before IDLE
                    self._wait_for_mail(box, stop)
            except (MailboxError, ConfigError) as exc:
                failures += 1
                wait = jittered(delay)
                log.warning("event=mailbox_unreachable mailbox=%s failures=%d retry_in=%.1fs error=%s",
                            w.key, failures, wait, str(exc)[:200])
                self.outages.failing(key, w.org.id, str(exc))
                self.reporter.mailbox_down(w.org.id, w.role.value, str(exc))
                stop.wait(wait)
                delay = min(delay * 2, RETRY_CAP)
            except StoreError as exc:
                wait = jittered(delay)
                log.error("event=database_error mailbox=%s retry_in=%.1fs error=%s", w.key, wait, str(exc)[:200])
                stop.wait(wait)
                delay = min(delay * 2, RETRY_CAP)
            except Exception as exc:  # a bug must not end the watcher: log it, wait, start again
                wait = jittered(delay)
                log.error("event=watch_failed mailbox=%s retry_in=%.1fs error=%s", w.key, wait, type(exc).__name__)
                log.debug("watcher failure", exc_info=True)
                stop.wait(wait)
                delay = min(delay * 2, RETRY_CAP)
            finally:
                if box is not None:
                    box.close()

    def _wait_for_mail(self, box: Mailbox, stop: threading.Event) -> None:
        """One IDLE until mail arrives (or a poll interval without IDLE); the caller then looks for new UIDs."""
        if box.supports_idle and box.settings.idle:
            box.idle(stop)
        else:
            stop.wait(self.config.service.poll_interval_seconds)

    def _watcher(self, w: Watched, halt: threading.Event, notify: Callable[[], None]) -> threading.Thread:
        t = threading.Thread(target=self.watch, args=(w, halt, notify), name=f"watch-{w.key}", daemon=True)
        t.start()
        return t

    async def run_forever(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        halt = threading.Event()
        wake = asyncio.Event()

        def notify() -> None:
            loop.call_soon_threadsafe(wake.set)

        await asyncio.to_thread(self.enter_worker, "run")
        self._wake = notify
        watched = self.mailboxes()
        threads = {w.key: self._watcher(w, halt, notify) for w in watched}
        last_jobs = last_watch = -JOBS_INTERVAL
        smtp_delay, smtp_retry_at = RETRY_FIRST, 0.0
        pool = self.senders()
        try:
            while not stop.is_set():
                self.reporter.tick()
                for w in watched:  # supervision: a watcher that died is started again
                    if not threads[w.key].is_alive() and not halt.is_set():
                        log.error("event=watcher_restarted mailbox=%s", w.key)
                        threads[w.key] = self._watcher(w, halt, notify)
                try:
                    if loop.time() - last_jobs >= JOBS_INTERVAL:
                        last_jobs = loop.time()
                        await asyncio.to_thread(self.timed_jobs)
                    else:  # an outage is told as soon as it is due, not at the next deadline pass
                        await asyncio.to_thread(self.jobs.outage_notices)
                except (StoreError, ConfigError) as exc:
                    log.error("event=jobs_error error=%s", str(exc)[:200])
                wake.clear()
                if loop.time() >= smtp_retry_at:
                    try:
                        result = await self.send_outbox(stop, pool)
                    except StoreError as exc:
                        log.error("event=outbox_error error=%s", str(exc)[:200])
                        result = DrainResult(outage="database")
                    if result.outage is not None:
                        smtp_retry_at = loop.time() + jittered(smtp_delay)
                        smtp_delay = min(smtp_delay * 2, RETRY_CAP)
                    else:
                        smtp_delay, smtp_retry_at = RETRY_FIRST, 0.0
                        if loop.time() - last_watch >= JOBS_INTERVAL:  # what the drain left behind
                            last_watch = loop.time()
                            try:
                                await asyncio.to_thread(self.jobs.outbox_watch)
                            except StoreError as exc:
                                log.error("event=outbox_watch_error error=%s", str(exc)[:200])
                timeout = LOOP_SECONDS if smtp_retry_at == 0.0 else max(0.2, min(LOOP_SECONDS, smtp_retry_at - loop.time()))
                waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            self._wake = None
            halt.set()
            for t in threads.values():
                await asyncio.to_thread(t.join, 30)
            try:
                await asyncio.to_thread(self.jobs.outage_notices)  # an outage that ended is told now
                await self.send_outbox(None, pool)  # what the last messages queued
            except StoreError:
                pass
            for sender in pool:
                await sender.close()
            self._close_parser()
            await asyncio.to_thread(self.leave_worker)
