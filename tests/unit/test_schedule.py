"""The deadline job against dates anyone can check in a Swedish calendar for 2026.

Nacka: first response 5 working days, feedback 10, reminder 1 ahead, the citizen
told of delays. Norrmalm: feedback 14 working days, reminder 2 ahead, no notice.
Working hours 08:00-17:00 Europe/Stockholm.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import pytest

from mailflow.adapters.templates import Templates
from mailflow.config import Config, Organization, load
from mailflow.deadlines import WorkCalendar, case_deadlines
from mailflow.model import CaseRecord, Kind, Purpose, Status
from mailflow.schedule import (
    Action,
    configured_hours,
    done_keys,
    due_actions,
    next_window_start,
    report_due,
    send_window,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG: Config = load(ROOT / "config" / "mailflow.toml", env={})
NACKA = CONFIG.org("nacka")
NORRMALM = CONFIG.org("norrmalm")
TZ = CONFIG.org_timezone(NACKA)
CAL = WorkCalendar("SE", tz=TZ)
HOURS = configured_hours(CONFIG.service)
TEMPLATES = Templates(ROOT / "templates")


def at(m: int, d: int, hh: int = 10, mm: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def make_case(org: Organization, unit_id: str | None, received: datetime, **over: Any) -> CaseRecord:
    unit = org.unit(unit_id)
    anonymous = "anonymous" in over.get("flags", ())
    p = org.policy
    dl = case_deadlines(
        CAL, received,
        first_response_working_days=p.first_response_working_days,
        feedback_working_days=p.feedback_working_days,
        needs_feedback=not anonymous or p.anonymous_requires_feedback,
    )
    fields: dict[str, Any] = dict(
        ref=f"{org.case_prefix}-2026-0001", org_id=org.id, kind=Kind.COMPLAINT, flags=(), channel="email",
        language="sv", unit_id=unit_id, department_id=unit.department if unit else None,
        manager=unit.manager if unit else None, handler=unit.manager if unit else org.registrar,
        handler_role="unit" if unit else "triage", status=Status.OPEN, triage=None if unit else "no unit matched",
        received_at=received, first_response_due=dl.first_response_due, feedback_due=dl.feedback_due,
        report_due=None, feedback_at=None, report_at=None, closed_at=None, escalation_level=0,
        summary="Klagomål på maten på boendet",
    )
    fields.update(over)
    return CaseRecord(**fields)


def due(case: CaseRecord, now: datetime, done: set[str] | frozenset[str] = frozenset()) -> list[Action]:
    org = CONFIG.org(case.org_id)
    return due_actions(case, org, CAL, now, frozenset(done), HOURS)


def keys(actions: list[Action]) -> list[str]:
    return [a.key for a in actions]


# Nacka, Sofiero: arrives Monday 2 March 10:00. First response by Monday 9 March
# (3, 4, 5, 6, 9 March), feedback by Monday 16 March.
NK = make_case(NACKA, "sofiero", at(3, 2))
# Norrmalm, Sabbatsberg: arrives Monday 2 March. Feedback by Friday 20 March (14 working days).
NM = make_case(NORRMALM, "sabbatsberg", at(3, 2))


def test_the_example_cases_have_the_deadlines_the_calendar_gives() -> None:
    assert (NK.first_response_due, NK.feedback_due) == (date(2026, 3, 9), date(2026, 3, 16))
    assert NM.feedback_due == date(2026, 3, 20)


# -- the send window ------------------------------------------------------------


@pytest.mark.parametrize(
    "now, inside",
    [
        (at(3, 6, 8, 0), True),
        (at(3, 6, 7, 59), False),
        (at(3, 6, 16, 59), True),
        (at(3, 6, 17, 0), False),
        (at(3, 7, 10), False),  # a Saturday
        (at(6, 19, 10), False),  # midsommarafton
        (at(12, 24, 10), False),  # julafton
        (at(4, 3, 10), False),  # långfredagen
        (datetime(2026, 3, 6, 7, 30, tzinfo=timezone.utc), True),  # 08:30 in Stockholm
    ],
)
def test_send_window_is_working_hours_on_working_days(now: datetime, inside: bool) -> None:
    assert (send_window(now, CAL, *HOURS) is not None) is inside


def test_send_window_gives_the_day_it_is_in() -> None:
    assert send_window(at(3, 6, 12), CAL, *HOURS) == (at(3, 6, 8), at(3, 6, 17))


@pytest.mark.parametrize(
    "now, opens",
    [
        (at(3, 6, 12), at(3, 6, 12)),  # inside: now
        (at(3, 6, 6, 30), at(3, 6, 8)),  # early morning: today at 08:00
        (at(3, 6, 17), at(3, 9, 8)),  # Friday evening: Monday morning
        (at(3, 20, 23), at(3, 23, 8)),
        (at(4, 2, 23), at(4, 7, 8)),  # Maundy Thursday night: Tuesday after Easter
        (at(6, 18, 23), at(6, 22, 8)),  # before midsommarafton: Monday
        (at(12, 23, 23), at(12, 28, 8)),  # before Christmas: Monday 28 December
    ],
)
def test_next_window_start(now: datetime, opens: datetime) -> None:
    assert next_window_start(now, CAL, *HOURS) == opens


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError):
        due(NK, datetime(2026, 3, 6, 10))


# -- report deadlines -------------------------------------------------------------


def test_report_is_due_two_working_days_before_the_feedback_deadline() -> None:
    assert report_due(CAL, at(3, 2), NORRMALM.policy) == date(2026, 3, 18)  # 20 March - 2
    assert report_due(CAL, at(3, 2), NACKA.policy) == date(2026, 3, 12)  # 16 March - 2


def test_report_deadline_from_config() -> None:
    policy = NORRMALM.policy.model_copy(update={"report_working_days": 5})
    assert report_due(CAL, at(3, 2), policy) == date(2026, 3, 9)
    assert report_due(CAL, at(3, 2, 17, 30), policy) == date(2026, 3, 10)  # after hours: from Tuesday


# -- Nacka: first response 5 wd, remind 1 ahead, citizen told ----------------------


def test_nacka_nothing_before_the_reminder_day() -> None:
    assert due(NK, at(3, 2, 11)) == []
    assert due(NK, at(3, 5, 16, 59)) == []


def test_nacka_reminder_on_its_day_inside_working_hours() -> None:
    assert due(NK, at(3, 6, 7, 59)) == []
    [a] = due(NK, at(3, 6, 8, 0))
    assert (a.key, a.purpose, a.level) == ("reminder", Purpose.REMINDER, 0)
    assert a.to == ("enhetschef.sofiero@nacka.example.se",)
    assert a.cc == () and a.supersedes == ()
    assert a.template == "reminder" and a.language == "sv"
    assert a.reply_to_citizen and a.reply_to == ("registrator.valfard@nacka.example.se",)
    assert a.context["deadline"] == date(2026, 3, 9) and a.context["about"] == "first_response"
    assert a.context["days_left"] == 1 and a.context["overdue_working_days"] == 0
    assert a.context["recipient_name"] == "Camilla Ström"
    assert due(NK, at(3, 6, 17, 0)) == []
    assert due(NK, at(3, 7, 10)) == []  # Saturday


def test_nacka_reminder_still_goes_out_on_the_deadline_day_if_missed() -> None:
    [a] = due(NK, at(3, 9, 9))
    assert a.key == "reminder" and a.context["days_left"] == 0


def test_nacka_escalates_the_working_morning_after_the_deadline() -> None:
    done = {"reminder"}
    assert due(NK, at(3, 9, 16, 59), done) == []
    assert due(NK, at(3, 9, 23, 0), done) == []  # the deadline has passed, but it is night
    assert due(NK, at(3, 10, 7, 59), done) == []
    esc, notice = due(NK, at(3, 10, 8, 0), done)
    assert (esc.key, esc.purpose, esc.level) == ("escalation:1", Purpose.ESCALATION, 1)
    assert esc.to == ("verksamhetschef.aldre@nacka.example.se",)
    assert esc.cc == ("registrator.valfard@nacka.example.se", "enhetschef.sofiero@nacka.example.se")
    assert esc.context["overdue_working_days"] == 1 and esc.context["deadline"] == date(2026, 3, 9)
    assert esc.recipient_role == "department_head"
    assert (notice.key, notice.purpose, notice.level) == ("delay_notice:1", Purpose.DELAY_NOTICE, 1)
    assert notice.to == () and notice.to_citizen and notice.cc == ()
    assert notice.context["handled_by_name"] == "Birgitta Olsson"
    assert notice.context["handled_by_email"] == "verksamhetschef.aldre@nacka.example.se"
    assert notice.context["delay_reason"] == NACKA.policy.delay_reason
    assert notice.context["department_name"] == "Äldreomsorg"


def test_nacka_repeat_pass_sends_nothing_twice() -> None:
    done = {"reminder", "escalation:1", "delay_notice:1"}
    assert due(NK, at(3, 10, 8, 0), done) == []
    assert due(NK, at(3, 10, 15, 0), done) == []
    assert due(NK, at(3, 23, 9, 0), done) == []


def test_nacka_escalates_to_the_director_after_a_further_ten_working_days() -> None:
    done = {"reminder", "escalation:1", "delay_notice:1"}
    assert due(NK, at(3, 23, 16, 59), done) == []
    # 10 March + 10 further working days: 24 March
    esc, notice = due(NK, at(3, 24, 8, 0), done)
    assert (esc.key, esc.level) == ("escalation:2", 2)
    assert esc.to == ("direktor.valfard@nacka.example.se",)
    assert esc.cc == (
        "registrator.valfard@nacka.example.se",
        "enhetschef.sofiero@nacka.example.se",
        "verksamhetschef.aldre@nacka.example.se",
    )
    assert esc.context["overdue_working_days"] == 11
    assert [p.role for p in esc.context["earlier"]] == ["manager", "department_head"]  # type: ignore[attr-defined]
    assert notice.key == "delay_notice:2" and notice.context["handled_by_role"] == "director"
    assert notice.supersedes == ()
    done |= {"escalation:2", "delay_notice:2"}
    assert due(NK, at(3, 24, 9), done) == []
    assert due(NK, at(6, 1, 9), done) == []  # nothing beyond the director


def test_nacka_after_an_outage_sends_only_the_highest_step() -> None:
    actions = due(NK, at(3, 25, 9))
    assert keys(actions) == ["escalation:2", "delay_notice:2"]
    assert actions[0].supersedes == ("reminder", "escalation:1")
    assert actions[1].supersedes == ("delay_notice:1",)
    done = done_keys(a.event().detail for a in actions)
    assert done == {"reminder", "escalation:1", "escalation:2", "delay_notice:1", "delay_notice:2"}
    assert due(NK, at(3, 25, 10), done) == []


def test_escalation_recorded_without_its_notice_still_tells_the_citizen() -> None:
    [notice] = due(NK, at(3, 11, 9), {"reminder", "escalation:1"})
    assert notice.key == "delay_notice:1"


# -- Norrmalm: feedback 14 wd, remind 2 ahead, no notice ---------------------------


def test_norrmalm_walk_through() -> None:
    assert due(NM, at(3, 17, 16)) == []
    [r] = due(NM, at(3, 18, 8, 0))
    assert r.key == "reminder" and r.context["days_left"] == 2 and r.context["about"] == "feedback"
    assert r.to == ("enhetschef.sabbatsberg.norrmalm@stockholm.example.se",)
    done = {"reminder"}
    assert due(NM, at(3, 19, 10), done) == []
    assert due(NM, at(3, 20, 23, 0), done) == []  # deadline day, 23:00
    assert due(NM, at(3, 21, 10), done) == []  # Saturday
    assert due(NM, at(3, 23, 7, 59), done) == []
    [e1] = due(NM, at(3, 23, 8, 0), done)  # Monday morning; no citizen notice in Norrmalm
    assert (e1.key, e1.to) == ("escalation:1", ("avdelningschef.aldre.norrmalm@stockholm.example.se",))
    assert e1.cc == (
        "registrator.norrmalm@stockholm.example.se",
        "enhetschef.sabbatsberg.norrmalm@stockholm.example.se",
    )
    done.add("escalation:1")
    # 20 March + 15 working days, Easter (3 and 6 April) skipped: Tuesday 14 April
    assert due(NM, at(4, 13, 16), done) == []
    [e2] = due(NM, at(4, 14, 8), done)
    assert (e2.key, e2.to) == ("escalation:2", ("stadsdelsdirektor.norrmalm@stockholm.example.se",))
    assert e2.context["overdue_working_days"] == 15
    assert due(NM, at(4, 14, 9), done | {"escalation:2"}) == []


def test_norrmalm_first_pass_after_easter_outage_is_one_mail() -> None:
    [a] = due(NM, at(4, 14, 9))
    assert a.key == "escalation:2" and a.supersedes == ("reminder", "escalation:1")


# -- cases that get nothing ------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"status": Status.ANSWERED, "feedback_at": at(3, 9, 15)},
        {"status": Status.CLOSED, "closed_at": at(3, 9, 15)},
        {"feedback_at": at(3, 9, 15)},  # answered, status not yet updated
    ],
)
def test_answered_or_closed_case_gets_nothing(changes: dict[str, Any]) -> None:
    case = replace(NK, **changes)
    for now in (at(3, 6, 9), at(3, 10, 9), at(3, 24, 9)):
        assert due(case, now) == []


def test_anonymous_case_without_deadline_gets_nothing() -> None:
    case = make_case(NACKA, "sofiero", at(3, 2), flags=("anonymous",))
    assert case.first_response_due is None and case.feedback_due is None
    for now in (at(3, 6, 9), at(3, 10, 9), at(3, 24, 9)):
        assert due(case, now) == []


def test_anonymous_case_with_a_deadline_escalates_without_notice() -> None:
    org = NACKA.model_copy(update={"policy": NACKA.policy.model_copy(update={"anonymous_requires_feedback": True})})
    case = make_case(org, "sofiero", at(3, 2), flags=("anonymous",))
    [a] = due_actions(case, org, CAL, at(3, 10, 9), frozenset({"reminder"}), HOURS)
    assert a.key == "escalation:1" and not a.reply_to_citizen


# -- holidays ------------------------------------------------------------------------


def test_escalation_waits_over_midsummer() -> None:
    # Nacka, arrives Thursday 11 June: first response by Thursday 18 June (12, 15, 16, 17, 18)
    case = make_case(NACKA, "ektorp", at(6, 11))
    assert case.first_response_due == date(2026, 6, 18)
    assert keys(due(case, at(6, 17, 8))) == ["reminder"]
    done = {"reminder"}
    assert due(case, at(6, 18, 23), done) == []
    assert due(case, at(6, 19, 10), done) == []  # midsommarafton
    assert keys(due(case, at(6, 22, 8), done)) == ["escalation:1", "delay_notice:1"]


def test_escalation_waits_over_christmas() -> None:
    # Norrmalm, arrives Thursday 3 December: feedback by Wednesday 23 December
    case = make_case(NORRMALM, "hemtjanst", at(12, 3))
    assert case.feedback_due == date(2026, 12, 23)
    assert keys(due(case, at(12, 21, 8))) == ["reminder"]
    done = {"reminder"}
    assert due(case, at(12, 23, 23), done) == []
    for day in (24, 25, 26, 27):
        assert due(case, at(12, day, 10), done) == []
    [a] = due(case, at(12, 28, 8), done)
    assert a.key == "escalation:1" and a.context["overdue_working_days"] == 1


# -- who gets what ---------------------------------------------------------------------


def test_triage_case_reminds_the_registrar_and_escalates_to_the_director() -> None:
    case = make_case(NORRMALM, None, at(3, 2))
    [r] = due(case, at(3, 18, 9))
    assert r.to == ("registrator.norrmalm@stockholm.example.se",) and r.recipient_role == "registrar"
    [e] = due(case, at(3, 23, 9), {"reminder"})
    assert (e.key, e.level) == ("escalation:2", 2)  # no department to go through
    assert e.to == ("stadsdelsdirektor.norrmalm@stockholm.example.se",)
    assert e.cc == ("registrator.norrmalm@stockholm.example.se",)


def test_lex_sarah_case_goes_to_the_director_and_the_citizen_learns_nothing_of_it() -> None:
    case = replace(NK, flags=("lex_sarah",), manager="lexsarah@nacka.example.se",
                   handler="lexsarah@nacka.example.se", handler_role="lex_sarah")
    [r] = due(case, at(3, 6, 9))
    assert r.to == ("lexsarah@nacka.example.se",)
    esc, notice = due(case, at(3, 10, 9), {"reminder"})
    assert esc.key == "escalation:2" and esc.to == ("direktor.valfard@nacka.example.se",)
    assert "lexsarah@nacka.example.se" in esc.cc
    assert notice.key == "delay_notice:2"
    flat = repr({k: v for k, v in notice.context.items() if k != "org"})  # org is the whole config
    assert "lexsarah" not in flat and "lex_sarah" not in flat and "Sofiero" not in flat
    for lang in ("sv", "en"):
        subject, text, html = TEMPLATES.render(notice.template, lang, **notice.context)
        for part in (subject, text, html):
            assert "lexsarah" not in part.lower() and "lex sarah" not in part.lower()
            assert "missförhållande" not in part and "misconduct" not in part


def test_provider_case_reminder_copies_the_provider() -> None:
    case = make_case(NORRMALM, "hemtjanst-omsorgsgruppen", at(3, 2), handler="kvalitet@omsorgsgruppen.example.se",
                     handler_role="provider", flags=("external_provider",))
    [r] = due(case, at(3, 18, 9))
    assert r.to == ("enhetschef.hemtjanst.norrmalm@stockholm.example.se",)
    assert r.cc == ("kvalitet@omsorgsgruppen.example.se",)


# -- report requests ---------------------------------------------------------------------

# Norrmalm, Omsorgsgruppen (external provider): arrives Monday 2 March, the report is due
# Wednesday 18 March (feedback 20 March minus two working days), reminder 2 ahead on 16 March.
REP = make_case(
    NORRMALM, "hemtjanst-omsorgsgruppen", at(3, 2), handler="kvalitet@omsorgsgruppen.example.se",
    handler_role="provider", flags=("external_provider",), status=Status.AWAITING_REPORT,
    report_due=date(2026, 3, 18), feedback_at=at(3, 10, 14),  # the provider has answered the citizen
)


def test_report_request_reminder_chase_and_escalation() -> None:
    assert due(REP, at(3, 13, 16)) == []
    assert due(REP, at(3, 16, 7, 59)) == []
    [r] = due(REP, at(3, 16, 8))
    assert (r.key, r.purpose, r.template) == ("report_reminder", Purpose.REMINDER, "report_reminder")
    assert r.to == ("kvalitet@omsorgsgruppen.example.se",) and r.cc == ()
    assert r.recipient_role == "provider" and not r.reply_to_citizen
    assert r.reply_to == ("registrator.norrmalm@stockholm.example.se",)
    assert r.context["days_left"] == 2 and r.context["counterpart_name"] == "Omsorgsgruppen Hemtjänst AB"
    done = {"report_reminder"}
    assert due(REP, at(3, 18, 23), done) == []
    [c] = due(REP, at(3, 19, 8), done)  # the morning after the report deadline
    assert (c.key, c.template, c.level) == ("report_chase", "report_reminder", 0)
    assert c.to == ("kvalitet@omsorgsgruppen.example.se",)
    assert c.cc == ("enhetschef.hemtjanst.norrmalm@stockholm.example.se",)
    assert c.context["overdue_working_days"] == 1
    done.add("report_chase")
    # 18 March + 15 working days over Easter: Friday 10 April
    assert due(REP, at(4, 9, 16), done) == []
    [e] = due(REP, at(4, 10, 8), done)
    assert (e.key, e.purpose, e.level, e.template) == ("report_escalation:1", Purpose.ESCALATION, 1, "escalation")
    assert e.to == ("avdelningschef.aldre.norrmalm@stockholm.example.se",)
    assert e.cc == ("registrator.norrmalm@stockholm.example.se", "enhetschef.hemtjanst.norrmalm@stockholm.example.se")
    assert "kvalitet@omsorgsgruppen.example.se" not in e.cc
    assert due(REP, at(4, 10, 9), done | {"report_escalation:1"}) == []


def test_report_received_stops_the_chase() -> None:
    case = replace(REP, report_at=at(3, 17, 10), status=Status.ANSWERED)
    assert due(case, at(3, 19, 9)) == []


def test_report_and_feedback_tracks_run_side_by_side() -> None:
    case = replace(REP, feedback_at=None, status=Status.AWAITING_REPORT)
    assert keys(due(case, at(3, 18, 9), {"report_reminder"})) == ["reminder"]
    assert keys(due(case, at(3, 23, 9), {"report_reminder", "reminder"})) == ["escalation:1", "report_chase"]


def test_other_district_report_goes_to_the_district_contact() -> None:
    case = make_case(
        NORRMALM, "forsorjningsstod", at(3, 2), handler="enhetschef.forsorjningsstod.ostermalm@stockholm.example.se",
        handler_role="district", status=Status.AWAITING_REPORT, report_due=date(2026, 3, 18), feedback_at=at(3, 5),
    )
    [r] = due(case, at(3, 16, 9))
    assert r.to == ("enhetschef.forsorjningsstod.ostermalm@stockholm.example.se",)
    assert r.recipient_role == "district"
    assert r.context["counterpart_name"] == "Östermalms stadsdelsförvaltning, försörjningsstödsenheten"


# -- events ------------------------------------------------------------------------------


def test_event_records_the_step_without_addresses() -> None:
    [a] = due(NM, at(4, 14, 9))
    ev = a.event()
    assert ev.kind == "escalation"
    assert ev.detail == {
        "key": "escalation:2", "level": 2, "to": "director", "deadline": "2026-03-20",
        "supersedes": ["reminder", "escalation:1"],
    }
    assert "@" not in repr(ev.detail)


# -- rendering ---------------------------------------------------------------------------


def _all_kinds() -> list[Action]:
    provider = replace(REP, feedback_at=None)
    return [
        *due(NK, at(3, 6, 9)),  # reminder
        *due(NK, at(3, 10, 9), {"reminder"}),  # escalation:1 + delay_notice:1
        *due(NK, at(3, 24, 9), {"reminder", "escalation:1", "delay_notice:1"}),  # to the director
        *due(make_case(NORRMALM, None, at(3, 2)), at(3, 18, 9)),  # triage reminder
        *due(provider, at(3, 16, 9)),  # report_reminder
        *due(REP, at(3, 19, 9), {"report_reminder"}),  # report_chase
        *due(REP, at(4, 10, 9), {"report_reminder", "report_chase"}),  # report escalation
    ]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_deadline_template_renders(lang: str) -> None:
    actions = _all_kinds()
    assert {a.template for a in actions} == {"reminder", "escalation", "delay_notice", "report_reminder"}
    for a in actions:
        subject, text, html = TEMPLATES.render(a.template, lang, **a.context)
        ref = str(a.context["ref"])
        assert subject.startswith(f"[{ref}] ") and ref in text and ref in html
        assert html.lstrip().startswith("<!DOCTYPE html>") and "{{" not in text + html
        deadline = a.context["deadline"]
        assert str(deadline.day) in text  # type: ignore[attr-defined]
        if a.to_citizen:
            contact = NACKA.contact
            for needed in (contact.name, contact.phone, contact.address, contact.email):
                assert needed in text and needed in html
            assert str(a.context["handled_by_email"]) in text
            if lang == "sv":
                assert NACKA.policy.delay_reason in text
                assert "Jag beklagar" in text
        elif a.template in ("reminder", "escalation") and a.context["about"] != "report":
            assert ("Svara" if lang == "sv" else "Reply") in text
            assert str(a.context["registrar"]) in text


def test_swedish_texts_read_right() -> None:
    reminder, = due(NK, at(3, 6, 9))
    subject, text, _ = TEMPLATES.render("reminder", "sv", **reminder.context)
    assert subject == "[NK-2026-0001] Påminnelse: första återkoppling senast måndag 9 mars 2026"
    assert "Det är 1 arbetsdag kvar." in text
    esc, notice = due(NK, at(3, 10, 9), {"reminder"})
    subject, text, _ = TEMPLATES.render("escalation", "sv", **esc.context)
    assert subject == "[NK-2026-0001] Eskalerat: första återkopplingen är 1 arbetsdag försenad"
    assert "till dig som chef för Äldreomsorg" in text
    assert "Camilla Ström (enhetschef.sofiero@nacka.example.se), ansvarig chef" in text
    subject, text, html = TEMPLATES.render("delay_notice", "sv", **notice.context)
    assert subject == "[NK-2026-0001] Ditt ärende tar längre tid"
    assert "Nu har Birgitta Olsson hand om ditt ärende. Hen är chef för Äldreomsorg." in text
    assert "E-post: verksamhetschef.aldre@nacka.example.se." in text
    assert "Vi lovade dig ett första svar senast måndag 9 mars 2026" in text
    chase, = due(REP, at(3, 19, 9), {"report_reminder"})
    subject, text, _ = TEMPLATES.render("report_reminder", "sv", **chase.context)
    assert subject == "[NM-2026-0001] Redogörelsen är försenad"
    assert "är nu 1 arbetsdag försenad" in text and "Anneli Berg" in text


def test_english_delay_notice_for_an_english_writer() -> None:
    case = replace(NK, language="en")
    _, notice = due(case, at(3, 10, 9), {"reminder"})
    assert notice.language == "en" and notice.context["kind_label"] == "complaint"
    subject, text, _ = TEMPLATES.render(notice.template, notice.language, **notice.context)
    assert subject == "[NK-2026-0001] Your case is taking longer"
    assert "Birgitta Olsson, head of Äldreomsorg, now handles your case." in text and "I am sorry" in text


def test_default_working_hours() -> None:
    assert (time(8, 0), time(17, 0)) == HOURS
