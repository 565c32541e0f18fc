"""The outbox: mails queued in the case's transaction, sent later, safe to repeat.

A row is claimed with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
workers share the work), sent with aiosmtplib, then marked sent. A transient
failure (4xx, connection trouble) retries with exponential backoff; a
permanent one (5xx) marks the row failed for the digest. The only window for a
second delivery is a crash between the SMTP server's acceptance and the
"sent" commit; the mail then goes again with the same Message-ID, which mail
clients collapse.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import aiosmtplib
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mailflow.adapters.tables import MessageRow, OutboxRow
from mailflow.clock import Clock
from mailflow.config import SmtpSettings, secret
from mailflow.errors import PermanentDelivery, TransientDelivery
from mailflow.model import Direction, OutMail

if TYPE_CHECKING:
    from mailflow.adapters.store import Store

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=2)


def queue(session: Session, out: OutMail, *, org_id: str, case_id: int | None, now: datetime,
          party_key: str | None) -> None:
    """Add the mail to the outbox and to the case's timeline, inside the caller's transaction."""
    session.add(
        OutboxRow(
            message_id=out.message_id, org_id=org_id, case_id=case_id, purpose=out.purpose.value,
            sender=out.sender, recipients=list(out.recipients), payload=out.payload, status="pending",
            attempts=0, next_attempt_at=now, created_at=now,
        )
    )
    session.add(
        MessageRow(
            org_id=org_id, message_id=out.message_id, case_id=case_id, direction=Direction.OUT.value,
            role=out.role.value, purpose=out.purpose.value, outcome="queued", subject=out.record_subject,
            text="", at=now, party_key=party_key, created_at=now,
        )
    )


@dataclass(frozen=True)
class Claimed:
    id: int
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    payload: bytes
    attempts: int


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


class OutboxQueue:
    """Database side of the outbox (blocking; call it from a worker thread)."""

    def __init__(self, store: Store, owner: str) -> None:
        self.store = store
        self.owner = owner

    def claim(self, now: datetime, limit: int = 20) -> list[Claimed]:
        with self.store.transaction() as reg:
            s = reg.session
            q = (
                select(OutboxRow)
                .where(
                    OutboxRow.status == "pending",
                    OutboxRow.next_attempt_at <= now,
                    or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
                )
                .order_by(OutboxRow.id)
                .limit(limit)
            )
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = list(s.execute(q).scalars())
            for row in rows:
                row.lease_until = now + LEASE
                row.lease_owner = self.owner
            return [Claimed(r.id, r.message_id, r.sender, tuple(r.recipients), r.payload, r.attempts)
                    for r in rows if r.id is not None]

    def sent(self, item: Claimed, now: datetime) -> None:
        with self.store.transaction() as reg:
            reg.session.execute(
                update(OutboxRow).where(OutboxRow.id == item.id).values(
                    status="sent", sent_at=now, attempts=item.attempts + 1, lease_until=None, last_error=None)
            )
            reg.session.execute(
                update(MessageRow).where(MessageRow.message_id == item.message_id,
                                         MessageRow.direction == Direction.OUT.value).values(outcome="sent")
            )

    def failed(self, item: Claimed, now: datetime, error: str, permanent: bool) -> None:
        attempts = item.attempts + 1
        give_up = permanent or attempts >= MAX_ATTEMPTS
        with self.store.transaction() as reg:
            reg.session.execute(
                update(OutboxRow).where(OutboxRow.id == item.id).values(
                    status="failed" if give_up else "pending", attempts=attempts, lease_until=None,
                    last_error=error[:500], next_attempt_at=now + backoff(attempts))
            )
            if give_up:
                reg.session.execute(
                    update(MessageRow).where(MessageRow.message_id == item.message_id,
                                             MessageRow.direction == Direction.OUT.value).values(outcome="failed")
                )

    def pending(self) -> int:
        with self.store.transaction() as reg:
            return len(list(reg.session.execute(select(OutboxRow.id).where(OutboxRow.status == "pending"))))


class SmtpSender:
    """Sends over one SMTP connection, reopened when it breaks; failures become the error tree."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        client = aiosmtplib.SMTP(hostname=s.host, port=s.port, use_tls=s.ssl,
                                 start_tls=s.starttls if not s.ssl else False, timeout=s.timeout_seconds)
        await client.connect()
        if s.username:
            await client.login(s.username, secret(s.password_env, what="the SMTP server"))
        return client

    async def send(self, sender: str, recipients: tuple[str, ...], payload: bytes) -> None:
        try:
            if self.client is None or not self.client.is_connected:
                self.client = await self._connect()
            refused, _ = await self.client.sendmail(sender, list(recipients), payload)
            if refused:
                log.warning("event=recipients_refused count=%d", len(refused))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [e.code for e in exc.recipients]
            await self._reset()
            if all(500 <= c < 600 for c in codes):
                raise PermanentDelivery(f"recipients refused ({', '.join(map(str, codes))})") from exc
            raise TransientDelivery(f"recipients refused ({', '.join(map(str, codes))})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            if 500 <= exc.code < 600:
                raise PermanentDelivery(f"SMTP {exc.code}: {exc.message[:200]}") from exc
            raise TransientDelivery(f"SMTP {exc.code}: {exc.message[:200]}") from exc
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, asyncio.TimeoutError) as exc:
            await self._drop()
            raise TransientDelivery(f"{type(exc).__name__}: {str(exc)[:200]}") from exc

    async def _reset(self) -> None:
        """After a refused transaction: RSET, or a new connection next time."""
        if self.client is not None and self.client.is_connected:
            try:
                await self.client.rset()
                return
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
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
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                client.close()


async def drain(queue_: OutboxQueue, senders: SmtpSender | list[SmtpSender], clock: Clock, *,
                limit: int | None = None) -> tuple[int, int]:
    """Send what is due now over one or more SMTP connections (at most `limit`); returns (sent, failed)."""
    pool = senders if isinstance(senders, list) else [senders]
    sent = failed = 0
    try:
        while limit is None or sent + failed < limit:
            batch = await asyncio.to_thread(queue_.claim, clock.now(), 20 * len(pool))
            if not batch:
                break
            todo: asyncio.Queue[Claimed] = asyncio.Queue()
            for item in batch:
                todo.put_nowait(item)
            results = await asyncio.gather(*(_send_some(queue_, s, clock, todo) for s in pool))
            batch_sent = sum(r[0] for r in results)
            sent += batch_sent
            failed += sum(r[1] for r in results)
            if not batch_sent:
                break  # the server is down; the retry schedule takes over
    finally:
        for s in pool:
            await s.close()
    return sent, failed


async def _send_some(queue_: OutboxQueue, sender: SmtpSender, clock: Clock,
                     todo: asyncio.Queue[Claimed]) -> tuple[int, int]:
    """One connection's share of a batch: send, then record each mail as sent before the next."""
    sent = failed = 0
    while not todo.empty():
        item = todo.get_nowait()
        try:
            await sender.send(item.sender, item.recipients, item.payload)
        except (TransientDelivery, PermanentDelivery) as exc:
            permanent = isinstance(exc, PermanentDelivery)
            await asyncio.to_thread(queue_.failed, item, clock.now(), str(exc), permanent)
            log.warning("event=send_failed outbox_id=%s permanent=%s error=%s", item.id, permanent,
                        type(exc.__cause__).__name__ if exc.__cause__ else "")
            failed += 1
            continue
        await asyncio.to_thread(queue_.sent, item, clock.now())
        log.info("event=sent outbox_id=%s", item.id)
        sent += 1
    return sent, failed
