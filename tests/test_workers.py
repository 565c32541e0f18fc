"""Several workers against one PostgreSQL database share the work: no double case, no double mail."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailflow.clock import FixedClock
from mailflow.service import Service
from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def pg_world(make_world, db_url: str) -> World:  # type: ignore[no-untyped-def]
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL")
    return make_world({}, db_url=db_url)  # type: ignore[no-any-return]


async def test_two_workers_on_one_mailbox_register_each_message_once(pg_world: World) -> None:
    world = pg_world
    arrival = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    for n in range(15):
        world.deliver(mails.NORRMALM, mails.build(frm=f"Person {n} <person{n}@example.com>",
                                                 subject=f"Hemtjänsten {n}",
                                                 body=f"Hemtjänsten kom inte i dag ({n}).\n"), arrival)
    clock = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=TZ))
    workers = [Service(world.config, world.store, clock, env=world.env) for _ in range(2)]
    reports = await asyncio.gather(*(w.run_once() for w in workers))

    outcomes = Counter()  # type: ignore[var-annotated]
    for r in reports:
        outcomes.update(r.outcomes)
    assert outcomes["registered"] == 15  # the rest, if any, were seen as duplicates
    assert set(outcomes) <= {"registered", "duplicate"}  # nothing quarantined by the race
    refs = sorted(c["ref"] for c in world.cases())
    assert refs == [f"NM-2026-{n:04d}" for n in range(1, 16)]  # gap-free, no double
    acks = Counter(rcpt for item in world.sent() for rcpt in item.rcpt_tos if rcpt.startswith("person"))
    assert len(acks) == 15 and set(acks.values()) == {1}
    assert world.mailbox(mails.NORRMALM) == []
    assert len(world.mailbox(mails.NORRMALM, "Processed")) == 15


async def test_three_workers_at_the_same_moment_send_each_digest_and_reminder_once(make_world, db_url: str) -> None:  # type: ignore[no-untyped-def]
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL")
    world: World = make_world({}, db_url=db_url, service={"digest_time": "07:30"})
    world.deliver(mails.NORRMALM, mails.build(), datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    await world.run_once(datetime(2026, 3, 2, 10, 0, tzinfo=TZ))
    before = len(world.sent())
    # a working morning when the reminder is due (two working days before the deadline) and the digest too
    clock = FixedClock(datetime(2026, 3, 18, 9, 0, tzinfo=TZ))
    workers = [Service(world.config, world.store, clock, env=world.env) for _ in range(3)]
    reports = await asyncio.gather(*(w.run_once() for w in workers))
    assert sum(r.digests for r in reports) == 2  # one per organization, whoever queued it
    purposes = Counter(item.data.split(b"X-Mailflow-Purpose: ", 1)[1].split(b"\r\n", 1)[0].decode()
                       for item in world.sent()[before:] if b"X-Mailflow-Purpose: " in item.data)
    assert purposes["digest"] == 2
    assert purposes["reminder"] == 1
