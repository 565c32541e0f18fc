"""Deadlines over real servers: reminder, escalation to the head, to the director, the delay notice.

The clock is moved with `run --once --now` (in process); every pass is repeated
to show it sends nothing twice, and a pass at night sends nothing at all.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # Monday 2 March 2026


def at(month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def purposes(world: World, address: str) -> list[str]:
    return [str(m["X-Mailflow-Purpose"]) for m in world.mailbox(address)]


async def step(world: World, now: datetime) -> int:
    """One pass at `now` and a repeat of it; returns the deadline mails of the first."""
    first = await world.run_once(now)
    again = await world.run_once(now)
    assert again.deadline_mails == 0, f"repeat pass at {now} queued mail again"
    return first.deadline_mails


async def test_nacka_case_walks_through_reminder_escalations_and_delay_notices(world: World) -> None:
    citizen = "marta.sjogren@kund.example.se"
    manager = "enhetschef.sofiero@nacka.example.se"
    head = "verksamhetschef.aldre@nacka.example.se"
    director = "direktor.valfard@nacka.example.se"
    world.deliver(mails.NACKA, mails.html_only_complaint(mails.mid()), ARRIVAL)
    await world.run_once(at(3, 2, 10))
    case = world.case("NK-2026-0001")
    assert (case["first_response_due"], case["feedback_due"]) == ("2026-03-09", "2026-03-16")

    assert await step(world, at(3, 5, 16)) == 0  # two working days before: too early
    assert await step(world, at(3, 6, 7, 59)) == 0  # the reminder day, before working hours
    assert await step(world, at(3, 6, 8, 0)) == 1  # Friday: one working day before Monday's deadline
    assert purposes(world, manager) == ["forward", "reminder"]
    [reminder] = [m for m in world.mailbox(manager) if m["X-Mailflow-Purpose"] == "reminder"]
    assert "[NK-2026-0001]" in reminder["Subject"]
    assert "måndag 9 mars 2026" in reminder.get_body(("plain",)).get_content()

    assert await step(world, at(3, 9, 23, 0)) == 0  # the deadline passes tonight: nothing at night
    assert await step(world, at(3, 10, 8, 0)) == 2  # the working morning after: head + citizen
    assert purposes(world, head) == ["escalation"]
    escalation = world.mailbox(head)[0]
    assert {mails.NACKA_REGISTRAR, manager} <= {a.strip().lower() for a in str(escalation["Cc"]).split(",")}
    notice = [m for m in world.mailbox(citizen) if m["X-Mailflow-Purpose"] == "delay_notice"]
    assert len(notice) == 1
    text = notice[0].get_body(("plain",)).get_content()
    assert world.org("nacka").policy.delay_reason in text  # why
    assert "Birgitta Olsson" in text  # who handles it now
    assert world.org("nacka").contact.phone in text
    assert world.case("NK-2026-0001")["escalation_level"] == 1

    assert await step(world, at(3, 23, 12)) == 0  # ten working days after the deadline: not yet
    assert await step(world, at(3, 24, 8, 0)) == 2  # then the director, and the citizen again
    assert purposes(world, director) == ["escalation"]
    assert len([m for m in world.mailbox(citizen) if m["X-Mailflow-Purpose"] == "delay_notice"]) == 2
    case = world.case("NK-2026-0001")
    assert case["escalation_level"] == 2
    steps = [e["detail"]["key"] for e in case["events"] if e["kind"] in ("reminder", "escalation", "delay_notice")]
    assert steps == ["reminder", "escalation:1", "delay_notice:1", "escalation:2", "delay_notice:2"]
    assert await step(world, at(5, 4, 9)) == 0  # nothing beyond the director


async def test_norrmalm_case_escalates_across_easter_without_notifying_the_citizen(world: World) -> None:
    citizen = "asa.oberg@example.com"
    manager = "enhetschef.hemtjanst.norrmalm@stockholm.example.se"
    head = "avdelningschef.aldre.norrmalm@stockholm.example.se"
    director = "stadsdelsdirektor.norrmalm@stockholm.example.se"
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    await world.run_once(at(3, 2, 10))
    assert world.case("NM-2026-0001")["feedback_due"] == "2026-03-20"

    assert await step(world, at(3, 17, 12)) == 0
    assert await step(world, at(3, 18, 9)) == 1  # two working days ahead
    assert purposes(world, manager) == ["forward", "reminder"]
    assert await step(world, at(3, 21, 9)) == 0  # Saturday after the deadline
    assert await step(world, at(3, 23, 8)) == 1  # Monday morning: the head
    assert purposes(world, head) == ["escalation"]
    # a further 14 working days, Good Friday and Easter Monday closed: 13 April, so 14 April
    assert await step(world, at(4, 13, 16)) == 0
    assert await step(world, at(4, 14, 8)) == 1
    assert purposes(world, director) == ["escalation"]
    assert [m["X-Mailflow-Purpose"] for m in world.mailbox(citizen)] == ["ack"]  # no delay notices here


async def test_an_answered_case_gets_no_reminder(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    await world.run_once(at(3, 2, 10))
    forward = world.mailbox("enhetschef.hemtjanst.norrmalm@stockholm.example.se")[0]
    answer = mails.build(frm="enhetschef.hemtjanst.norrmalm@stockholm.example.se", to="asa.oberg@example.com",
                         cc=mails.NORRMALM_REGISTRAR, subject="SV: " + str(forward["Subject"]),
                         in_reply_to=forward["Message-ID"].strip("<>"), body="Vi har åtgärdat det.\n")
    world.deliver(mails.NORRMALM_REGISTRAR, answer, at(3, 10, 11))
    await world.run_once(at(3, 10, 12))
    assert world.case("NM-2026-0001")["status"] == "answered"
    for now in (at(3, 18, 9), at(3, 23, 8), at(4, 14, 8)):
        assert await step(world, now) == 0


async def test_a_providers_report_is_requested_chased_and_then_stops(world: World) -> None:
    provider = "kvalitet@omsorgsgruppen.example.se"
    world.deliver(mails.NORRMALM, mails.build(subject="Omsorgsgruppen",
                                             body="Hemtjänsten från Omsorgsgruppen har slarvat hos min pappa.\n"),
                  ARRIVAL)
    await world.run_once(at(3, 2, 10))
    case = world.case("NM-2026-0001")
    assert case["status"] == "awaiting_report" and "external_provider" in case["flags"]
    assert any(e["kind"] == "report_requested" and e["detail"]["due"] == "2026-03-18" for e in case["events"])
    assert await step(world, at(3, 17, 9)) >= 1  # reminder before the report is due
    assert purposes(world, provider) == ["forward", "reminder"]
    assert await step(world, at(3, 19, 8)) >= 1  # the morning after: chased, the manager in CC
    chases = [m for m in world.mailbox(provider) if provider in str(m["To"]) and m["X-Mailflow-Purpose"] != "forward"
              and "enhetschef.hemtjanst.norrmalm@stockholm.example.se" in str(m["Cc"])]
    assert len(chases) == 1  # to the provider, the responsible manager in CC
    [forward] = [m for m in world.mailbox(provider) if m["X-Mailflow-Purpose"] == "forward"]
    report = mails.build(frm=provider, to=mails.NORRMALM_REGISTRAR, subject="SV: " + str(forward["Subject"]),
                         in_reply_to=forward["Message-ID"].strip("<>"), body="Redogörelse: åtgärdat.\n")
    world.deliver(mails.NORRMALM_REGISTRAR, report, at(3, 19, 10))
    await world.run_once(at(3, 19, 11))
    assert world.case("NM-2026-0001")["status"] == "open"
    before = len(world.mailbox(provider))
    await world.run_once(at(4, 2, 9))  # the report track has stopped
    assert len(world.mailbox(provider)) == before
