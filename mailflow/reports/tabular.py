"""The statistics as JSON (exact numbers, ids and names) and as CSV for Swedish Excel (small counts hidden).

CSV: UTF-8 with a byte-order mark and `;` as delimiter (the list separator of
Swedish Excel), decimal comma, one tidy row per organization, period,
dimension and key: `organization;period;dimension;key;value`. The organization
is its name, the key a readable label (kind, channel, flag, department or unit
name, month 'YYYY-MM'). A count from 1 up to below the threshold is written
'<3' (for threshold 3); so is a share, median or percentile resting on fewer
cases than that. Zero is written 0: it identifies nobody.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

# a share n/base is hidden when it rests on few cases or gives a small count back ("Andel anonyma 2 %" of 43)
from mailflow.reports.corrections import DECISION_LABELS, share_hidden
from mailflow.reports.labels import KINDS
from mailflow.reports.stats import PeriodStats, Timeliness

DEFAULT_THRESHOLD = 3
CSV_HEADER = ("organization", "period", "dimension", "key", "value")


# a count hidden because it would give a small count back (the group's total minus the others)
SECONDARY = ".."


def hidden(threshold: int) -> str:
    return f"<{threshold}"


def small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def suppressed(counts: Sequence[int], threshold: int) -> list[bool]:
    """Which counts of a group whose total is shown must be hidden: the small ones, and when only one is
    small, the next smallest as well (else the total minus the others gives it back)."""
    hide = [small(n, threshold) for n in counts]
    if sum(hide) == 1:
        others = sorted((n, i) for i, n in enumerate(counts) if not hide[i] and n > 0)
        if others:
            hide[others[0][1]] = True
    return hide


def suppressed_table(rows: Sequence[Sequence[int]], threshold: int) -> list[list[bool]]:
    """The same for a table whose row and column sums are shown: repeated over rows and columns until
    no row or column has a single hidden count left."""
    hide = [[small(n, threshold) for n in r] for r in rows]
    changed = True
    while changed:
        changed = False
        lines = [[(i, j) for j in range(len(r))] for i, r in enumerate(rows)]
        lines += [[(i, j) for i in range(len(rows))] for j in range(len(rows[0]) if rows else 0)]
        for line in lines:
            if sum(hide[i][j] for i, j in line) != 1:
                continue
            others = sorted((rows[i][j], i, j) for i, j in line if not hide[i][j] and rows[i][j] > 0)
            if others:
                _, i, j = others[0]
                hide[i][j] = True
                changed = True
    return hide


def group_cells(counts: Sequence[int], threshold: int) -> list[str]:
    """A group's counts as shown: '<3' for small ones, '..' for those hidden so as not to give one back."""
    return [cell(n, h, threshold) for n, h in zip(counts, suppressed(counts, threshold), strict=True)]


def cell(n: int, hide: bool, threshold: int) -> str:
    if not hide:
        return str(n)
    return hidden(threshold) if small(n, threshold) else SECONDARY


def count_cell(n: int, threshold: int) -> str:
    """A count as shown to readers: '<3' for 1 and 2 (threshold 3), the number otherwise."""
    return hidden(threshold) if 0 < n < threshold else str(n)


def decimal_cell(value: float | None, base: int, threshold: int, n: int | None = None) -> str:
    """A share (3 decimals, decimal comma); '<3' when it rests on fewer cases than the threshold, or would
    give a small count back (`n` of `base`)."""
    if value is None:
        return ""
    if base < threshold or (n is not None and share_hidden(n, base, threshold)):
        return hidden(threshold)
    return f"{value:.3f}".replace(".", ",")


def days_cell(value: int | None, base: int, threshold: int) -> str:
    if value is None:
        return ""
    return hidden(threshold) if base < threshold else str(value)


