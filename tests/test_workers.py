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
