"""Statistics of one organization's cases in one period: the numbers behind every report format.

A case belongs to the period in which it arrived, by its local arrival date in
the organization's time zone (the calendar's `tz`). Definitions:

- on time: feedback came (local date of `feedback_at`) on or before `feedback_due`.
- late: feedback came after `feedback_due`, or none came and the deadline passed
  while the case was open (closed after the deadline, or still open and the
  deadline before the `as_of` date).
- pending: no feedback yet, still open, deadline not yet passed at `as_of`.
  Cases closed without feedback before their deadline are counted apart.
- The on-time share is on time / (on time + late); cases without a deadline
  (anonymous ones) and pending cases are outside it.
- Working days to feedback: `cal.working_days_between(cal.start_day(received_at),
  local date of feedback_at)`, for every case with feedback.
- Corrected by the registrar: per decision (kind, unit, Lex Sarah, anonymous), the cases whose
  decision a registrar's command changed from mailflow's first reading (`reports.corrections`),
  as a share of the period's cases.
- Median and 90th percentile are nearest-rank: the value at rank ceil(p/100 * n)
  of the sorted list (so the median of an even number of values is the lower middle
  one, and always one of the observed values).
- With a recorded action: cases with an `action` (åtgärd) event, however it was recorded (the web, `#åtgärd`);
  likewise for a preventive measure (`preventive_action`).
- Open at period end: neither answered nor closed by the end of the period's last
  day. Overdue at period end: open then, with its deadline passed at that moment
  (`feedback_due` on or before the last day). For a period not yet over at
  `as_of`, both are taken at `as_of` instead (overdue: deadline before that day).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from mailflow.config import Organization
from mailflow.deadlines import WorkCalendar
from mailflow.model import CaseRecord, Kind
from mailflow.reports.corrections import CorrectionCounts, count_corrections
from mailflow.reports.labels import (
    FLAGS,
    KINDS,
    TRIAGE,
    channel_label,
    department_id,
    department_name,
    flag_label,
    kind_label,
)
from mailflow.reports.period import Period

_CHANNEL_ORDER = ("email", "phone", "visit", "letter", "meeting", "form", "web")


def local(dt: datetime, tz: ZoneInfo) -> datetime:
    """`dt` in the organization's time zone (a naive value is taken as UTC, as stored)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(tz)


def nearest_rank(values: Iterable[int], p: int) -> int | None:
    """The p-th percentile by nearest rank: the value at rank ceil(p/100 * n) of the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Bucket:
    """One line of a breakdown: a kind, channel, flag, department or unit and its count."""

    key: str | None  # the code or config id; None for "no unit/department" (triage)
    name: str  # what a reader sees (Swedish)
    count: int
    group: str = ""  # for a unit: the name of its department


@dataclass(frozen=True)
class Timeliness:
    """Feedback against the deadline, for all cases or one department's."""

    key: str | None
    name: str
    with_deadline: int  # cases with a feedback deadline
    on_time: int
    late: int
    pending: int  # no feedback yet, deadline not passed
    closed_without_feedback: int  # closed before the deadline without feedback

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def share(self) -> float | None:
        """On time / (on time + late); None when nothing is decided yet."""
        return self.on_time / self.decided if self.decided else None


@dataclass(frozen=True)
class MonthRow:
    """Cases that arrived in one month, per kind."""

    month: str  # 'YYYY-MM'
    complaint: int
    opinion: int
    praise: int

    @property
    def total(self) -> int:
        return self.complaint + self.opinion + self.praise

    def count(self, kind: Kind | str) -> int:
        value: int = getattr(self, str(kind))
        return value


@dataclass(frozen=True)
class PeriodStats:
    """Everything the report shows for one organization and one period."""

    org_id: str
    org_name: str
    period: Period
    as_of: datetime  # when the data was read: decides which deadlines have passed
    total: int
    kinds: tuple[Bucket, ...]  # complaint, opinion, praise, always all three
    channels: tuple[Bucket, ...]  # the channels that occur, e-mail first
    departments: tuple[Bucket, ...]  # every configured department, then unknown ones, then (triage)
    units: tuple[Bucket, ...]  # every configured unit, then unknown ones, then (triage)
    flags: tuple[Bucket, ...]  # every known flag, then any others that occur
    anonymous: int
    timeliness: Timeliness
    answered: int  # cases with feedback
    median_days: int | None  # working days to feedback, nearest-rank median
    p90_days: int | None  # nearest-rank 90th percentile
    open_at_end: int
    overdue_at_end: int
    measured_on: date  # the day open and overdue were taken: the period's last day, or `as_of` if earlier
    months: tuple[MonthRow, ...]
    department_timeliness: tuple[Timeliness, ...]  # same order as `departments`
    with_action: int = 0  # cases with a recorded action (åtgärd)
    with_preventive_action: int = 0  # cases with a recorded preventive measure
    corrections: CorrectionCounts = CorrectionCounts(0, 0, ())  # the registrar's corrections per decision

    @property
    def anonymous_share(self) -> float | None:
        return self.anonymous / self.total if self.total else None


