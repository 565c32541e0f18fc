"""Hostile mail through the whole service over the real Dovecot and SMTP listener.

A seeded property test APPENDs batches of mutated messages (NUL bytes, broken
boundaries, unknown and lying charsets, raw 8-bit headers, truncation, deep
nesting, garbage) and runs a pass: every message the server accepted is
recorded (registered, screened, or quarantined with its reason), the folder is
emptied, and a well-formed complaint sent after the batch is registered and
acknowledged. The heavy shapes (30 MB, 10,000 parts, a 1 MB header line) get
a test of their own, with `max_message_bytes` quarantining the oversized one.
"""

from __future__ import annotations

import asyncio
import imaplib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mailflow.adapters.tables import ImapUidRow, MessageRow
from mailflow.testing.dovecot import Dovecot
from mailflow.testing.smtpsink import SmtpSink
from tests import hostile, mails
from tests.conftest import World

pytestmark = pytest.mark.integration


@pytest.fixture
def hostile_world(tmp_path: Path, dovecot: Dovecot, smtp: SmtpSink, sqlite_url: str) -> Iterator[World]:
    w = World(tmp_path, dovecot, smtp, sqlite_url, service_overrides={"ack_limit_per_day": 100_000})
    yield w
    w.close()


def append(world: World, raw: bytes) -> bool:
    """APPEND as an MTA would deliver; False when Dovecot refuses the bytes (NUL in a literal, say)."""
    try:
        world.deliver(mails.NORRMALM, raw)
        return True
    except (RuntimeError, imaplib.IMAP4.error):
        return False


def counts(world: World) -> tuple[int, int]:
    with world.store.transaction() as reg:
        uids = reg.session.execute(select(func.count(ImapUidRow.id)).where(
            ImapUidRow.mailbox == "norrmalm:complaints")).scalar_one()
        bad = reg.session.execute(select(func.count(MessageRow.id)).where(
            MessageRow.outcome == "quarantined", MessageRow.reason == "")).scalar_one()
    return uids, bad


@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31))
def test_every_hostile_message_is_recorded_and_the_service_goes_on(hostile_world: World, seed: int) -> None:
    world = hostile_world
    before, _ = counts(world)
    accepted = sum(append(world, hostile.mutated(seed, n)[0]) for n in range(12))
    canary = f"kanarie-{uuid.uuid4().hex[:8]}@example.com"
    assert append(world, mails.build(frm=f"Kanarie <{canary}>", subject="Hemtjänsten kom inte"))
    report = asyncio.run(world.run_once())
    after, unexplained = counts(world)
    assert after - before == accepted + 1  # each message the server took is on record, once
    assert unexplained == 0  # every quarantine has its reason
    assert world.mailbox(mails.NORRMALM) == []  # nothing left behind, nothing stuck
    assert report.mailbox_errors == [] and report.smtp_outage is None
    acks = [r for r in world.sent() if canary in r.rcpt_tos]
    assert len(acks) == 1  # the complaint after the batch was acknowledged


async def test_heavy_messages_are_registered_or_quarantined_and_nothing_waits_behind_them(make_world) -> None:  # type: ignore[no-untyped-def]
    world: World = make_world({}, service={"max_message_bytes": 20 * 1024 * 1024})
    heavy = {
        "30 MB": hostile.large(1, megabytes=30),
        "10,000 parts": hostile.many_parts(2),
        "1 MB header line": hostile.huge_header_line(3),
        "10-deep nesting": hostile.deep_nesting(hostile.plain(4), __import__("random").Random(4), depth=10),
    }
    for raw in heavy.values():
        world.deliver(mails.NORRMALM, raw)
    world.deliver(mails.NORRMALM, mails.build())
    report = await world.run_once()
    assert sum(report.outcomes.values()) == 5
    too_large = [q for q in report.quarantined if "too large" in q]
    assert len(too_large) == 1 and "max_message_bytes" in too_large[0]
    assert world.mailbox(mails.NORRMALM) == []
    assert len(world.mailbox("asa.oberg@example.com")) == 1
    [big] = world.mailbox(mails.NORRMALM, "Quarantine")
    assert str(big["Subject"]).startswith("Stor bilaga")  # kept whole in the mailbox, unread by mailflow
    with world.store.transaction() as reg:
        reasons = list(reg.session.execute(select(MessageRow.reason).where(MessageRow.outcome == "quarantined")).scalars())
    assert all(reasons)
