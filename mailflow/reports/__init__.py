"""Digest and statistics from case rows, pure: the data is read elsewhere and passed in.

- `period`: `Period.parse("2026-T1")`, tertials and years.
- `stats`: `period_stats(org, period, records, cal, as_of=...)` -> `PeriodStats`.
- `tabular`: `report_json(stats)`, `report_csv(stats, threshold=3)`.
- `htmlreport`: `report_html(stats, threshold=3)`.
- `digest`: `build_digest(org, day, since, records, events, triage, cal)` -> `Digest`,
  and `digest_context(digest, org, lang)` for `Templates.render("digest", ...)`.
"""

from mailflow.reports.digest import (
    Digest,
    DigestCase,
    DigestEvent,
    DigestNote,
    KindCount,
    TriageItem,
    build_digest,
    digest_context,
)
from mailflow.reports.htmlreport import report_html
from mailflow.reports.period import Period
from mailflow.reports.stats import Bucket, MonthRow, PeriodStats, Timeliness, nearest_rank, period_stats
from mailflow.reports.tabular import DEFAULT_THRESHOLD, report_csv, report_json

__all__ = [
    "DEFAULT_THRESHOLD",
    "Bucket",
    "Digest",
    "DigestCase",
    "DigestEvent",
    "DigestNote",
    "KindCount",
    "MonthRow",
    "Period",
    "PeriodStats",
    "Timeliness",
    "TriageItem",
    "build_digest",
    "digest_context",
    "nearest_rank",
    "period_stats",
    "report_csv",
    "report_html",
    "report_json",
]
