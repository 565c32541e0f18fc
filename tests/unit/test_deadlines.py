"""Working-day maths against dates anyone can check in a Swedish calendar for 2026."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from mailflow.deadlines import WorkCalendar, case_deadlines

TZ = ZoneInfo("Europe/Stockholm")
CAL = WorkCalendar("SE", tz=TZ, end_of_day=time(17, 0))
NORRMALM = dict(first_response_working_days=None, feedback_working_days=14, needs_feedback=True)
NACKA = dict(first_response_working_days=5, feedback_working_days=10, needs_feedback=True)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.mark.parametrize(
    "day, closed",
    [
        (date(2026, 6, 19), True),  # midsommarafton
        (date(2026, 6, 20), True),  # midsommardagen (a Saturday anyway)
        (date(2026, 12, 24), True),  # julafton
        (date(2026, 12, 25), True),
        (date(2026, 12, 31), True),  # nyårsafton
        (date(2027, 1, 1), True),
        (date(2027, 1, 6), True),  # trettondedag jul
        (date(2026, 4, 3), True),  # långfredagen
        (date(2026, 4, 6), True),  # annandag påsk
        (date(2026, 5, 14), True),  # Kristi himmelsfärd
        (date(2026, 6, 22), False),
        (date(2026, 12, 23), False),
        (date(2026, 10, 26), False),
        (date(2026, 11, 28), True),  # a Saturday
    ],
)
def test_closed_days_of_2026(day: date, closed: bool) -> None:
    assert CAL.is_working_day(day) is not closed


def test_deadline_skips_midsummer_eve() -> None:
    d = case_deadlines(CAL, at(2026, 6, 18), **NACKA)
    assert d.first_response_due == date(2026, 6, 26)  # 22, 23, 24, 25, 26 June (19 June closed)
    assert d.feedback_due == date(2026, 7, 3)
    assert case_deadlines(CAL, at(2026, 6, 18), **NORRMALM).feedback_due == date(2026, 7, 9)


def test_deadline_across_christmas_and_new_year() -> None:
    d = case_deadlines(CAL, at(2026, 12, 22), **NACKA)
    # 23 Dec, then 28, 29, 30 Dec, 4 Jan (24-27 and 31 Dec - 3 Jan closed)
    assert d.first_response_due == date(2027, 1, 4)
    # ... 5 Jan, (6 Jan closed), 7, 8, 11, 12 Jan
    assert d.feedback_due == date(2027, 1, 12)
    assert case_deadlines(CAL, at(2026, 12, 22), **NORRMALM).feedback_due == date(2027, 1, 18)


def test_deadline_across_easter() -> None:
    d = case_deadlines(CAL, at(2026, 4, 1), **NACKA)
    assert d.first_response_due == date(2026, 4, 10)  # 2, 7, 8, 9, 10 April
    assert d.feedback_due == date(2026, 4, 17)
    assert case_deadlines(CAL, at(2026, 4, 1), **NORRMALM).feedback_due == date(2026, 4, 23)


def test_daylight_saving_change_does_not_shift_a_date() -> None:
    # Summer time ends 25 October 2026 at 03:00. Sunday 23:30 local is 22:30 UTC.
    sunday_night = datetime(2026, 10, 25, 22, 30, tzinfo=timezone.utc)
    monday_early = datetime(2026, 10, 25, 23, 30, tzinfo=timezone.utc)  # Monday 00:30 local
    assert CAL.start_day(sunday_night) == date(2026, 10, 26)
    assert CAL.start_day(monday_early) == date(2026, 10, 26)
    assert case_deadlines(CAL, sunday_night, **NACKA).feedback_due == date(2026, 11, 9)
    assert case_deadlines(CAL, monday_early, **NORRMALM).feedback_due == date(2026, 11, 13)
    # Friday before the change, during the working day, counts from Friday
    friday = datetime(2026, 10, 23, 14, 30, tzinfo=timezone.utc)  # 16:30 summer time
    assert case_deadlines(CAL, friday, **NACKA).first_response_due == date(2026, 10, 30)


def test_arrival_after_working_hours_counts_from_next_working_day() -> None:
    assert CAL.start_day(at(2026, 3, 2, 16, 59)) == date(2026, 3, 2)
    assert CAL.start_day(at(2026, 3, 2, 17, 0)) == date(2026, 3, 3)
    assert CAL.start_day(at(2026, 3, 7, 10)) == date(2026, 3, 9)  # Saturday -> Monday
    assert CAL.start_day(at(2026, 4, 3, 10)) == date(2026, 4, 7)  # Good Friday -> Tuesday


def test_anonymous_case_without_feedback_has_no_deadline() -> None:
    d = case_deadlines(CAL, at(2026, 3, 2), first_response_working_days=5, feedback_working_days=10,
                       needs_feedback=False)
    assert d.first_response_due is None and d.feedback_due is None


def test_extra_closed_days_from_config() -> None:
    cal = WorkCalendar("SE", extra_closed=("2026-03-03", "12-23"), tz=TZ)
    assert not cal.is_working_day(date(2026, 3, 3))
    assert not cal.is_working_day(date(2027, 12, 23))
    assert cal.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 4)


def test_counting_working_days_between_and_backwards() -> None:
    assert CAL.working_days_between(date(2026, 12, 22), date(2027, 1, 12)) == 10
    assert CAL.subtract_working_days(date(2027, 1, 12), 10) == date(2026, 12, 22)