def _share(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _timeliness_json(t: Timeliness) -> dict[str, object]:
    return {
        "with_deadline": t.with_deadline,
        "on_time": t.on_time,
        "late": t.late,
        "pending": t.pending,
        "closed_without_feedback": t.closed_without_feedback,
        "on_time_share": _share(t.share),
    }


def stats_json(s: PeriodStats) -> dict[str, object]:
    """One organization's period as plain JSON values: every number exact, nothing hidden."""
    return {
        "organization": {"id": s.org_id, "name": s.org_name},
        "period": {"key": s.period.key, "label": s.period.label(), "start": s.period.start.isoformat(),
                   "end": s.period.end.isoformat()},
        "as_of": s.as_of.isoformat(),
        "total": s.total,
        "kinds": {b.key: b.count for b in s.kinds},
        "channels": {b.key: b.count for b in s.channels},
        "departments": [
            {"id": b.key, "name": b.name, "count": b.count, "feedback": _timeliness_json(t)}
            for b, t in zip(s.departments, s.department_timeliness, strict=True)
        ],
        "units": [{"id": b.key, "name": b.name, "department": b.group, "count": b.count} for b in s.units],
        "flags": {b.key: b.count for b in s.flags},
        "anonymous": {"count": s.anonymous, "share": _share(s.anonymous_share)},
        "feedback": {
            **_timeliness_json(s.timeliness),
            "answered": s.answered,
            "median_working_days": s.median_days,
            "p90_working_days": s.p90_days,
        },
        "actions": {"cases_with_action": s.with_action, "cases_with_preventive_action": s.with_preventive_action},
        "corrections": {
            "cases": s.corrections.cases,
            "corrected_cases": s.corrections.corrected_cases,
            **{d: {"count": n, "share": _share(s.corrections.share(d))} for d, n in s.corrections.per_decision},
        },
        "open_at_end": s.open_at_end,
        "open_measured_on": s.measured_on.isoformat(),
        "overdue_at_end": s.overdue_at_end,
        "months": [
            {"month": m.month, **{str(k): m.count(k) for k in KINDS}, "total": m.total} for m in s.months
        ],
    }


def report_json(stats: Sequence[PeriodStats]) -> str:
    """`{"reports": [...]}`, one entry per organization, exact numbers, UTF-8 text (not escaped)."""
    return json.dumps({"reports": [stats_json(s) for s in stats]}, ensure_ascii=False, indent=2) + "\n"


def csv_rows(s: PeriodStats, threshold: int = DEFAULT_THRESHOLD) -> list[tuple[str, str, str, str, str]]:
    """The tidy rows of one organization's period, small counts hidden."""
    rows: list[tuple[str, str, str]] = []

    def count(dimension: str, key: str, n: int) -> None:
        rows.append((dimension, key, count_cell(n, threshold)))

    def group(dimension: str, buckets: Sequence[Any]) -> None:
        for b, shown in zip(buckets, group_cells([b.count for b in buckets], threshold), strict=True):
            rows.append((dimension, b.name, shown))

    t = s.timeliness
    count("total", "", s.total)
    group("kind", s.kinds)
    group("channel", s.channels)
    group("department", s.departments)
    group("unit", s.units)
    for b in s.flags:
        count("flag", b.name, b.count)
    rows.append(("anonymous_share", "", decimal_cell(s.anonymous_share, s.total, threshold, s.anonymous)))
    count("feedback_with_deadline", "", t.with_deadline)
    count("feedback_on_time", "", t.on_time)
    count("feedback_late", "", t.late)
    count("feedback_pending", "", t.pending)
    rows.append(("feedback_on_time_share", "", decimal_cell(t.share, t.decided, threshold, t.on_time)))
    count("cases_with_action", "", s.with_action)
    count("cases_with_preventive_action", "", s.with_preventive_action)
    count("feedback_answered", "", s.answered)
    rows.append(("working_days_median", "", days_cell(s.median_days, s.answered, threshold)))
    rows.append(("working_days_p90", "", days_cell(s.p90_days, s.answered, threshold)))
    count("open_at_end", "", s.open_at_end)
    count("overdue_at_end", "", s.overdue_at_end)
    count("corrected_cases", "", s.corrections.corrected_cases)
    for d, n in s.corrections.per_decision:
        count("corrected", DECISION_LABELS[d], n)
        share = s.corrections.share(d)
        share_is_hidden = share is not None and share_hidden(n, s.corrections.cases, threshold) and \
            not (n == 0 and s.corrections.cases >= threshold)
        rows.append(("corrected_share", DECISION_LABELS[d], hidden(threshold) if share_is_hidden else
                     decimal_cell(share, s.corrections.cases, threshold)))
    for dt in s.department_timeliness:
        count("department_on_time", dt.name, dt.on_time)
        count("department_late", dt.name, dt.late)
        rows.append(("department_on_time_share", dt.name, decimal_cell(dt.share, dt.decided, threshold, dt.on_time)))
    table = [[m.count(k) for k in KINDS] for m in s.months]
    hide = suppressed_table(table, threshold) if table else []
    for m, counts, hidden_row in zip(s.months, table, hide, strict=True):
        count("month", m.month, m.total)
        for k, n, h in zip(KINDS, counts, hidden_row, strict=True):
            rows.append((f"month_{k}", m.month, cell(n, h, threshold)))
    return [(s.org_name, s.period.key, d, k, v) for d, k, v in rows]


def report_csv(stats: Sequence[PeriodStats], threshold: int = DEFAULT_THRESHOLD) -> bytes:
    """Every organization's rows under one header, as bytes for a file Excel opens as it should."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for s in stats:
        writer.writerows(csv_rows(s, threshold))
    return buf.getvalue().encode("utf-8-sig")
