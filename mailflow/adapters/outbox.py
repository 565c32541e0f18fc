"""The outbox: mails queued in the case's transaction, sent later, safe to repeat.

Claiming a row leases it to this worker (PostgreSQL: FOR UPDATE SKIP LOCKED,
so several workers share the work) and counts an attempt, so a mail whose
sending kills the process gives up after `max_attempts`. A lease holds while
its owner's heartbeat is fresh (`adapters/workers.py`): a killed worker's
mails are taken over within seconds, at once by a restarted worker on the same
host. The row is marked sent in a short urgent transaction of its own right
after the server's final reply, and only by the worker that holds it; the only
window for a second delivery is a crash between that reply and that commit,
and the mail then goes again with the same Message-ID, which mail clients
collapse.

Each failure belongs to one mail or to the server. A refused recipient, a 5xx
or an address no server can take is recorded on the mail (failed, or sent with
its refused recipients) for the digest and `mailflow outbox list`; a 4xx or a
broken connection retries with exponential backoff. A server that cannot be
used at all (connect, greeting, EHLO, STARTTLS, AUTH) is an outage
(`SmtpOutage`): nothing is claimed, the claimed mails go back unharmed, and
the service backs off and tells the registrar once.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiosmtplib
from sqlalchemy import exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from mailflow import addresses, mime
from mailflow.adapters.journal import SentJournal
from mailflow.adapters.tables import MessageRow, OutboxRow, WorkerRow
from mailflow.adapters.workers import STALE, real_now
from mailflow.clock import Clock
from mailflow.config import SmtpSettings
from mailflow.errors import ConfigError, PermanentDelivery, SmtpOutage, StoreError, TokenError, TransientDelivery
from mailflow.model import Direction, OutMail, email_key
from mailflow.oauth import Credentials, credentials_for

if TYPE_CHECKING:
    from mailflow.adapters.store import Store

log = logging.getLogger(__name__)

# a lease also ends this long after its claim, whatever the heartbeat says (a worker stuck for good)
LEASE_MAX = timedelta(minutes=15)
MAX_ATTEMPTS = 12
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=2)
CLAIM_BATCH = 20  # rows per connection per claim
INLINE_PAYLOAD = 1024 * 1024  # payloads up to this size come with the claim
MARK_BATCH = 20  # acceptances recorded in the database together (the sent journal has them at once)
_T_OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
_T_MESSAGES = MessageRow.__table__  # type: ignore[attr-defined]


def queue(session: Session, out: OutMail, *, org_id: str, case_id: int | None, now: datetime,
          party_key: str | None) -> None:
    """Add the mail to the outbox and to the case's timeline, inside the caller's transaction."""
    queue_many(session, (out,), org_id=org_id, case_id=case_id, now=now, party_keys=(party_key,))


def queue_many(session: Session, mails: Sequence[OutMail], *, org_id: str, case_id: int | None, now: datetime,
               party_keys: Sequence[str | None] | None = None) -> None:
    """Several mails of one case at once (the party key: the first recipient's, unless given)."""
    keys = list(party_keys) if party_keys is not None else [
        email_key(out.recipients[0]) if out.recipients else None for out in mails]
    conn = session.connection()
    conn.execute(insert(OutboxRow.__table__), [  # type: ignore[attr-defined]
        dict(message_id=out.message_id, org_id=org_id, case_id=case_id, purpose=out.purpose.value,
             sender=out.sender, recipients=list(out.recipients), payload=out.payload, status="pending",
             attempts=0, next_attempt_at=now, created_at=now, refused=[])
        for out in mails])
    conn.execute(insert(MessageRow.__table__), [  # type: ignore[attr-defined]
        dict(org_id=org_id, message_id=out.message_id, case_id=case_id, direction=Direction.OUT.value,
             role=out.role.value, purpose=out.purpose.value, outcome="queued", reason="", subject=out.record_subject,
             text="", at=now, party_key=key, attachment_count=0, created_at=now)
        for out, key in zip(mails, keys, strict=True)])


@dataclass(frozen=True)
class Claimed:
    id: int
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    attempts: int  # including this one
    purpose: str = ""
    payload: bytes | None = None  # with the claim when small; else read when sent


@dataclass(frozen=True)
class Delivered:
    """What the server took: every recipient but the refused ones."""

    refused: tuple[dict[str, Any], ...] = ()


def backoff(attempts: int, base: timedelta = BACKOFF_BASE) -> timedelta:
    return min(base * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


def refusal(to: str, code: int, reason: str) -> dict[str, Any]:
    return {"to": to, "code": code, "reason": " ".join(reason.split())[:200]}


class OutboxQueue:
    """Database side of the outbox (blocking; call it from a worker thread)."""

    def __init__(self, store: Store, owner: str, *, max_attempts: int = MAX_ATTEMPTS,
                 retry_base: timedelta = BACKOFF_BASE, journal: SentJournal | None = None) -> None:
        self.store = store
        self.owner = owner
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.journal = journal

    def claim(self, now: datetime, limit: int = CLAIM_BATCH) -> list[Claimed]:
        """Lease up to `limit` due mails to this worker; a mail out of attempts is failed instead.

        What a dead worker's sent journal says was accepted is marked sent first, never claimed.
        Payloads up to `INLINE_PAYLOAD` come with the claim; a larger one is read when it is sent.
        """
        if self.journal is not None:
            self.journal.recover()
        real = real_now()
        t = _T_OUTBOX.c
        live_owner = exists().where(WorkerRow.id == t.lease_owner, WorkerRow.heartbeat_at >= real - STALE)
        with self.store.transaction() as reg:
            s = reg.session
            q = (
                select(t.id, t.message_id, t.sender, t.recipients, t.attempts, t.purpose, t.lease_owner,
                       func.length(t.payload).label("size"))
                .where(t.status == "pending", t.next_attempt_at <= now,
                       or_(t.lease_owner.is_(None), t.lease_until < real, ~live_owner))
                .order_by(t.next_attempt_at, t.id)
                .limit(limit)
            )
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(of=_T_OUTBOX, skip_locked=True)
            rows = list(s.execute(q))
            spent = [r for r in rows if r.attempts >= self.max_attempts]
            take = [r for r in rows if r.attempts < self.max_attempts]
            for r in rows:
                if r.lease_owner is not None:
                    log.info("event=lease_taken_over outbox_id=%s", r.id)
            for r in spent:  # rare: a mail whose every attempt ended with its worker
                s.execute(update(_T_OUTBOX).where(t.id == r.id).values(
                    status="failed", failed_at=now, lease_owner=None, lease_until=None,
                    last_error=(f"gave up after {r.attempts} attempts; the last one did not finish "
                                "(the process may have stopped while sending this mail)")))
            if spent:
                s.execute(update(_T_MESSAGES).where(_T_MESSAGES.c.message_id.in_([r.message_id for r in spent]),
                                                    _T_MESSAGES.c.direction == Direction.OUT.value)
                          .values(outcome="failed"))
                for r in spent:
                    log.warning("event=send_gave_up outbox_id=%s attempts=%d", r.id, r.attempts)
            if not take:
                return []
            s.execute(update(_T_OUTBOX).where(t.id.in_([r.id for r in take])).values(
                attempts=t.attempts + 1, lease_owner=self.owner, lease_until=real + LEASE_MAX))
            small = [r.id for r in take if (r.size or 0) <= INLINE_PAYLOAD]
            payloads = {i: p for i, p in s.execute(select(t.id, t.payload).where(t.id.in_(small)))} if small else {}
            return [Claimed(r.id, r.message_id, r.sender, tuple(r.recipients), r.attempts + 1, r.purpose,
                            bytes(payloads[r.id]) if r.id in payloads else None) for r in take]

    def payload(self, item: Claimed) -> bytes:
        if item.payload is not None:
            return item.payload
        with self.store.transaction(readonly=True) as reg:
            data = reg.session.execute(select(OutboxRow.payload).where(OutboxRow.id == item.id)).scalar_one()
        return bytes(data)

    def sent_many(self, items: list[tuple[Claimed, tuple[dict[str, Any], ...]]], now: datetime) -> int:
        """Record the server's acceptance of several mails in one transaction; returns how many were ours."""
        if not items:
            return 0
        t = _T_OUTBOX.c
        with self.store.transaction(urgent=True) as reg:
            s = reg.session
            plain = [item.id for item, refused in items if not refused]
            done = 0
            if plain:
                done += s.execute(update(_T_OUTBOX).where(t.id.in_(plain), t.lease_owner == self.owner,
                                                          t.status == "pending").values(
                    status="sent", sent_at=now, lease_owner=None, lease_until=None, last_error=None)).rowcount
            for item, refused in items:
                if refused:
                    done += s.execute(update(_T_OUTBOX).where(t.id == item.id, t.lease_owner == self.owner,
                                                              t.status == "pending").values(
                        status="sent", sent_at=now, lease_owner=None, lease_until=None, last_error=None,
                        refused=list(refused))).rowcount
            s.execute(update(_T_MESSAGES).where(
                _T_MESSAGES.c.message_id.in_([item.message_id for item, refused in items if not refused]),
                _T_MESSAGES.c.direction == Direction.OUT.value).values(outcome="sent"))
            for item, refused in items:
                if refused:
                    _mark_message(s, item.message_id, "partly_sent")
        if done < len(items):
            log.warning("event=sent_without_lease count=%d", len(items) - done)
        return int(done)

    def sent(self, item: Claimed, now: datetime, refused: tuple[dict[str, Any], ...] = ()) -> bool:
        """Record the server's acceptance; False when this worker no longer held the mail."""
        with self.store.transaction(urgent=True) as reg:
            done = reg.session.execute(
                update(OutboxRow).where(OutboxRow.id == item.id, OutboxRow.lease_owner == self.owner,
                                        OutboxRow.status == "pending").values(
                    status="sent", sent_at=now, lease_owner=None, lease_until=None, last_error=None,
                    refused=list(refused))
            ).rowcount
            if done:
                _mark_message(reg.session, item.message_id, "sent" if not refused else "partly_sent")
        if not done:
            log.warning("event=sent_without_lease outbox_id=%s", item.id)
        return bool(done)

    def failed(self, item: Claimed, now: datetime, error: str, permanent: bool,
               refused: list[dict[str, Any]] | None = None) -> bool:
        """Record a failed attempt: retried later with backoff, or failed for good. True when given up."""
        give_up = permanent or item.attempts >= self.max_attempts
        with self.store.transaction(urgent=True) as reg:
            values: dict[str, Any] = dict(
                status="failed" if give_up else "pending", lease_owner=None, lease_until=None,
                last_error=error[:500], next_attempt_at=now + backoff(item.attempts, self.retry_base))
            if give_up:
                values["failed_at"] = now
            if refused:
                values["refused"] = refused
            done = reg.session.execute(
                update(OutboxRow).where(OutboxRow.id == item.id, OutboxRow.lease_owner == self.owner,
                                        OutboxRow.status == "pending").values(**values)
            ).rowcount
            if give_up and done:
                _mark_message(reg.session, item.message_id, "failed")
        return give_up

    def release(self, items: list[Claimed]) -> None:
        """Give claimed mails back untouched (an outage, a stop): the attempt does not count."""
        if not items:
            return
        with self.store.transaction(urgent=True) as reg:
            for item in items:
                reg.session.execute(
                    update(OutboxRow).where(OutboxRow.id == item.id, OutboxRow.lease_owner == self.owner,
                                            OutboxRow.status == "pending").values(
                        lease_owner=None, lease_until=None, attempts=OutboxRow.attempts - 1)
                )

    def pending(self) -> int:
        with self.store.transaction(readonly=True) as reg:
            return len(list(reg.session.execute(select(OutboxRow.id).where(OutboxRow.status == "pending"))))


def _mark_message(session: Session, message_id: str, outcome: str) -> None:
    session.execute(update(MessageRow).where(MessageRow.message_id == message_id,
                                             MessageRow.direction == Direction.OUT.value).values(outcome=outcome))


_OUTAGE_ERRORS = (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, aiosmtplib.SMTPHeloError,
                  aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPNotSupported,
                  aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError)
TOO_BIG_NOTE = ("Det ursprungliga meddelandet var för stort för e-postservern och finns i registret. / "
                "The original message was too large for the mail server and is kept in the register.")


class SmtpSender:
    """Sends over one SMTP connection, reopened when it breaks; failures become the error tree."""

    def __init__(self, settings: SmtpSettings, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.env = env
        self.client: aiosmtplib.SMTP | None = None
        self._credentials: Credentials | None = None

    def credentials(self) -> Credentials:
        if self._credentials is None:
            s = self.settings
            self._credentials = credentials_for(s, s.username or "", s.password_env, self.env,
                                                what=f"the SMTP account {s.username}")
        return self._credentials

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        """AUTH with the password, or XOAUTH2 with a token; a refused token is dropped and a new one tried
        once (revoked, or ended before its time) before the login counts as refused."""
        s = self.settings
        creds = self.credentials()
        if not creds.oauth:
            await client.login(s.username or "", creds.password())
            return
        for attempt in (1, 2):
            try:
                token = await asyncio.to_thread(creds.token)
            except TokenError as exc:
                raise SmtpOutage(str(exc)) from None
            try:
                await client.auth_xoauth2(s.username or "", token)
                return
            except aiosmtplib.SMTPAuthenticationError as exc:
                creds.invalidate(token)
                if attempt == 2:
                    raise SmtpOutage(f"SMTP XOAUTH2 login refused for {s.username} at {s.host}:{s.port} "
                                     f"(a new token was refused too; {exc.code})") from None
                log.info("event=token_refused smtp_host=%s retry=new_token", s.host)

    async def connect(self) -> None:
        """Open the connection (greeting, EHLO, STARTTLS, AUTH); any failure is an outage."""
        if self.client is not None and self.client.is_connected:
            return
        s = self.settings
        client = aiosmtplib.SMTP(hostname=s.host, port=s.port, use_tls=s.ssl,
                                 start_tls=s.starttls if not s.ssl else False, timeout=s.timeout_seconds)
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:  # so the extensions (SIZE, 8BITMIME, SMTPUTF8) are known
                await client._ehlo_or_helo_if_needed()
            if s.username:
                await self._login(client)
        except (ConfigError, SmtpOutage):
            client.close()
            raise
        except aiosmtplib.SMTPAuthenticationError as exc:
            client.close()
            raise SmtpOutage(f"SMTP login refused for {s.username} at {s.host}:{s.port} ({exc.code})") from exc
        except (TimeoutError, *_OUTAGE_ERRORS, aiosmtplib.SMTPResponseException, aiosmtplib.SMTPException, OSError,
                ssl.SSLError) as exc:
            client.close()
            raise SmtpOutage(f"{s.host}:{s.port}: {type(exc).__name__}: {str(exc)[:160]}") from exc
        self.client = client

    def _supports(self, extension: str) -> bool:
        return self.client is not None and self.client.supports_extension(extension)

    def _max_size(self) -> int | None:
        if self.client is None:
            return None
        value = self.client.esmtp_extensions.get("size", "")
        return int(value) if value and value.strip().isdigit() and int(value) > 0 else None

    async def send(self, sender: str, recipients: tuple[str, ...], payload: bytes) -> Delivered:
        """Send one mail; returns the refused recipients when only some were refused."""
        fresh = self.client is None or not self.client.is_connected
        await self.connect()
        assert self.client is not None
        refused: list[dict[str, Any]] = []
        wire: list[str] = []
        utf8 = False
        for rcpt in dict.fromkeys(recipients):
            try:
                checked = addresses.check(rcpt)
            except addresses.BadAddress as exc:
                refused.append(refusal(rcpt, 0, f"not sent: {exc}"))
                continue
            if checked.needs_smtputf8 and not self._supports("smtputf8"):
                refused.append(refusal(rcpt, 0, "not sent: a non-ASCII address needs SMTPUTF8, "
                                                "which the server does not offer"))
                continue
            utf8 = utf8 or checked.needs_smtputf8
            wire.append(checked.address)
        if not wire:
            raise PermanentDelivery("no recipient the server can take", refused)
        payload = self._fit(payload)
        options = []
        if utf8:
            options.append("SMTPUTF8")
        if mime.has_8bit(payload) and self._supports("8bitmime"):
            options.append("BODY=8BITMIME")
        try:
            try:
                errors, _ = await self.client.sendmail(addresses.check(sender).address, wire, payload,
                                                       mail_options=options)
            except aiosmtplib.SMTPServerDisconnected:
                if fresh:
                    raise
                await self._drop()  # a kept connection the server had closed meanwhile: once more on a new one
                await self.connect()
                assert self.client is not None
                errors, _ = await self.client.sendmail(addresses.check(sender).address, wire, payload,
                                                       mail_options=options)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self._reset()
            refused += [refusal(e.recipient, e.code, e.message) for e in exc.recipients]
            if all(500 <= e.code < 600 for e in exc.recipients):
                raise PermanentDelivery(f"every recipient refused ({_codes(exc.recipients)})", refused) from exc
            raise TransientDelivery(f"recipients refused for now ({_codes(exc.recipients)})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            if exc.code == 421:  # the server is closing the connection: try again later
                raise TransientDelivery(f"SMTP 421: {exc.message[:200]}") from exc
            if 500 <= exc.code < 600:
                raise PermanentDelivery(f"SMTP {exc.code}: {exc.message[:200]}", refused) from exc
            raise TransientDelivery(f"SMTP {exc.code}: {exc.message[:200]}") from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError, ssl.SSLError, UnicodeError) as exc:
            await self._drop()
            if isinstance(exc, UnicodeError):
                raise PermanentDelivery(f"cannot encode the mail for SMTP: {type(exc).__name__}", refused) from exc
            raise TransientDelivery(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        for rcpt, response in (errors or {}).items():
            refused.append(refusal(rcpt, response.code, response.message))
        if refused:
            log.warning("event=recipients_refused count=%d", len(refused))
        return Delivered(tuple(refused))

    def _fit(self, payload: bytes) -> bytes:
        """The mail shaped for this server: 7-bit without 8BITMIME, without the original above SIZE."""
        if mime.has_8bit(payload) and not self._supports("8bitmime"):
            payload = mime.original_as_base64(payload)
        limit = self._max_size()
        if limit is not None and len(payload) > limit:
            payload = mime.without_original(payload, TOO_BIG_NOTE)
            if len(payload) > limit:
                raise PermanentDelivery(f"the mail ({len(payload)} bytes) is larger than the server takes ({limit})")
        return payload

    async def _reset(self) -> None:
        """After a refused transaction: RSET, or a new connection next time."""
        if self.client is not None and self.client.is_connected:
            try:
                await self.client.rset()
                return
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                pass
        await self._drop()

    async def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                client.close()


def _codes(errors: list[Any]) -> str:
    return ", ".join(str(e.code) for e in errors)


@dataclass
class DrainResult:
    """What one drain did; `outage` says why the server could not be used at all."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    outage: str | None = None
    failures: list[str] = field(default_factory=list)


async def drain(queue_: OutboxQueue, senders: SmtpSender | list[SmtpSender], clock: Clock, *,
                limit: int | None = None, stop: asyncio.Event | None = None, close: bool = True) -> DrainResult:
    """Send what is due now over one or more SMTP connections (at most `limit` mails).

    `close=False` keeps the connections open for the next drain (the service's loop).
    """
    pool = senders if isinstance(senders, list) else [senders]
    result = DrainResult()
    try:
        try:
            await pool[0].connect()  # a server that cannot be used is an outage: nothing is claimed
        except SmtpOutage as exc:
            result.outage = str(exc)
            return result
        while limit is None or result.sent + result.failed < limit:
            if stop is not None and stop.is_set():
                break
            want = CLAIM_BATCH * len(pool) if limit is None else min(CLAIM_BATCH * len(pool),
                                                                       limit - result.sent - result.failed)
            batch = await asyncio.to_thread(queue_.claim, clock.now(), want)
            if not batch:
                break
            todo: asyncio.Queue[Claimed] = asyncio.Queue()
            for item in batch:
                todo.put_nowait(item)
            outages = await asyncio.gather(*(_send_some(queue_, s, clock, todo, result, stop) for s in pool))
            left = []
            while not todo.empty():
                left.append(todo.get_nowait())
            await asyncio.to_thread(queue_.release, left)
            if all(o is not None for o in outages):
                result.outage = next(o for o in outages if o)
                break
            # each mail of the batch was sent, failed or rescheduled: the next claim takes new ones
    finally:
        if close:
            for s in pool:
                await s.close()
    return result


async def _send_some(queue_: OutboxQueue, sender: SmtpSender, clock: Clock, todo: asyncio.Queue[Claimed],
                     result: DrainResult, stop: asyncio.Event | None) -> str | None:
    """One connection's share of a batch: send, record each acceptance before the next; the outage if any."""
    marks: list[tuple[Claimed, tuple[dict[str, Any], ...]]] = []
    try:
        return await _send_loop(queue_, sender, clock, todo, result, stop, marks)
    finally:
        await _flush_marks(queue_, marks, clock)


async def _send_loop(queue_: OutboxQueue, sender: SmtpSender, clock: Clock, todo: asyncio.Queue[Claimed],
                     result: DrainResult, stop: asyncio.Event | None,
                     marks: list[tuple[Claimed, tuple[dict[str, Any], ...]]]) -> str | None:
    while not todo.empty():
        if stop is not None and stop.is_set():
            return None
        item = todo.get_nowait()
        try:
            payload = item.payload if item.payload is not None else await asyncio.to_thread(queue_.payload, item)
            delivered = await sender.send(item.sender, item.recipients, payload)
        except SmtpOutage as exc:
            await asyncio.to_thread(queue_.release, [item])
            return str(exc)
        except (TransientDelivery, PermanentDelivery) as exc:
            permanent = isinstance(exc, PermanentDelivery)
            refused = exc.refused if isinstance(exc, PermanentDelivery) else None
            gave_up = await asyncio.to_thread(queue_.failed, item, clock.now(), str(exc), permanent, refused)
            log.warning("event=send_failed outbox_id=%s permanent=%s attempts=%d error=%s", item.id, gave_up,
                        item.attempts, type(exc.__cause__).__name__ if exc.__cause__ else type(exc).__name__)
            if gave_up:
                result.failed += 1
                result.failures.append(str(exc)[:200])
            else:
                result.retried += 1
            continue
        result.sent += 1
        log.info("event=sent outbox_id=%s purpose=%s", item.id, item.purpose)
        if queue_.journal is not None and queue_.journal.writable:
            queue_.journal.accepted(item.id)  # at once: a kill from here on repeats nothing
            marks.append((item, delivered.refused))
            if len(marks) >= MARK_BATCH:
                await _flush_marks(queue_, marks, clock)
            continue
        await asyncio.to_thread(queue_.sent, item, clock.now(), delivered.refused)  # no journal: mark each at once
    return None


async def _flush_marks(queue_: OutboxQueue, marks: list[tuple[Claimed, tuple[dict[str, Any], ...]]],
                       clock: Clock) -> None:
    """Record journaled acceptances in the database; what fails stays in the journal for the next claim."""
    items, marks[:] = list(marks), []
    if not items:
        return
    try:
        await asyncio.to_thread(queue_.sent_many, items, clock.now())
    except StoreError:
        if queue_.journal is not None:
            queue_.journal.unmarked.update(item.id for item, _ in items)
        raise
