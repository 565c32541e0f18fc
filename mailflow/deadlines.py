"""Working-day maths in an organization's calendar; pure, time passed in.

A working day is a weekday that is neither a public holiday of the country
(the `holidays` package) nor one of the days Swedish workplaces keep closed
(midsommarafton, julafton, nyårsafton), nor an extra closed day from config.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from mailflow.model import Deadlines


def _midsummer_eve(year: int) -> date:
    # the Friday between 19 and 25 June
    d = date(year, 6, 19)
    return d + timedelta(days=(4 - d.weekday()) % 7)


@lru_cache(maxsize=64)
def _closed_days(country: str, year: int, extra: tuple[str, ...]) -> frozenset[date]:
    try:
        days = holidays.country_holidays(country, years=year, categories=("public", "de_facto"))
    except (NotImplementedError, ValueError):
        days = holidays.country_holidays(country, years=year)
    closed = set(days.keys())
    if country == "SE":
        closed |= {_midsummer_eve(year), date(year, 12, 24), date(year, 12, 31)}
    for item in extra:
        if len(item) == 5:  # MM-DD, every year
            closed.add(date(year, int(item[:2]), int(item[3:])))
        elif int(item[:4]) == year:
            closed.add(date.fromisoformat(item))
    return frozenset(closed)


class WorkCalendar:
    """Which days count, and how to count them."""

    def __init__(
        self,
        country: str = "SE",
        extra_closed: tuple[str, ...] = (),
        tz: ZoneInfo | None = None,
        end_of_day: time = time(17, 0),
    ) -> None:
        self.country = country
        self.extra_closed = tuple(extra_closed)
        self.tz = tz or ZoneInfo("Europe/Stockholm")
        self.end_of_day = end_of_day

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in _closed_days(self.country, d.year, self.extra_closed)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The day n working days after start (start itself not counted)."""
        d = start
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def subtract_working_days(self, end: date, n: int) -> date:
        """The day n working days before end."""
        d = end
        for _ in range(n):
            d -= timedelta(days=1)
            while not self.is_working_day(d):
                d -= timedelta(days=1)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after a up to and including b (0 when b <= a)."""
        count, d = 0, a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

    def start_day(self, arrival: datetime) -> date:
        """The working day a message counts from, in local time.

        A message that arrives on a closed day, or after the end of the
        working day, counts from the next working day.
        """
        local = arrival.astimezone(self.tz)
        d = local.date()
        if not self.is_working_day(d) or local.time() >= self.end_of_day:
            return self.next_working_day(d)
        return d


def case_deadlines(
    cal: WorkCalendar,
    arrival: datetime,
    *,
    first_response_working_days: int | None,
    feedback_working_days: int,
    needs_feedback: bool,
) -> Deadlines:
    """The deadlines of a case that arrived at `arrival` (IMAP INTERNALDATE)."""
    start = cal.start_day(arrival)
    first = (
        cal.add_working_days(start, first_response_working_days)
        if first_response_working_days is not None and needs_feedback
        else None
    )
    feedback = cal.add_working_days(start, feedback_working_days) if needs_feedback else None
    return Deadlines(first_response_due=first, feedback_due=feedback)
