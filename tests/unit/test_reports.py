"""Statistics and the daily digest against a known set of 2026 cases, checkable in a Swedish calendar.

Closed days that matter here: 1 and 6 January, Easter (Friday 3 and Monday 6
April), 1 May, Ascension Day (14 May). Working days to feedback count from the
day a case arrived (the next working day when it arrived after 17:00) up to the
day of the feedback, the first day not counted.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailflow import config as config_mod
from mailflow.adapters.templates import Templates
from mailflow.config import Config, Organization
from mailflow.deadlines import WorkCalendar, case_deadlines
from mailflow.model import CaseRecord, Kind, Status
from mailflow.reports import (
    Digest,
    DigestEvent,
    Period,
    PeriodStats,
    TriageItem,
    build_digest,
    digest_context,
    nearest_rank,
    period_stats,
    report_csv,
    report_html,
    report_json,
)

ROOT = Path(__file__).resolve().parent.parent.parent
TZ = ZoneInfo("Europe/Stockholm")
CAL = WorkCalendar("SE", tz=TZ)
AS_OF = datetime(2026, 9, 15, 10, 0, tzinfo=TZ)
NM_NAME = "Norrmalms stadsdelsförvaltning"
NK_NAME = "Nacka kommun, Välfärd samhällsservice"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return config_mod.load(ROOT / "config" / "mailflow.toml", env={})


@pytest.fixture(scope="module")
def norrmalm(cfg: Config) -> Organization:
    return cfg.org("norrmalm")


@pytest.fixture(scope="module")
def nacka(cfg: Config) -> Organization:
    return cfg.org("nacka")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def case(
    ref: str,
    received: datetime,
    *,
    kind: Kind = Kind.COMPLAINT,
    unit: str | None = "hemtjanst",
    dept: str | None = None,
    channel: str = "email",
    flags: tuple[str, ...] = (),
    due: date | None = None,
    feedback: datetime | None = None,
    closed: datetime | None = None,
    status: Status | None = None,
    level: int = 0,
    summary: str = "",
) -> CaseRecord:
    org_id = "norrmalm" if ref.startswith("NM-") else "nacka"
    if status is None:
        status = Status.CLOSED if closed else Status.ANSWERED if feedback else Status.OPEN
    return CaseRecord(
        ref=ref, org_id=org_id, kind=kind, flags=flags, channel=channel, language="sv",
        unit_id=unit, department_id=dept, manager=None, handler=None,
        handler_role="unit" if unit else "triage", status=status, triage=None if unit else "no unit matched",
        received_at=received, first_response_due=None, feedback_due=due, report_due=None,
        feedback_at=feedback, report_at=None, closed_at=closed, escalation_level=level, summary=summary,
    )


# Norrmalm: feedback within 14 working days. Comment: arrival -> deadline; working days to feedback.
NORRMALM_CASES = [
    # Mon 12 Jan -> Fri 30 Jan; feedback Fri 16 Jan: 13, 14, 15, 16 = 4, on time
    case("NM-2026-0001", at(2026, 1, 12), dept="aldreomsorg", due=date(2026, 1, 30), feedback=at(2026, 1, 16, 14)),
    # Tue 3 Feb -> Mon 23 Feb; feedback Tue 10 Feb: 4, 5, 6, 9, 10 = 5, on time
    case("NM-2026-0002", at(2026, 2, 3, 9), dept="aldreomsorg", due=date(2026, 2, 23), feedback=at(2026, 2, 10)),
    # Wed 4 Mar -> Tue 24 Mar; feedback Thu 26 Mar = 16 working days, late (a phoned-in opinion)
    case("NM-2026-0003", at(2026, 3, 4, 11), kind=Kind.OPINION, unit="sabbatsberg", dept="aldreomsorg",
         channel="phone", due=date(2026, 3, 24), feedback=at(2026, 3, 26)),
    # Wed 1 Apr (Easter ahead) -> Thu 23 Apr; feedback Tue 14 Apr: 2, 7, 8, 9, 10, 13, 14 = 7, on time
    case("NM-2026-0004", at(2026, 4, 1), unit="forskola-vasastan", dept="forskola",
         due=date(2026, 4, 23), feedback=at(2026, 4, 14)),
    # anonymous: no deadline; closed Fri 20 Feb without feedback
    case("NM-2026-0005", at(2026, 2, 16), dept="aldreomsorg", flags=("anonymous",), closed=at(2026, 2, 20)),
    # praise, Tue 10 Mar -> Mon 30 Mar; feedback Wed 11 Mar = 1, on time
    case("NM-2026-0006", at(2026, 3, 10), kind=Kind.PRAISE, unit="parkmiljo", dept="stadsmiljo",
         due=date(2026, 3, 30), feedback=at(2026, 3, 11)),
    # about an employee, Mon 20 Apr -> Mon 11 May (1 May closed); feedback Tue 12 May = 15, late
    case("NM-2026-0007", at(2026, 4, 20), unit="vuxenenheten", dept="socialtjanst", flags=("about_employee",),
         due=date(2026, 5, 11), feedback=at(2026, 5, 12)),
    # no unit matched, Mon 16 Mar -> Tue 7 Apr (Easter); never answered: late, open and overdue at T1's end
    case("NM-2026-0008", at(2026, 3, 16), unit=None, due=date(2026, 4, 7)),
    # 23:30 local on Thu 30 Apr (21:30 UTC): T1. Counts from Mon 4 May -> Mon 25 May; feedback Wed 6 May = 2
    case("NM-2026-0009", datetime(2026, 4, 30, 21, 30, tzinfo=UTC), dept="aldreomsorg",
         due=date(2026, 5, 25), feedback=at(2026, 5, 6)),
    # 00:10 local on Fri 1 May (22:10 UTC on 30 Apr): T2. From Mon 4 May; feedback Fri 8 May = 4
    case("NM-2026-0010", datetime(2026, 4, 30, 22, 10, tzinfo=UTC), kind=Kind.OPINION, dept="aldreomsorg",
         due=date(2026, 5, 25), feedback=at(2026, 5, 8)),
    # Lex Sarah by letter, Tue 24 Feb -> Mon 16 Mar; feedback Mon 2 Mar: 25, 26, 27, 2 = 4, on time
    case("NM-2026-0011", at(2026, 2, 24), unit="sabbatsberg", dept="aldreomsorg", channel="letter",
         flags=("lex_sarah",), due=date(2026, 3, 16), feedback=at(2026, 3, 2)),
    # Thu 10 Sep -> Wed 30 Sep: not answered, deadline ahead of AS_OF (15 Sep): pending
    case("NM-2026-0012", at(2026, 9, 10), unit="fritid", dept="stadsmiljo", due=date(2026, 9, 30)),
    # Tue 1 Sep -> Mon 21 Sep, closed Thu 3 Sep without feedback: outside the on-time share
    case("NM-2026-0013", at(2026, 9, 1), kind=Kind.OPINION, unit="parkmiljo", dept="stadsmiljo",
         due=date(2026, 9, 21), closed=at(2026, 9, 3)),
]

# Nacka: feedback within 10 working days.
NACKA_CASES = [
    # Mon 19 Jan -> Mon 2 Feb; feedback Fri 30 Jan = 9, on time
    case("NK-2026-0001", at(2026, 1, 19, 9), unit="sofiero", dept="aldre", due=date(2026, 2, 2),
         feedback=at(2026, 1, 30)),
    # Thu 2 Apr (Easter follows) -> Mon 20 Apr; feedback Thu 16 Apr: 7, 8, 9, 10, 13, 14, 15, 16 = 8, on time
    case("NK-2026-0002", at(2026, 4, 2), unit="gruppbostad", dept="funktionsnedsattning", due=date(2026, 4, 20),
         feedback=at(2026, 4, 16)),
    # Mon 9 Mar -> Mon 23 Mar; feedback Fri 27 Mar = 14, late
    case("NK-2026-0003", at(2026, 3, 9), kind=Kind.OPINION, unit="boendestod", dept="socialpsykiatri",
         due=date(2026, 3, 23), feedback=at(2026, 3, 27)),
    # external provider, Mon 27 Apr -> Tue 12 May; feedback Mon 11 May = 9, on time; open at T1's end
    case("NK-2026-0004", at(2026, 4, 27), unit="hemtjanst-extern", dept="aldre", flags=("external_provider",),
         due=date(2026, 5, 12), feedback=at(2026, 5, 11)),
]

ALL_CASES = NORRMALM_CASES + NACKA_CASES
T1 = Period.parse("2026-T1")


@pytest.fixture(scope="module")
def nm_t1(norrmalm: Organization) -> PeriodStats:
    return period_stats(norrmalm, T1, ALL_CASES, CAL, as_of=AS_OF)


@pytest.fixture(scope="module")
def nk_t1(nacka: Organization) -> PeriodStats:
    return period_stats(nacka, T1, ALL_CASES, CAL, as_of=AS_OF)


def counts(buckets: Any) -> dict[str | None, int]:
    return {b.key: b.count for b in buckets}


# -- the test data itself ---------------------------------------------------------------


def test_the_deadlines_in_the_data_are_the_calendars(norrmalm: Organization, nacka: Organization) -> None:
    for org, cases in ((norrmalm, NORRMALM_CASES), (nacka, NACKA_CASES)):
        for r in cases:
            if r.feedback_due is None:
                continue
            d = case_deadlines(CAL, r.received_at, first_response_working_days=None,
                               feedback_working_days=org.policy.feedback_working_days, needs_feedback=True)
            assert d.feedback_due == r.feedback_due, r.ref


# -- periods --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, start, end, label",
    [
        ("2026-T1", date(2026, 1, 1), date(2026, 4, 30), "Tertial 1 2026 (januari–april)"),
        ("2026-T2", date(2026, 5, 1), date(2026, 8, 31), "Tertial 2 2026 (maj–augusti)"),
        ("2026-t3", date(2026, 9, 1), date(2026, 12, 31), "Tertial 3 2026 (september–december)"),
        (" 2026 ", date(2026, 1, 1), date(2026, 12, 31), "Helår 2026"),
    ],
)
def test_period_parses_tertials_and_years(text: str, start: date, end: date, label: str) -> None:
    p = Period.parse(text)
    assert (p.start, p.end, p.label()) == (start, end, label)
    assert len(p.months) == (12 if p.tertial is None else 4)


@pytest.mark.parametrize("text", ["2026-T4", "2026-T0", "2026T1", "26-T1", "2026-Q1", "", "T1-2026"])
def test_bad_period_is_refused_with_the_expected_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected YYYY-T1, YYYY-T2, YYYY-T3 or YYYY"):
        Period.parse(text)


def test_nearest_rank_percentiles() -> None:
    assert nearest_rank(range(1, 11), 50) == 5
    assert nearest_rank(range(1, 11), 90) == 9
    assert nearest_rank([16, 1, 4, 2, 5, 4, 15, 7], 50) == 4  # lower middle of an even count
    assert nearest_rank([16, 1, 4, 2, 5, 4, 15, 7], 90) == 16
    assert nearest_rank([3], 90) == 3
    assert nearest_rank([], 50) is None


# -- statistics -----------------------------------------------------------------------


def test_norrmalm_t1_counts(nm_t1: PeriodStats) -> None:
    s = nm_t1
    assert s.total == 10
    assert counts(s.kinds) == {"complaint": 8, "opinion": 1, "praise": 1}
    assert counts(s.channels) == {"email": 8, "phone": 1, "letter": 1}
    assert counts(s.departments) == {
        "aldreomsorg": 6, "forskola": 1, "socialtjanst": 1, "stadsmiljo": 1, None: 1,
    }
    assert [b.name for b in s.departments][-1] == "(triage)"
    assert counts(s.units) == {
        "hemtjanst": 4, "sabbatsberg": 2, "dagverksamhet": 0, "hemtjanst-omsorgsgruppen": 0,
        "forskola-vasastan": 1, "forskola-city": 0, "barn-ungdom": 0, "vuxenenheten": 1,
        "forsorjningsstod": 0, "parkmiljo": 1, "fritid": 0, None: 1,
    }
    assert counts(s.flags) == {
        "lex_sarah": 1, "about_employee": 1, "anonymous": 1, "external_provider": 0, "other_district": 0,
    }
    assert s.anonymous == 1 and s.anonymous_share == pytest.approx(0.1)


def test_norrmalm_t1_feedback_on_time_and_working_days(nm_t1: PeriodStats) -> None:
    t = nm_t1.timeliness
    # nine with a deadline (the anonymous one has none): 1, 2, 4, 6, 9, 11 on time; 3, 7, 8 late
    assert (t.with_deadline, t.on_time, t.late, t.pending, t.closed_without_feedback) == (9, 6, 3, 0, 0)
    assert t.share == pytest.approx(6 / 9)
    # days to feedback: 1, 2, 4, 4, 5, 7, 15, 16 -> median rank 4, p90 rank 8
    assert nm_t1.answered == 8
    assert (nm_t1.median_days, nm_t1.p90_days) == (4, 16)


def test_norrmalm_t1_open_and_overdue_at_period_end(nm_t1: PeriodStats) -> None:
    # on 30 April: 7 (answered 12 May), 8 (never) and 9 (answered 6 May) are open; 8 is past its deadline
    assert (nm_t1.open_at_end, nm_t1.overdue_at_end, nm_t1.measured_on) == (3, 1, date(2026, 4, 30))


def test_norrmalm_t1_month_by_month(nm_t1: PeriodStats) -> None:
    assert [(m.month, m.complaint, m.opinion, m.praise) for m in nm_t1.months] == [
        ("2026-01", 1, 0, 0), ("2026-02", 3, 0, 0), ("2026-03", 1, 1, 1), ("2026-04", 3, 0, 0),
    ]


def test_on_time_share_per_department(nm_t1: PeriodStats) -> None:
    by = {t.key: (t.with_deadline, t.on_time, t.late) for t in nm_t1.department_timeliness}
    assert by == {
        "aldreomsorg": (5, 4, 1), "forskola": (1, 1, 0), "socialtjanst": (1, 0, 1),
        "stadsmiljo": (1, 1, 0), None: (1, 0, 1),
    }


def test_tertial_boundary_goes_by_local_arrival_date(norrmalm: Organization) -> None:
    t1 = period_stats(norrmalm, T1, ALL_CASES, CAL, as_of=AS_OF)
    t2 = period_stats(norrmalm, Period.parse("2026-T2"), ALL_CASES, CAL, as_of=AS_OF)
    # NM-2026-0009 arrived 21:30 UTC = 23:30 local on 30 April; NM-2026-0010 22:10 UTC = 00:10 on 1 May
    assert t1.months[-1].complaint == 3  # includes 0009
    assert t2.total == 1 and counts(t2.kinds) == {"complaint": 0, "opinion": 1, "praise": 0}
    assert [(m.month, m.total) for m in t2.months] == [("2026-05", 1), ("2026-06", 0), ("2026-07", 0), ("2026-08", 0)]
    assert (t2.timeliness.on_time, t2.median_days) == (1, 4)
    assert (t2.open_at_end, t2.overdue_at_end) == (0, 0)


def test_year_still_running_counts_pending_and_open_now(norrmalm: Organization) -> None:
    s = period_stats(norrmalm, Period.parse("2026"), ALL_CASES, CAL, as_of=AS_OF)
    assert s.total == 13
    t = s.timeliness
    # 0012 is not yet due on 15 September; 0013 was closed before its deadline without feedback
    assert (t.with_deadline, t.on_time, t.late, t.pending, t.closed_without_feedback) == (12, 7, 3, 1, 1)
    assert t.share == pytest.approx(0.7)
    # days: 1, 2, 4, 4, 4, 5, 7, 15, 16 -> median rank 5, p90 rank 9
    assert (s.median_days, s.p90_days) == (4, 16)
    # the year is not over on 15 September: open 0008 and 0012 now, of which 0008 is past its deadline
    assert (s.open_at_end, s.overdue_at_end, s.measured_on) == (2, 1, date(2026, 9, 15))
    assert [m.total for m in s.months] == [1, 3, 3, 3, 1, 0, 0, 0, 2, 0, 0, 0]


def test_year_after_it_ended_counts_open_at_new_years_eve(norrmalm: Organization) -> None:
    s = period_stats(norrmalm, Period.parse("2026"), ALL_CASES, CAL, as_of=at(2027, 1, 20))
    assert (s.open_at_end, s.overdue_at_end, s.measured_on) == (2, 2, date(2026, 12, 31))
    assert (s.timeliness.late, s.timeliness.pending) == (4, 0)  # 0012 is now late too


def test_nacka_t1(nk_t1: PeriodStats) -> None:
    s = nk_t1
    assert s.total == 4
    assert counts(s.kinds) == {"complaint": 3, "opinion": 1, "praise": 0}
    assert counts(s.departments) == {"aldre": 2, "funktionsnedsattning": 1, "socialpsykiatri": 1}
    assert counts(s.flags)["external_provider"] == 1
    t = s.timeliness
    assert (t.with_deadline, t.on_time, t.late) == (4, 3, 1) and t.share == pytest.approx(0.75)
    assert (s.median_days, s.p90_days) == (9, 14)  # 8, 9, 9, 14
    assert (s.open_at_end, s.overdue_at_end) == (1, 0)
    assert [(m.complaint, m.opinion) for m in s.months] == [(1, 0), (0, 0), (0, 1), (2, 0)]


def test_other_organizations_cases_are_ignored(norrmalm: Organization) -> None:
    s = period_stats(norrmalm, T1, NACKA_CASES, CAL, as_of=AS_OF)
    assert s.total == 0 and s.median_days is None and s.timeliness.share is None
    assert s.anonymous_share is None


def test_unknown_unit_is_shown_by_its_id(norrmalm: Organization) -> None:
    r = replace(NORRMALM_CASES[0], unit_id="nedlagd-enhet", department_id=None)
    s = period_stats(norrmalm, T1, [r], CAL, as_of=AS_OF)
    assert [(b.key, b.name, b.count) for b in s.units if b.count] == [("nedlagd-enhet", "nedlagd-enhet", 1)]
    assert [(b.name, b.count) for b in s.departments if b.count] == [("(triage)", 1)]


# -- JSON -----------------------------------------------------------------------------


def test_json_carries_exact_numbers(nm_t1: PeriodStats, nk_t1: PeriodStats) -> None:
    doc = json.loads(report_json([nm_t1, nk_t1]))
    nm, nk = doc["reports"]
    assert nm["organization"] == {"id": "norrmalm", "name": NM_NAME}
    assert nm["period"] == {"key": "2026-T1", "label": "Tertial 1 2026 (januari–april)",
                            "start": "2026-01-01", "end": "2026-04-30"}
    assert nm["total"] == 10
    assert nm["kinds"] == {"complaint": 8, "opinion": 1, "praise": 1}  # no "<3" in JSON
    assert nm["channels"] == {"email": 8, "phone": 1, "letter": 1}
    assert {u["id"]: u["count"] for u in nm["units"]}["sabbatsberg"] == 2
    assert nm["units"][-1] == {"id": None, "name": "(triage)", "department": "", "count": 1}
    assert nm["flags"]["lex_sarah"] == 1
    assert nm["anonymous"] == {"count": 1, "share": 0.1}
    assert nm["feedback"] == {
        "with_deadline": 9, "on_time": 6, "late": 3, "pending": 0, "closed_without_feedback": 0,
        "on_time_share": 0.6667, "answered": 8, "median_working_days": 4, "p90_working_days": 16,
    }
    assert (nm["open_at_end"], nm["overdue_at_end"]) == (3, 1)
    assert nm["months"][1] == {"month": "2026-02", "complaint": 3, "opinion": 0, "praise": 0, "total": 3}
    dept = {d["id"]: d for d in nm["departments"]}
    assert dept["forskola"]["feedback"]["on_time_share"] == 1.0
    assert nk["organization"]["name"] == NK_NAME and nk["open_at_end"] == 1


# -- CSV ------------------------------------------------------------------------------


def csv_table(data: bytes) -> tuple[list[str], dict[tuple[str, str, str, str], str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    return rows[0], {(o, p, d, k): v for o, p, d, k, v in rows[1:]}


def test_csv_is_excel_friendly_and_round_trips_swedish(nm_t1: PeriodStats, nk_t1: PeriodStats) -> None:
    data = report_csv([nm_t1, nk_t1])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "Välfärd samhällsservice" in text and "Förskolorna i Vasastan" in text and "klagomål" in text
    header, cells = csv_table(data)
    assert header == ["organization", "period", "dimension", "key", "value"]
    assert cells[(NK_NAME, "2026-T1", "unit", "Nacka seniorcenter Sofiero")] == "<3"
    assert "\r\n" in text  # Excel's line ending


def test_csv_hides_counts_under_the_threshold(nm_t1: PeriodStats, nk_t1: PeriodStats) -> None:
    _, c = csv_table(report_csv([nm_t1, nk_t1]))

    def nm(dimension: str, key: str = "") -> str:
        return c[(NM_NAME, "2026-T1", dimension, key)]

    assert nm("total") == "10"
    assert (nm("kind", "klagomål"), nm("kind", "synpunkt"), nm("kind", "beröm")) == ("8", "<3", "<3")
    assert (nm("channel", "e-post"), nm("channel", "telefon"), nm("channel", "brev")) == ("8", "<3", "<3")
    assert nm("department", "Avdelningen för äldreomsorg") == "6"
    assert nm("department", "(triage)") == "<3"
    assert nm("unit", "Hemtjänsten Norrmalm") == "4"
    assert nm("unit", "Sabbatsbergs vård- och omsorgsboende") == "<3"
    assert nm("unit", "Dagverksamheten för äldre, Norrmalm") == "0"  # zero identifies nobody
    assert nm("flag", "Lex Sarah") == "<3"
    assert nm("anonymous_share") == "0,100"
    assert (nm("feedback_on_time"), nm("feedback_late"), nm("feedback_on_time_share")) == ("6", "3", "0,667")
    assert (nm("working_days_median"), nm("working_days_p90")) == ("4", "16")
    assert (nm("open_at_end"), nm("overdue_at_end")) == ("3", "<3")
    assert nm("department_on_time_share", "Avdelningen för äldreomsorg") == "0,800"
    assert nm("department_on_time_share", "Förskoleavdelningen") == "<3"  # rests on one case
    assert (nm("month", "2026-02"), nm("month_complaint", "2026-01"), nm("month_praise", "2026-02")) == ("3", "<3", "0")

    def nk(dimension: str, key: str = "") -> str:
        return c[(NK_NAME, "2026-T1", dimension, key)]

    assert (nk("kind", "klagomål"), nk("open_at_end"), nk("feedback_on_time_share")) == ("3", "<3", "0,750")


def test_csv_threshold_is_configurable(nm_t1: PeriodStats) -> None:
    _, c = csv_table(report_csv([nm_t1], threshold=1))
    assert c[(NM_NAME, "2026-T1", "kind", "synpunkt")] == "1"
    assert not any(v.startswith("<") for v in c.values())
    _, c = csv_table(report_csv([nm_t1], threshold=5))
    assert c[(NM_NAME, "2026-T1", "unit", "Hemtjänsten Norrmalm")] == "<5"


# -- HTML report ----------------------------------------------------------------------


def parse_html(html: str) -> ET.Element:
    """Well-formed: an XML parser reads it once the doctype is gone."""
    assert html.startswith("<!DOCTYPE html>")
    return ET.fromstring(html.removeprefix("<!DOCTYPE html>"))


def no_active_or_external_content(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"https?://", html)
    assert "javascript:" not in html.lower()


def table_after(root: ET.Element, section_title: str, heading: str) -> list[list[str]]:
    """The rows (cell texts) of the first table after `heading` in the section titled `section_title`."""
    for section in root.iter("section"):
        if section.findtext("h2") != section_title:
            continue
        children = list(section)
        for i, el in enumerate(children):
            if el.tag == "h3" and el.text == heading:
                table = next(c for c in children[i + 1:] if c.tag == "table")
                return [["".join(td.itertext()) for td in tr] for tr in table.iter("tr")]
    raise AssertionError(f"no {heading!r} in {section_title!r}")


def test_html_report_is_well_formed_self_contained_and_hides_small_counts(
    nm_t1: PeriodStats, nk_t1: PeriodStats
) -> None:
    html = report_html([nm_t1, nk_t1])
    root = parse_html(html)
    no_active_or_external_content(html)
    assert root.findtext("head/title") == "Synpunkter och klagomål – Tertial 1 2026 (januari–april)"
    assert len(list(root.iter("svg"))) == 4  # two charts per organization
    assert "@media print" in html

    key = {row[0]: row[1] for row in table_after(root, NM_NAME, "Nyckeltal")[1:]}
    assert key["Inkomna ärenden"] == "10"
    assert key["– klagomål"] == "8" and key["– synpunkter"] == "<3" and key["– beröm"] == "<3"
    assert key["Andel återkoppling i tid"] == "67\u00a0%"
    assert key["Arbetsdagar till återkoppling, median"] == "4"
    assert key["Arbetsdagar till återkoppling, 90:e percentil"] == "16"
    assert key["Öppna vid periodens slut"] == "3" and key["Försenade vid periodens slut"] == "<3"

    months = table_after(root, NM_NAME, "Inkomna ärenden per månad")
    assert months[1] == ["januari 2026", "<3", "0", "0", "<3"]
    assert months[-1] == ["Summa", "8", "<3", "<3", "10"]
    depts = {r[0]: r for r in table_after(root, NM_NAME, "Återkoppling i tid per avdelning")[1:]}
    assert depts["Avdelningen för äldreomsorg"] == ["Avdelningen för äldreomsorg", "6", "5", "4", "<3", "80\u00a0%"]
    assert depts["Förskoleavdelningen"][-1] == "<3"

    # the side-by-side comparison
    comparison = next(s for s in root.iter("section") if s.findtext("h2") == "Jämförelse mellan förvaltningarna")
    rows = [["".join(c.itertext()) for c in tr] for tr in comparison.iter("tr")]
    assert rows[0] == ["", NM_NAME, NK_NAME]
    assert ["Andel återkoppling i tid", "67\u00a0%", "75\u00a0%"] in rows
    assert ["Inkomna ärenden", "10", "4"] in rows

    # charts: hidden values are labelled, never drawn to scale
    svg_texts = ["".join(t.itertext()) for svg in root.iter("svg") for t in svg.iter("text")]
    assert "<3" in svg_texts and "80\u00a0%" in svg_texts
    assert not any(t in ("1", "2") for t in svg_texts)


def test_html_report_for_one_organization_has_no_comparison(nk_t1: PeriodStats) -> None:
    html = report_html([nk_t1])
    root = parse_html(html)
    assert [s.findtext("h2") for s in root.iter("section")] == [NK_NAME]


# -- the digest -----------------------------------------------------------------------

DAY = date(2026, 4, 2)  # Thursday before Easter: two working days ahead is Wednesday 8 April
SINCE = at(2026, 4, 1, 7, 30)
SECRET_EMPLOYEE = "Pedagogen [namn] skrek åt barnen vid hämtningen"
SECRET_LEX_SARAH = "Min mamma fick ligga kvar i sängen hela dagen utan mat"

DIGEST_CASES = [
    case("NM-2026-0101", at(2026, 4, 1, 10), due=date(2026, 4, 23), summary="Hemtjänsten kom inte på tisdagen."),
    case("NM-2026-0102", at(2026, 4, 1, 14), unit="forskola-vasastan", flags=("about_employee",),
         due=date(2026, 4, 23), summary=SECRET_EMPLOYEE),
    case("NM-2026-0103", at(2026, 4, 1, 16), unit="sabbatsberg", flags=("lex_sarah",), due=date(2026, 4, 23),
         summary=SECRET_LEX_SARAH),
    case("NM-2026-0104", at(2026, 4, 2, 6, 45), kind=Kind.OPINION, unit=None, channel="phone",
         flags=("anonymous",), summary="Fler   bänkar i\nparken vore bra."),
    case("NM-2026-0090", at(2026, 3, 13), due=date(2026, 4, 2)),  # due today
    case("NM-2026-0091", at(2026, 3, 17), unit="barn-ungdom", due=date(2026, 4, 8)),  # due on the last day counted
    case("NM-2026-0092", at(2026, 3, 18), due=date(2026, 4, 9)),  # three working days ahead: not listed
    case("NM-2026-0080", at(2026, 3, 2), unit="vuxenenheten", dept="socialtjanst", due=date(2026, 3, 20), level=1),
    case("NM-2026-0070", at(2026, 2, 16), unit="parkmiljo", dept="stadsmiljo", due=date(2026, 3, 6), level=2),
    case("NM-2026-0060", at(2026, 3, 10), due=date(2026, 3, 30), feedback=at(2026, 4, 1, 11)),
    case("NM-2026-0050", at(2026, 3, 25), unit="hemtjanst-omsorgsgruppen", due=date(2026, 4, 15),
         status=Status.AWAITING_REPORT),
    case("NM-2026-0040", at(2026, 3, 3), due=date(2026, 3, 23), closed=at(2026, 3, 31)),  # closed: not overdue
    case("NK-2026-0100", at(2026, 4, 1, 12), unit="sofiero", summary="Nacka: not in Norrmalm's digest"),
]
EVENTS = [
    DigestEvent("NM-2026-0060", "feedback", at(2026, 4, 1, 11)),
    DigestEvent("NM-2026-0050", "report", at(2026, 4, 1, 15)),
    DigestEvent("NM-2026-0030", "feedback", at(2026, 3, 31, 16)),  # before the last digest
    DigestEvent("NK-2026-0100", "feedback", at(2026, 4, 1, 13)),  # another organization's
]
TRIAGE = [
    TriageItem("unrouted", at(2026, 4, 2, 6, 45), "NM-2026-0104", "ingen enhet passade"),
    TriageItem("unmatched_staff", at(2026, 4, 1, 12), None, "personalmejl utan ärendenummer"),
    TriageItem("quarantined", at(2026, 4, 1, 20), None, "trasig MIME-struktur"),
    TriageItem("bounce", datetime(2026, 4, 1, 19, 0, tzinfo=UTC), "NM-2026-0101", "kvittensen studsade"),
    TriageItem("bounce", at(2026, 4, 1, 13), "NK-2026-0100", "another organization's"),
]


@pytest.fixture(scope="module")
def digest(norrmalm: Organization) -> Digest:
    return build_digest(norrmalm, DAY, SINCE, DIGEST_CASES, EVENTS, TRIAGE, CAL)


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates(ROOT / "templates")


def rendered(templates: Templates, d: Digest, org: Organization) -> Iterator[tuple[str, str, str, str]]:
    for lang in ("sv", "en"):
        yield (lang, *templates.render("digest", lang, **digest_context(d, org, lang)))


def test_digest_sections(digest: Digest) -> None:
    d = digest
    assert [c.ref for c in d.new_cases] == ["NM-2026-0101", "NM-2026-0102", "NM-2026-0103", "NM-2026-0104"]
    first = d.new_cases[0]
    assert (first.kind, first.channel, first.unit, first.summary) == (
        "complaint", "email", "Hemtjänsten Norrmalm", "Hemtjänsten kom inte på tisdagen.")
    assert d.new_cases[3].summary == "Fler bänkar i parken vore bra."
    assert d.new_cases[3].unit == "(triage)" and d.new_cases[3].unit_id is None
    assert d.due_until == date(2026, 4, 8)  # 3 and 6 April are closed
    assert [c.ref for c in d.due_soon] == ["NM-2026-0090", "NM-2026-0091"]
    assert [(c.ref, c.escalation_level, c.escalated_to, c.working_days_late) for c in d.overdue] == [
        ("NM-2026-0070", 2, "Eva Stjernström, stadsdelsdirektör", 19),
        ("NM-2026-0080", 1, "Johan Almqvist", 9),
    ]
    assert [(n.ref, n.on_time, n.unit) for n in d.feedback] == [("NM-2026-0060", False, "Hemtjänsten Norrmalm")]
    assert [(n.ref, n.unit_id) for n in d.reports] == [("NM-2026-0050", "hemtjanst-omsorgsgruppen")]
    assert [t.kind for t in d.triage] == ["unmatched_staff", "quarantined", "bounce", "unrouted"]
    assert d.triage[2].at == at(2026, 4, 1, 21)  # 19:00 UTC shown in local time
    assert [(k.kind, k.new, k.open, k.overdue) for k in d.counts] == [
        ("complaint", 3, 9, 2), ("opinion", 1, 1, 0), ("praise", 0, 0, 0),
    ]
    assert not d.quiet
    assert d.title() == "Dagens sammanställning 2026-04-02"


def test_digest_shows_employee_and_lex_sarah_cases_by_ref_and_unit_only(digest: Digest) -> None:
    restricted = {c.ref: c for c in digest.new_cases if c.restricted}
    assert set(restricted) == {"NM-2026-0102", "NM-2026-0103"}
    for c in restricted.values():
        assert (c.summary, c.kind, c.channel) == ("", "", "")
    assert restricted["NM-2026-0103"].unit == "Sabbatsbergs vård- och omsorgsboende"


def test_rendered_digest_is_well_formed_and_keeps_refs_and_secrets(
    digest: Digest, norrmalm: Organization, templates: Templates
) -> None:
    for lang, subject, text, html in rendered(templates, digest, norrmalm):
        parse_html(html)
        no_active_or_external_content(html)
        for part in (text, html):
            for ref in ("NM-2026-0101", "NM-2026-0102", "NM-2026-0103", "NM-2026-0104", "NM-2026-0090",
                        "NM-2026-0091", "NM-2026-0080", "NM-2026-0070", "NM-2026-0060", "NM-2026-0050"):
                assert re.search(rf"(?<![\w-]){ref}(?![\w-])", part), (lang, ref)
            for hidden in ("NM-2026-0092", "NM-2026-0040", "NM-2026-0030", "NK-2026-0100", "Nacka:"):
                assert hidden not in part, (lang, hidden)
            for secret in (SECRET_EMPLOYEE, SECRET_LEX_SARAH, "[namn]", "skrek", "sängen"):
                assert secret not in part, (lang, secret)
            assert "Hemtjänsten kom inte på tisdagen." in part
            assert "vuxenenheten" in part  # unit ids, ready for #enhet
        assert "[NM-2026-0070]" in text  # how to write a command mail, with a real ref
    sv_subject, sv_text = next(rendered(templates, digest, norrmalm))[1:3]
    assert sv_subject == (
        "Dagens sammanställning 2026-04-02 – Norrmalms stadsdelsförvaltning: "
        "4 nya ärenden, 2 försenade, 4 att triagera"
    )
    assert "NM-2026-0070  tidsgräns 2026-03-06, 19 arbetsdagar sen, eskalerat, nivå 2" in sv_text
    assert "NM-2026-0102  Förskolorna i Vasastan (forskola-vasastan) – visas begränsat" in sv_text
    assert "TIDSGRÄNS INOM TVÅ ARBETSDAGAR, T.O.M. ONSDAG 8 APRIL 2026 (2)" in sv_text


def test_quiet_day_still_gets_a_short_digest(norrmalm: Organization, templates: Templates) -> None:
    waiting = case("NM-2026-0200", at(2026, 3, 20), due=date(2026, 4, 10))  # open, not due soon
    d = build_digest(norrmalm, DAY, SINCE, [waiting], [], [], CAL)
    assert d.quiet
    assert (d.counts[0].kind, d.counts[0].new, d.counts[0].open) == ("complaint", 0, 1)
    (_, sv_subject, sv_text, sv_html), (_, en_subject, en_text, en_html) = rendered(templates, d, norrmalm)
    assert sv_subject == "Dagens sammanställning 2026-04-02 – Norrmalms stadsdelsförvaltning: inget nytt"
    assert en_subject == "Daily digest 2026-04-02 – Norrmalms stadsdelsförvaltning: nothing new"
    assert "Inget nytt har hänt" in sv_text and "mailflow är i gång" in sv_text
    assert "Nothing new has happened" in en_text
    assert "NYA ÄRENDEN" not in sv_text and len(sv_text.splitlines()) < 20
    for html in (sv_html, en_html):
        parse_html(html)
        no_active_or_external_content(html)


def test_digest_refuses_unknown_event_and_triage_kinds() -> None:
    with pytest.raises(ValueError):
        DigestEvent("NM-2026-0001", "reply", SINCE)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        TriageItem("spam", SINCE)  # type: ignore[arg-type]