def _timeliness(key: str | None, name: str, cases: list[CaseRecord], tz: ZoneInfo, as_of: date) -> Timeliness:
    with_deadline = on_time = late = pending = closed_early = 0
    for r in cases:
        due = r.feedback_due
        if due is None:
            continue
        with_deadline += 1
        if r.feedback_at is not None:
            if local(r.feedback_at, tz).date() <= due:
                on_time += 1
            else:
                late += 1
        elif r.closed_at is not None:
            if local(r.closed_at, tz).date() > due:
                late += 1
            else:
                closed_early += 1
        elif as_of > due:
            late += 1
        else:
            pending += 1
    return Timeliness(key, name, with_deadline, on_time, late, pending, closed_early)


def _done_by(r: CaseRecord, tz: ZoneInfo, day: date) -> bool:
    """Answered or closed by the end of `day`."""
    return any(t is not None and local(t, tz).date() <= day for t in (r.feedback_at, r.closed_at))


def _open_and_overdue(cases: list[CaseRecord], period: Period, tz: ZoneInfo, today: date) -> tuple[int, int, date]:
    """Open and overdue at the end of the period, or today while the period is still running."""
    if today > period.end:
        still_open = [r for r in cases if not _done_by(r, tz, period.end)]
        overdue = [r for r in still_open if r.feedback_due is not None and r.feedback_due <= period.end]
        return len(still_open), len(overdue), period.end
    still_open = [r for r in cases if not _done_by(r, tz, today)]
    overdue = [r for r in still_open if r.feedback_due is not None and r.feedback_due < today]
    return len(still_open), len(overdue), today


def _ordered(counts: Counter[str | None], configured: list[tuple[str, str, str]]) -> list[Bucket]:
    """Configured (id, name, group) first, zero or not; then unknown ids; then none, if any."""
    known = {k for k, _, _ in configured}
    out = [Bucket(k, n, counts.get(k, 0), g) for k, n, g in configured]
    out += [Bucket(k, k, counts[k]) for k in sorted(k for k in counts if k and k not in known)]
    if counts.get(None):
        out.append(Bucket(None, TRIAGE, counts[None]))
    return out


def period_stats(
    org: Organization,
    period: Period,
    records: Iterable[CaseRecord],
    cal: WorkCalendar,
    *,
    as_of: datetime,
) -> PeriodStats:
    """The statistics of `org`'s cases that arrived in `period` (other organizations' cases are ignored)."""
    tz = cal.tz
    cases = [
        r for r in records
        if r.org_id == org.id and period.contains(local(r.received_at, tz).date())
    ]
    today = local(as_of, tz).date()

    kinds = Counter(str(r.kind) for r in cases)
    channels = Counter(r.channel for r in cases)
    depts: Counter[str | None] = Counter(department_id(org, r) for r in cases)
    units: Counter[str | None] = Counter(r.unit_id or None for r in cases)
    flags = Counter(f for r in cases for f in set(r.flags))

    dept_buckets = _ordered(depts, [(d.id, d.name, "") for d in org.departments])
    unit_buckets = _ordered(units, [(u.id, u.name, department_name(org, u.department)) for u in org.units])
    channel_keys = [c for c in _CHANNEL_ORDER if c in channels] + sorted(c for c in channels if c not in _CHANNEL_ORDER)

    by_dept: dict[str | None, list[CaseRecord]] = {}
    for r in cases:
        by_dept.setdefault(department_id(org, r), []).append(r)

    days = [
        cal.working_days_between(cal.start_day(r.received_at), local(r.feedback_at, tz).date())
        for r in cases if r.feedback_at is not None
    ]
    open_at_end, overdue_at_end, measured_on = _open_and_overdue(cases, period, tz, today)
    month_counts = Counter((local(r.received_at, tz).strftime("%Y-%m"), str(r.kind)) for r in cases)

    return PeriodStats(
        org_id=org.id,
        org_name=org.name,
        period=period,
        as_of=as_of,
        total=len(cases),
        kinds=tuple(Bucket(str(k), kind_label(k), kinds.get(str(k), 0)) for k in KINDS),
        channels=tuple(Bucket(c, channel_label(c), channels[c]) for c in channel_keys),
        departments=tuple(dept_buckets),
        units=tuple(unit_buckets),
        flags=tuple(
            Bucket(f, flag_label(f), flags.get(f, 0))
            for f in [*FLAGS, *sorted(f for f in flags if f not in FLAGS)]
        ),
        anonymous=sum(1 for r in cases if r.anonymous),
        timeliness=_timeliness(None, org.name, cases, tz, today),
        answered=len(days),
        median_days=nearest_rank(days, 50),
        p90_days=nearest_rank(days, 90),
        open_at_end=open_at_end,
        overdue_at_end=overdue_at_end,
        measured_on=measured_on,
        months=tuple(
            MonthRow(m, *(month_counts.get((m, str(k)), 0) for k in KINDS)) for m in period.months
        ),
        department_timeliness=tuple(
            _timeliness(b.key, b.name, by_dept.get(b.key, []), tz, today) for b in dept_buckets
        ),
        with_action=sum(1 for r in cases if r.has_action),
        with_preventive_action=sum(1 for r in cases if r.has_preventive_action),
        corrections=count_corrections([r.corrected for r in cases]),
    )
