"""The registrar's daily digest: what came in, what was answered, what is due, late or needs triage.

Pure: the caller reads the cases, events and triage items and passes them in,
with the day and the time of the previous digest. Cases about an individual
employee or under Lex Sarah are shown by ref and unit only: their lines carry
no kind, channel or summary, so no template can print them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

from mailflow import i18n
from mailflow.config import Organization
from mailflow.deadlines import WorkCalendar
from mailflow.model import CaseRecord, Status
from mailflow.reports.labels import (
    KINDS,
    channel_labels,
    department_id,
    is_restricted,
    kind_labels,
    kind_plurals,
    unit_name,
)
from mailflow.reports.stats import local

EventKind = Literal["feedback", "report"]
TriageKind = Literal["unmatched_staff", "unrouted", "foreign_ref", "quarantined", "bounce", "failed_mail",
                     "refused_recipient", "outage"]
DUE_SOON_WORKING_DAYS = 2
SUMMARY_CHARS = 160


@dataclass(frozen=True)
class DigestEvent:
    """Feedback matched to a case (the manager's answer, registrar in CC) or a provider's report."""

    ref: str
    kind: EventKind
    at: datetime

    def __post_init__(self) -> None:
        if self.kind not in get_args(EventKind):
            raise ValueError(f"unknown digest event kind {self.kind!r}")


@dataclass(frozen=True)
class TriageItem:
    """Something waiting for the registrar: a note that names no person (no address, subject or body)."""

    kind: TriageKind
    at: datetime
    ref: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in get_args(TriageKind):
            raise ValueError(f"unknown triage kind {self.kind!r}")


@dataclass(frozen=True)
class DigestCase:
    """One case line. A restricted case has empty kind, channel and summary."""

    ref: str
    unit_id: str | None
    unit: str  # the unit's name, or '(triage)'
    kind: str  # 'complaint' | 'opinion' | 'praise'; '' when restricted
    channel: str  # '' when restricted
    summary: str  # one de-identified line; '' when restricted
    restricted: bool
    received_at: datetime  # local time
    feedback_due: date | None
    escalation_level: int
    escalated_to: str = ""  # whom the last escalation went to (from config), '' at level 0
    working_days_late: int = 0  # for an overdue case: working days after the deadline up to the digest day
    language: str = ""  # the citizen's language (sv, en, fi, ...); '' when restricted


@dataclass(frozen=True)
class DigestNote:
    """Feedback or a report that arrived since the last digest."""

    ref: str
    kind: EventKind
    at: datetime  # local time
    unit_id: str | None
    unit: str  # '' when the case is not among the records
    on_time: bool | None  # feedback by its deadline; None for reports, cases without a deadline or unknown cases


@dataclass(frozen=True)
class KindCount:
    """The count line of one kind: new since the last digest, open, overdue."""

    kind: str
    new: int
    open: int
    overdue: int


@dataclass(frozen=True)
class Digest:
    """The day's digest for one organization; `quiet` when there is nothing to report."""

    org_id: str
    org_name: str
    day: date
    since: datetime  # local time of the previous digest
    due_until: date  # the last deadline day counted as "due soon"
    new_cases: tuple[DigestCase, ...]
    feedback: tuple[DigestNote, ...]
    reports: tuple[DigestNote, ...]
    due_soon: tuple[DigestCase, ...]
    overdue: tuple[DigestCase, ...]
    triage: tuple[TriageItem, ...]  # `at` in local time
    counts: tuple[KindCount, ...]  # complaint, opinion, praise

    @property
    def quiet(self) -> bool:
        return not (self.new_cases or self.feedback or self.reports or self.due_soon or self.overdue or self.triage)

    def title(self, lang: str = "sv") -> str:
        """'Dagens sammanställning 2026-03-02' ('Daily digest 2026-03-02'); also the header of the HTML part."""
        lang = lang if lang in i18n.available() else i18n.DEFAULT_LANGUAGE
        return i18n.translations(lang).gettext("Daily digest %(day)s") % {"day": self.day.isoformat()}


def is_open(r: CaseRecord) -> bool:
    """Neither answered nor closed."""
    return (
        r.feedback_at is None
        and r.closed_at is None
        and r.status not in (Status.ANSWERED, Status.CLOSED)
    )


def _ours(org: Organization, ref: str) -> bool:
    """A ref of this organization (its case prefix), not another's."""
    return ref.upper().startswith(f"{org.case_prefix}-")


def _one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _escalated_to(org: Organization, r: CaseRecord) -> str:
    """Level 1 is the department head, level 2 and up the director (SPEC section 3)."""
    if r.escalation_level <= 0:
        return ""
    if r.escalation_level == 1:
        dept = org.department(department_id(org, r))
        return (dept.head_name or dept.head) if dept is not None else ""
    return org.director_name or org.director


def _line(org: Organization, cal: WorkCalendar, r: CaseRecord, day: date | None = None) -> DigestCase:
    restricted = is_restricted(r)
    due = r.feedback_due
    return DigestCase(
        ref=r.ref,
        unit_id=r.unit_id,
        unit=unit_name(org, r.unit_id),
        kind="" if restricted else str(r.kind),
        channel="" if restricted else r.channel,
        summary="" if restricted else _one_line(r.summary),
        restricted=restricted,
        received_at=local(r.received_at, cal.tz),
        feedback_due=due,
        escalation_level=r.escalation_level,
        escalated_to=_escalated_to(org, r),
        working_days_late=cal.working_days_between(due, day) if day is not None and due is not None else 0,
        language="" if restricted else r.language,
    )


def build_digest(
    org: Organization,
    day: date,
    since: datetime,
    records: Iterable[CaseRecord],
    events: Iterable[DigestEvent],
    triage: Iterable[TriageItem],
    cal: WorkCalendar,
) -> Digest:
    """The digest of `day` for `org`, covering what happened from `since` (the previous digest).

    `records` must hold every open case of the organization, the cases that arrived
    since `since` and the cases the events name; other organizations' cases are
    ignored. New cases: arrived at or after `since`. Due soon: open, with a feedback
    deadline from `day` up to two working days after it. Overdue: open, with a
    deadline before `day`. Every triage item passed in is listed: it is still waiting.
    Events and triage items whose ref carries another organization's prefix are left out.
    """
    tz = cal.tz
    cases = [r for r in records if r.org_id == org.id]
    by_ref = {r.ref: r for r in cases}
    due_until = cal.add_working_days(day, DUE_SOON_WORKING_DAYS)

    new = sorted((r for r in cases if r.received_at >= since), key=lambda r: (r.received_at, r.ref))
    open_ = [r for r in cases if is_open(r)]
    due_soon = sorted(
        (r for r in open_ if r.feedback_due is not None and day <= r.feedback_due <= due_until),
        key=lambda r: (r.feedback_due, r.ref),
    )
    overdue = sorted(
        (r for r in open_ if r.feedback_due is not None and r.feedback_due < day),
        key=lambda r: (r.feedback_due, r.ref),
    )

    notes: dict[str, list[DigestNote]] = {"feedback": [], "report": []}
    for ev in sorted(events, key=lambda e: (e.at, e.ref)):
        if ev.at < since or not _ours(org, ev.ref):
            continue
        rec = by_ref.get(ev.ref)
        at = local(ev.at, tz)
        on_time = None
        if ev.kind == "feedback" and rec is not None and rec.feedback_due is not None:
            on_time = at.date() <= rec.feedback_due
        notes[ev.kind].append(DigestNote(
            ref=ev.ref, kind=ev.kind, at=at,
            unit_id=rec.unit_id if rec else None,
            unit=unit_name(org, rec.unit_id) if rec else "",
            on_time=on_time,
        ))

    counts = tuple(
        KindCount(
            kind=str(k),
            new=sum(1 for r in new if r.kind == k),
            open=sum(1 for r in open_ if r.kind == k),
            overdue=sum(1 for r in overdue if r.kind == k),
        )
        for k in KINDS
    )
    waiting = tuple(
        TriageItem(t.kind, local(t.at, tz), t.ref, " ".join(t.note.split()))
        for t in sorted(triage, key=lambda t: (t.at, t.ref or ""))
        if t.ref is None or _ours(org, t.ref)
    )
    return Digest(
        org_id=org.id,
        org_name=org.name,
        day=day,
        since=local(since, tz),
        due_until=due_until,
        new_cases=tuple(_line(org, cal, r) for r in new),
        feedback=tuple(notes["feedback"]),
        reports=tuple(notes["report"]),
        due_soon=tuple(_line(org, cal, r) for r in due_soon),
        overdue=tuple(_line(org, cal, r, day) for r in overdue),
        triage=waiting,
        counts=counts,
    )


def digest_context(digest: Digest, org: Organization, lang: str = "sv") -> dict[str, object]:
    """What templates/digest.*.j2 need: `Templates.render("digest", lang, **digest_context(...))`."""
    lang = lang if lang in i18n.available() else i18n.DEFAULT_LANGUAGE
    refs = [c.ref for c in (*digest.overdue, *digest.due_soon, *digest.new_cases)]
    refs += [t.ref for t in digest.triage if t.ref]
    return {
        "digest": digest,
        "org": org,
        "ref": digest.title(lang),
        "kind_labels": kind_labels(lang),
        "kind_plurals": kind_plurals(lang),
        "channel_labels": channel_labels(lang),
        "units": [(u.id, u.name) for u in org.units],
        "example_ref": refs[0] if refs else f"{org.case_prefix}-{digest.day.year}-0001",
        "example_unit": org.units[0].id if org.units else "",
        "show_units": any(t.kind in ("unrouted", "foreign_ref") for t in digest.triage)
        or any(c.unit_id is None for c in (*digest.new_cases, *digest.due_soon, *digest.overdue)),
    }
