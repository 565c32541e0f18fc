"""The service: mailbox -> pipeline -> one transaction -> file the IMAP message; outbox; loops.

`run_once` is one full pass (every mailbox, then the outbox); `run_forever`
watches every mailbox in its own thread (imap-tools blocks), IDLE where the
server offers it, and sends the outbox from the event loop until stopped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from mailflow import pipeline
from mailflow.adapters.imap import Fetched, ImapMailbox
from mailflow.adapters.outbox import OutboxQueue, SmtpSender, drain
from mailflow.adapters.store import Store
from mailflow.adapters.templates import Templates
from mailflow.clock import Clock
from mailflow.config import Config, ImapSettings, Organization, clock_time
from mailflow.deadlines import WorkCalendar
from mailflow.errors import ConfigError, DuplicateMessage, MailboxError, StoreError
from mailflow.jobs import Jobs
from mailflow.model import Mail, MailboxRole, Outcome, Source

log = logging.getLogger(__name__)

# recorded messages are moved out of the folder in batches of this many
FILE_BATCH = 20
# seconds between deadline and digest passes while the service runs
JOBS_INTERVAL = 60.0
# SMTP connections the outbox sends over at once
SMTP_CONNECTIONS = 3


@dataclass
class PassReport:
    """What one pass did, for the command line."""

    outcomes: Counter[str] = field(default_factory=Counter)
    refs: list[str] = field(default_factory=list)
    mailbox_errors: list[str] = field(default_factory=list)
    sent: int = 0
    send_failed: int = 0
    deadline_mails: int = 0
    digests: int = 0

    def merge(self, other: PassReport) -> None:
        self.outcomes.update(other.outcomes)
        self.refs += other.refs
        self.mailbox_errors += other.mailbox_errors


@dataclass(frozen=True)
class Watched:
    org: Organization
    role: MailboxRole
    settings: ImapSettings

    @property
    def key(self) -> str:
        return f"{self.org.id}:{self.role.value}"


class Service:
    def __init__(self, config: Config, store: Store, clock: Clock, env: dict[str, str] | None = None) -> None:
        self.config = config
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
        self.worker = f"mailflow-{uuid.uuid4().hex[:8]}"
        self.jobs = Jobs(config, store, self.templates, clock, self.calendars)

    def mailboxes(self) -> list[Watched]:
        out = []
        for org in self.config.organizations:
            out.append(Watched(org, MailboxRole.COMPLAINTS, org.imap))
            if org.registrar_imap is not None:
                out.append(Watched(org, MailboxRole.REGISTRAR, org.registrar_imap))
        return out

    # -- one message -----------------------------------------------------------

    def process(self, w: Watched, box: ImapMailbox, fetched: Fetched) -> tuple[Outcome, str | None]:
        """Run one message through the pipeline and record it; the caller files it. Safe to repeat."""
        source = Source(w.org.id, w.role, w.settings.folder, box.uidvalidity, fetched.uid, fetched.internaldate)
        outcome, ref = self._register(w, source, fetched.raw)
        log.info("event=registered mailbox=%s uid=%s outcome=%s case=%s", w.key, fetched.uid, outcome, ref or "-")
        return outcome, ref

    @staticmethod
    def file(w: Watched, box: ImapMailbox, done: list[tuple[int, Outcome]]) -> None:
        """Move recorded messages out of the watched folder; only ever after their commit."""
        for folder, wanted in ((w.settings.processed_folder, False), (w.settings.quarantine_folder, True)):
            uids = [uid for uid, outcome in done if (outcome is Outcome.QUARANTINED) is wanted]
            if uids:
                box.move(uids, folder)
                log.info("event=filed mailbox=%s count=%d folder=%s", w.key, len(uids), folder)

    def _register(self, w: Watched, source: Source, raw: bytes) -> tuple[Outcome, str | None]:
        now = self.clock.now()
        mail = Mail(source=source, raw=raw)
        try:
            with self.store.transaction() as reg:
                seen = reg.uid_seen(source)
                if seen is not None:  # recorded before, not yet moved (a crash or a failed MOVE)
                    return Outcome(seen.outcome), None
                ctx = pipeline.Context(self.config, w.org, self.clock, reg, self.templates, self.calendars[w.org.id])
                mail = pipeline.run(mail, ctx, self.steps)
                outcome = mail.outcome or (Outcome.REGISTERED if mail.new_case else Outcome.THREADED)
                if outcome is not Outcome.DUPLICATE:
                    reg.file(mail, now)
                reg.record_uid(source, mail.message_id, outcome, now, known_new=True)
            return outcome, mail.case_ref
        except (DuplicateMessage, IntegrityError):  # another worker registered it first
            self._record_uid(source, mail.message_id, Outcome.DUPLICATE)
            return Outcome.DUPLICATE, None
        except (StoreError, ConfigError):
            raise  # the database or a template is at fault, not the message: retry later
        except Exception as exc:  # a step failed on this input: keep the message, in quarantine
            step_error = f"processing failed: {type(exc).__name__}"
            log.exception("event=step_failed mailbox=%s uid=%s", w.key, source.uid)
            bad = Mail(source=source, raw=raw, outcome=Outcome.QUARANTINED, reason=step_error)
            try:
                with self.store.transaction() as reg:  # the message and its UID together
                    reg.file(bad, now)
                    reg.record_uid(source, bad.message_id, Outcome.QUARANTINED, now, known_new=True)
            except (DuplicateMessage, IntegrityError):  # kept already (an earlier attempt or another worker)
                self._record_uid(source, bad.message_id, Outcome.QUARANTINED)
            return Outcome.QUARANTINED, None

    def _record_uid(self, source: Source, message_id: str, outcome: Outcome) -> None:
        try:
            with self.store.transaction() as reg:
                reg.record_uid(source, message_id, outcome, self.clock.now())
        except IntegrityError:
            pass  # another worker recorded it

    # -- one mailbox -----------------------------------------------------------

    def drain_mailbox(self, w: Watched, box: ImapMailbox, stop: threading.Event | None = None) -> PassReport:
        """Process every message in the watched folder."""
        report = PassReport()
        done: list[tuple[int, Outcome]] = []
        try:
            for fetched in box.fetch(box.uids()):
                if stop is not None and stop.is_set():
                    break
                outcome, ref = self.process(w, box, fetched)
                done.append((fetched.uid, outcome))
                report.outcomes[outcome.value] += 1
                if ref and outcome is Outcome.REGISTERED:
                    report.refs.append(ref)
                if len(done) >= FILE_BATCH:
                    self.file(w, box, done)
                    done = []
        finally:
            if done:
                self.file(w, box, done)
        return report

    def pass_mailbox(self, w: Watched) -> PassReport:
        box = ImapMailbox(w.settings, self.env)
        try:
            box.connect()
            return self.drain_mailbox(w, box)
        except (MailboxError, StoreError, ConfigError) as exc:
            log.error("event=mailbox_error mailbox=%s error=%s", w.key, exc)
            return PassReport(mailbox_errors=[f"{w.key}: {exc}"])
        finally:
            box.close()

    # -- a whole pass ------------------------------------------------------------

    async def run_once(self) -> PassReport:
        """Every mailbox once (concurrently), the deadlines, the digests, then the outbox."""
        report = PassReport()
        for r in await asyncio.gather(*(asyncio.to_thread(self.pass_mailbox, w) for w in self.mailboxes())):
            report.merge(r)
        report.deadline_mails, report.digests = await asyncio.to_thread(self.timed_jobs)
        report.sent, report.send_failed = await self.send_outbox()
        return report

    def timed_jobs(self) -> tuple[int, int]:
        """The deadline pass and the digests; (mails queued, digests queued)."""
        return self.jobs.deadlines(), self.jobs.digests_due()

    async def send_outbox(self) -> tuple[int, int]:
        senders = [SmtpSender(self.config.smtp) for _ in range(SMTP_CONNECTIONS)]
        return await drain(OutboxQueue(self.store, self.worker), senders, self.clock)

    # -- the service -------------------------------------------------------------

    def watch(self, w: Watched, stop: threading.Event, notify: Callable[[], None]) -> None:
        """Keep one mailbox drained until stopped; reconnect after failures."""
        delay = 1.0
        while not stop.is_set():
            box = ImapMailbox(w.settings, self.env)
            try:
                box.connect()
                log.info("event=watching mailbox=%s idle=%s", w.key, box.supports_idle and w.settings.idle)
                delay = 1.0
                while not stop.is_set():
                    report = self.drain_mailbox(w, box, stop)
                    if sum(report.outcomes.values()):
                        notify()
                    self._wait_for_mail(box, stop)
            except (MailboxError, StoreError, ConfigError) as exc:
                log.error("event=watch_error mailbox=%s error=%s retry_in=%ss", w.key, exc, int(delay))
                stop.wait(delay)
                delay = min(delay * 2, 300.0)
            finally:
                box.close()

    def _wait_for_mail(self, box: ImapMailbox, stop: threading.Event) -> None:
        interval = self.config.service.poll_interval_seconds
        if not (box.supports_idle and box.settings.idle):
            stop.wait(interval)
            return
        # One IDLE command, polled locally each second so a stop is noticed
        # quickly; renewed well within the 29 minutes RFC 2177 allows.
        waited = 0.0
        while not stop.is_set() and waited < 20 * 60:
            if box.wait(5.0):
                return
            waited += 5.0

    async def run_forever(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        halt = threading.Event()
        wake = asyncio.Event()

        def notify() -> None:
            loop.call_soon_threadsafe(wake.set)

        threads = [
            threading.Thread(target=self.watch, args=(w, halt, notify), name=f"watch-{w.key}", daemon=True)
            for w in self.mailboxes()
        ]
        for t in threads:
            t.start()
        last_jobs = 0.0
        try:
            while not stop.is_set():
                if loop.time() - last_jobs >= JOBS_INTERVAL:
                    try:
                        await asyncio.to_thread(self.timed_jobs)
                    except (StoreError, ConfigError) as exc:
                        log.error("event=jobs_error error=%s", exc)
                    last_jobs = loop.time()
                try:
                    await self.send_outbox()
                except StoreError as exc:
                    log.error("event=outbox_error error=%s", exc)
                wake.clear()
                waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
                await asyncio.wait(waiters, timeout=30, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            halt.set()
            for t in threads:
                await asyncio.to_thread(t.join, 30)
            try:
                await self.send_outbox()  # what the last messages queued
            except StoreError:
                pass
