"""Counting the registrar's corrections per decision, and showing them with the report's suppression."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

from mailflow import config as config_mod
from mailflow.deadlines import WorkCalendar
from mailflow.model import CaseRecord, Kind, Status
from mailflow.reports import Period, period_stats, report_csv, report_html, report_json
from mailflow.reports.corrections import (
    Decision,
    corrected,
    correction_summary,
    count_corrections,
    first_decision,
)
from tests.unit.test_generalize import ROOT

REGISTERED = ("registered", {"kind": "complaint", "flags": ["external_provider"], "channel": "email"})
ROUTED = ("routed", {"unit": "hemtjanst", "to": "unit"})


def test_the_first_decision_is_what_registration_and_routing_recorded() -> None:
    events = [REGISTERED, ROUTED, ("command", {"command": "unit", "arg": "sabbatsberg"}),
              ("routed", {"unit": "sabbatsberg"})]
    assert first_decision(events) == Decision("complaint", "hemtjanst", ("external_provider",))
    assert first_decision([("feedback", {})]) is None


def test_a_command_that_changes_a_decision_corrects_it_and_one_that_confirms_it_does_not() -> None:
    first = Decision("complaint", "hemtjanst", ())
    assert corrected(first, Decision("opinion", "hemtjanst", ()), ["kind"]) == ("kind",)
    assert corrected(first, Decision("complaint", "hemtjanst", ()), ["kind"]) == ()  # "#typ klagomål" confirms
    assert corrected(first, Decision("complaint", "sabbatsberg", ("lex_sarah", "anonymous")),
                     ["unit", "lex_sarah", "anonymous"]) == ("unit", "lex_sarah", "anonymous")
    # a unit chosen for a case that went to triage is a correction of the unit too
    assert corrected(Decision("complaint", None, ()), Decision("complaint", "parkmiljo", ()), ["unit"]) == ("unit",)
    # a change without a command of that decision (a reroute adding external_provider) is not counted
    assert corrected(first, Decision("complaint", "plus", ("external_provider",)), ["unit"]) == ("unit",)


def test_counts_per_decision_and_cases_with_any_correction() -> None:
    counts = count_corrections([("unit",), (), ("kind", "unit"), (), (), ("anonymous",)])
    assert counts.cases == 6 and counts.corrected_cases == 3
    assert dict(counts.per_decision) == {"kind": 1, "unit": 2, "lex_sarah": 0, "anonymous": 1}
    assert counts.share("unit") == 2 / 6


def test_the_summary_line_hides_shares_that_give_a_small_count_back() -> None:
    many = count_corrections([("unit",)] * 4 + [("kind",)] * 3 + [()] * 93)
    assert correction_summary(many, 3) == "enhet 4\u00a0%, typ 3\u00a0%, Lex Sarah 0\u00a0%, anonym 0\u00a0%"
    few = count_corrections([("unit",)] + [()] * 49)
    assert correction_summary(few, 3).startswith("enhet <3, typ 0\u00a0%")  # 2 % of 50 is one case
    assert correction_summary(count_corrections([]), 3) == "typ –, enhet –, Lex Sarah –, anonym –"


def _record(n: int, corrected_: tuple[str, ...]) -> CaseRecord:
    return CaseRecord(ref=f"NM-2026-{n:04d}", org_id="norrmalm", kind=Kind.COMPLAINT, flags=(), channel="email",
                      language="sv", unit_id="hemtjanst", department_id=None, manager=None, handler=None,
                      handler_role="unit", status=Status.OPEN, triage=None,
                      received_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), first_response_due=None,
                      feedback_due=None, report_due=None, feedback_at=None, report_at=None, closed_at=None,
                      escalation_level=0, corrected=corrected_)


def test_the_report_shows_corrections_in_json_csv_and_html() -> None:
    org = config_mod.load(ROOT / "config" / "mailflow.toml", env={}).org("norrmalm")
    records = [_record(n, ("unit",) if n < 5 else ("kind",) if n < 6 else ()) for n in range(100)]
    stats = period_stats(org, Period.parse("2026-T1"), records, WorkCalendar(),
                         as_of=datetime(2026, 6, 1, tzinfo=UTC))
    data = json.loads(report_json([stats]))["reports"][0]["corrections"]
    assert data["cases"] == 100 and data["corrected_cases"] == 6
    assert data["unit"] == {"count": 5, "share": 0.05} and data["kind"]["count"] == 1
    rows = list(csv.reader(io.StringIO(report_csv([stats]).decode("utf-8-sig")), delimiter=";"))
    got = {(r[2], r[3]): r[4] for r in rows[1:]}
    assert got[("corrected", "enhet")] == "5" and got[("corrected_share", "enhet")] == "0,050"
    assert got[("corrected", "typ")] == "<3" and got[("corrected_share", "typ")] == "<3"
    html = report_html([stats])
    assert "Rättat av registrator" in html and "enhet 5\u00a0%, typ &lt;3" in html


def test_a_case_record_without_corrections_counts_as_uncorrected() -> None:
    record = _record(1, ())
    assert count_corrections([record.corrected, replace(record, corrected=("kind",)).corrected]).corrected_cases == 1
