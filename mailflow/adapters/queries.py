"""Read-side queries for the command line: cases as the JSON of SPEC section 5."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailflow.adapters.tables import CaseEventRow, CaseRow, DigestRow, ImapUidRow, MessageRow, OutboxRow, PersonRow
from mailflow.errors import UnknownCase
from mailflow.model import CaseRecord, Direction, Kind, Status
from mailflow.text import summary as one_line


def _iso(value: datetime | date | None, tz: ZoneInfo) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    return value.isoformat()


def case_dict(session: Session, row: CaseRow, tz: ZoneInfo, *, with_timeline: bool = True) -> dict[str, Any]:
    """One case, with no trace of the citizen's identity."""
    out: dict[str, Any] = {
        "ref": row.ref,
        "org": row.org_id,
        "kind": row.kind,
        "flags": list(row.flags or []),
        "channel": row.channel,
        "language": row.language,
        "unit": row.unit_id,
        "department": row.department_id,
        "manager": row.manager,
        "handler_role": row.handler_role,
        "status": row.status,
        "triage": row.triage,
        "received_at": _iso(row.received_at, tz),
        "first_response_due": _iso(row.first_response_due, tz),
        "feedback_due": _iso(row.feedback_due, tz),
        "feedback_at": _iso(row.feedback_at, tz),
        "closed_at": _iso(row.closed_at, tz),
        "escalation_level": row.escalation_level,
        "classification_cues": list(row.classification_cues or []),
    }
    if with_timeline:
        msgs = session.execute(
            select(MessageRow).where(MessageRow.case_id == row.id).order_by(MessageRow.at, MessageRow.id)
        ).scalars()
        out["messages"] = [
            {
                "message_id": m.message_id,
                "direction": m.direction,
                "role": m.role,
                "purpose": m.purpose,
                "at": _iso(m.at, tz),
                "subject": m.subject,
                "text": m.text,
                "status": m.outcome,
            }
            for m in msgs
        ]
        events = session.execute(
            select(CaseEventRow).where(CaseEventRow.case_id == row.id).order_by(CaseEventRow.at, CaseEventRow.id)
        ).scalars()
        out["events"] = [
            {"at": _iso(e.at, tz), "kind": e.kind, "actor": e.actor, "detail": e.detail} for e in events
        ]
    return out


def get_case(session: Session, ref: str) -> CaseRow:
    row = session.execute(select(CaseRow).where(CaseRow.ref == ref.strip().upper())).scalar_one_or_none()
    if row is None:
        raise UnknownCase(f"no case {ref!r}")
    return row


def list_cases(session: Session, org: str | None = None, status: str | None = None) -> list[CaseRow]:
    q = select(CaseRow).order_by(CaseRow.received_at, CaseRow.id)
    if org:
        q = q.where(CaseRow.org_id == org)
    if status:
        q = q.where(CaseRow.status == status)
    return list(session.execute(q).scalars())


# -- what the deadline job, the digest and the statistics read --------------------

ACTIVE = (Status.OPEN.value, Status.AWAITING_REPORT.value)


def record(row: CaseRow, summary: str = "", notes: frozenset[str] = frozenset()) -> CaseRecord:
    """A case row as the pure jobs see it: no identity."""
    return CaseRecord(
        ref=row.ref, org_id=row.org_id, kind=Kind(row.kind), flags=tuple(row.flags or ()), channel=row.channel,
        language=row.language, unit_id=row.unit_id, department_id=row.department_id, manager=row.manager,
        handler=row.handler, handler_role=row.handler_role, status=Status(row.status), triage=row.triage,
        received_at=row.received_at, first_response_due=row.first_response_due, feedback_due=row.feedback_due,
        report_due=row.report_due, feedback_at=row.feedback_at, report_at=row.report_at, closed_at=row.closed_at,
        escalation_level=row.escalation_level, summary=summary,
        has_action="action" in notes, has_preventive_action="preventive_action" in notes,
    )


def summaries(session: Session, case_ids: list[int]) -> dict[int, str]:
    """One de-identified line of each case's first incoming message."""
    if not case_ids:
        return {}
    q = (
        select(MessageRow.case_id, MessageRow.text, MessageRow.subject)
        .where(MessageRow.case_id.in_(case_ids), MessageRow.direction == Direction.IN.value)
        .order_by(MessageRow.case_id, MessageRow.at, MessageRow.id)
    )
    out: dict[int, str] = {}
    for case_id, text_, subject in session.execute(q):
        if case_id not in out:
            out[case_id] = one_line(subject or text_ or "", 100)
    return out


def recorded_actions(session: Session, case_ids: list[int]) -> dict[int, frozenset[str]]:
    """Which of `action` and `preventive_action` each case has on record."""
    out: dict[int, set[str]] = {}
    for i in range(0, len(case_ids), 5000):
        q = select(CaseEventRow.case_id, CaseEventRow.kind).where(
            CaseEventRow.case_id.in_(case_ids[i:i + 5000]), CaseEventRow.kind.in_(("action", "preventive_action")))
        for case_id, kind in session.execute(q):
            out.setdefault(case_id, set()).add(kind)
    return {k: frozenset(v) for k, v in out.items()}


def records(session: Session, rows: list[CaseRow]) -> list[CaseRecord]:
    ids = [r.id for r in rows if r.id is not None]
    lines = summaries(session, ids)
    notes = recorded_actions(session, ids)
    return [record(r, lines.get(r.id or 0, ""), notes.get(r.id or 0, frozenset())) for r in rows]


def active_cases(session: Session, org_id: str) -> list[CaseRow]:
    q = select(CaseRow).where(CaseRow.org_id == org_id, CaseRow.status.in_(ACTIVE)).order_by(CaseRow.id)
    return list(session.execute(q).scalars())


def deadline_event_details(session: Session, case_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The details of the deadline job's own events (reminders, escalations, notices), by case."""
    out: dict[int, list[dict[str, Any]]] = {}
    for i in range(0, len(case_ids), 5000):
        q = select(CaseEventRow.case_id, CaseEventRow.detail).where(
            CaseEventRow.case_id.in_(case_ids[i:i + 5000]))
        for case_id, detail in session.execute(q):
            if isinstance(detail, dict) and ("key" in detail or "supersedes" in detail):
                out.setdefault(case_id, []).append(detail)
    return out


def active_case_ids(session: Session, org_id: str) -> list[int]:
    q = select(CaseRow.id).where(CaseRow.org_id == org_id, CaseRow.status.in_(ACTIVE)).order_by(CaseRow.id)
    return [i for i in session.execute(q).scalars() if i is not None]


def lock_case(session: Session, case_id: int) -> CaseRow | None:
    """The case row, locked against other workers until the transaction ends (PostgreSQL)."""
    q = select(CaseRow).where(CaseRow.id == case_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return session.execute(q).scalar_one_or_none()


def event_details(session: Session, case_id: int) -> list[dict[str, Any]]:
    q = select(CaseEventRow.detail).where(CaseEventRow.case_id == case_id)
    return [d for d in session.execute(q).scalars() if isinstance(d, dict)]


def person_email(session: Session, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    person = session.get(PersonRow, person_id)
    return person.email if person and person.email else None


def first_message_ids(session: Session, case_id: int) -> tuple[str | None, str | None]:
    """The case's first incoming Message-ID and its first forward's (to thread reminders and notices)."""
    def first(direction: str, purpose: str | None) -> str | None:
        q = select(MessageRow.message_id).where(MessageRow.case_id == case_id, MessageRow.direction == direction)
        if purpose:
            q = q.where(MessageRow.purpose == purpose)
        return session.execute(q.order_by(MessageRow.at, MessageRow.id).limit(1)).scalar_one_or_none()

    return first(Direction.IN.value, None), first(Direction.OUT.value, "forward")


def cases_between(session: Session, org_id: str, start: datetime, end: datetime) -> list[CaseRow]:
    q = select(CaseRow).where(CaseRow.org_id == org_id, CaseRow.received_at >= start, CaseRow.received_at < end)
    return list(session.execute(q.order_by(CaseRow.received_at, CaseRow.id)).scalars())


_RECORD_COLUMNS = ("ref", "org_id", "kind", "flags", "channel", "language", "unit_id", "department_id", "manager",
                   "handler", "handler_role", "status", "triage", "received_at", "first_response_due", "feedback_due",
                   "report_due", "feedback_at", "report_at", "closed_at", "escalation_level")


def case_records_between(session: Session, org_id: str, start: datetime, end: datetime) -> list[CaseRecord]:
    """The cases received in [start, end) as the statistics read them: plain rows, no summaries.

    A year of a large district is tens of thousands of cases; reading them as columns instead of
    ORM objects (and without each case's first message) keeps the yearly report to seconds.
    """
    table = CaseRow.__table__  # type: ignore[attr-defined]
    cols = [table.c.id] + [table.c[name] for name in _RECORD_COLUMNS]
    q = (select(*cols).where(table.c.org_id == org_id, table.c.received_at >= start, table.c.received_at < end)
         .order_by(table.c.received_at, table.c.id))
    rows = list(session.connection().execute(q))
    notes = recorded_actions(session, [row[0] for row in rows])  # the statistics count cases with an action
    out = []
    for row in rows:
        values = dict(zip(_RECORD_COLUMNS, row[1:], strict=True))
        values["kind"] = Kind(values["kind"])
        values["status"] = Status(values["status"])
        values["flags"] = tuple(values["flags"] or ())
        done = notes.get(row[0], frozenset())
        out.append(CaseRecord(summary="", has_action="action" in done,
                              has_preventive_action="preventive_action" in done, **values))
    return out


def digest_rows(session: Session, org_id: str, since: datetime) -> list[CaseRow]:
    """Every open case, and every case that arrived or changed since the last digest."""
    q = select(CaseRow).where(
        CaseRow.org_id == org_id,
        CaseRow.status.in_(ACTIVE) | (CaseRow.received_at >= since) | (CaseRow.updated_at >= since),
    )
    return list(session.execute(q.order_by(CaseRow.received_at, CaseRow.id)).scalars())


def events_since(session: Session, org_id: str, since: datetime, kinds: tuple[str, ...]) -> list[tuple[str, str, datetime]]:
    q = (
        select(CaseRow.ref, CaseEventRow.kind, CaseEventRow.at)
        .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
        .where(CaseRow.org_id == org_id, CaseEventRow.kind.in_(kinds), CaseEventRow.at >= since)
        .order_by(CaseEventRow.at, CaseEventRow.id)
    )
    return [(ref, kind, at) for ref, kind, at in session.execute(q)]


def waiting_messages(session: Session, org_id: str, since: datetime) -> list[tuple[str, str | None, datetime, str]]:
    """Messages of the last period that wait for the registrar: (kind, ref, at, note).

    A quarantined message's note gives its reason and where it lies (folder and UID)."""
    q = (
        select(MessageRow.outcome, MessageRow.message_id, CaseRow.ref, MessageRow.created_at, MessageRow.reason,
               MessageRow.mailbox)
        .outerjoin(CaseRow, CaseRow.id == MessageRow.case_id)
        .where(
            MessageRow.org_id == org_id,
            MessageRow.direction == Direction.IN.value,
            MessageRow.created_at >= since,
            MessageRow.outcome.in_(("unmatched_staff", "quarantined", "bounce")),
        )
        .order_by(MessageRow.created_at, MessageRow.id)
    )
    rows = list(session.execute(q))
    uids = {mid: uid for mid, uid in session.execute(
        select(ImapUidRow.message_id, ImapUidRow.uid).where(
            ImapUidRow.message_id.in_([r.message_id for r in rows if r.outcome == "quarantined"]),
            ImapUidRow.outcome == "quarantined"))}
    out = []
    for outcome, mid, ref, at, reason, mailbox in rows:
        note = reason or ""
        if outcome == "quarantined" and mid in uids:
            note = f"{note} (UID {uids[mid]}, {mailbox or ''})".replace(", )", ")")
        out.append((outcome, ref, at, note))
    return out


def refused_mails(session: Session, org_id: str, since: datetime) -> list[tuple[str | None, datetime, list[dict[str, Any]]]]:
    """Mails of the period that some recipient did not get (sent to the others, or failed): (ref, at, refused)."""
    q = (
        select(CaseRow.ref, OutboxRow.created_at, OutboxRow.refused, OutboxRow.status)
        .outerjoin(CaseRow, CaseRow.id == OutboxRow.case_id)
        .where(OutboxRow.org_id == org_id, OutboxRow.created_at >= since, OutboxRow.status == "sent")
    )
    return [(ref, at, list(refused)) for ref, at, refused, _ in session.execute(q) if refused]


def failed_mails(session: Session, org_id: str, since: datetime) -> list[tuple[str | None, datetime, str]]:
    q = (
        select(CaseRow.ref, OutboxRow.created_at, OutboxRow.last_error)
        .outerjoin(CaseRow, CaseRow.id == OutboxRow.case_id)
        .where(OutboxRow.org_id == org_id, OutboxRow.status == "failed",
               (OutboxRow.created_at >= since) | (OutboxRow.failed_at >= since))
    )
    return [(ref, at, err or "") for ref, at, err in session.execute(q)]


def last_digest(session: Session, org_id: str) -> DigestRow | None:
    q = select(DigestRow).where(DigestRow.org_id == org_id).order_by(DigestRow.day.desc()).limit(1)
    return session.execute(q).scalar_one_or_none()


def digest_for(session: Session, org_id: str, day: date) -> DigestRow | None:
    q = select(DigestRow).where(DigestRow.org_id == org_id, DigestRow.day == day)
    return session.execute(q).scalar_one_or_none()


# -- quarantine and the outbox, for the registrar and operations ------------------------------------

def quarantined(session: Session, org: str | None = None) -> list[dict[str, Any]]:
    """Quarantined messages, newest first: where they lie (mailbox, UID), when, and why."""
    q = (
        select(MessageRow.org_id, MessageRow.mailbox, MessageRow.at, MessageRow.created_at, MessageRow.reason,
               MessageRow.message_id)
        .where(MessageRow.direction == Direction.IN.value, MessageRow.outcome == "quarantined")
        .order_by(MessageRow.created_at.desc(), MessageRow.id.desc())
    )
    if org:
        q = q.where(MessageRow.org_id == org)
    rows = list(session.execute(q))
    uids: dict[str, tuple[int, int]] = {}
    ids = [r.message_id for r in rows]
    for i in range(0, len(ids), 500):
        for mid, uid, validity in session.execute(
            select(ImapUidRow.message_id, ImapUidRow.uid, ImapUidRow.uidvalidity)
            .where(ImapUidRow.message_id.in_(ids[i:i + 500]), ImapUidRow.outcome == "quarantined")
        ):
            uids[mid] = (uid, validity)
    out = []
    for r in rows:
        uid, validity = uids.get(r.message_id, (None, None))
        out.append({"org": r.org_id, "mailbox": r.mailbox, "uid": uid, "uidvalidity": validity,
                    "received_at": r.at, "recorded_at": r.created_at, "reason": r.reason})
    return out


def outbox_rows(session: Session, status: str | None = "failed", org: str | None = None) -> list[tuple[OutboxRow, str | None]]:
    """Outbox mails with their case ref (default: the failed ones), oldest first."""
    q = select(OutboxRow, CaseRow.ref).outerjoin(CaseRow, CaseRow.id == OutboxRow.case_id)
    if status == "refused":
        rows = [(row, ref) for row, ref in session.execute(q.order_by(OutboxRow.id)) if row.refused]
        return [(row, ref) for row, ref in rows if not org or row.org_id == org]
    if status and status != "all":
        q = q.where(OutboxRow.status == status)
    if org:
        q = q.where(OutboxRow.org_id == org)
    return [(row, ref) for row, ref in session.execute(q.order_by(OutboxRow.id))]


def retry_failed(session: Session, ids: list[int] | None, now: datetime) -> int:
    """Put failed mails back in the queue (all of them when `ids` is None), with fresh attempts."""
    q = update(OutboxRow).where(OutboxRow.status == "failed")
    if ids is not None:
        q = q.where(OutboxRow.id.in_(ids))
    # due again from when it was queued: at once, whatever clock the next pass runs on
    done = session.execute(q.values(status="pending", attempts=0, next_attempt_at=OutboxRow.created_at,
                                    lease_owner=None, lease_until=None, failed_at=None)).rowcount
    session.execute(
        update(MessageRow).where(
            MessageRow.direction == Direction.OUT.value, MessageRow.outcome == "failed",
            MessageRow.message_id.in_(select(OutboxRow.message_id).where(OutboxRow.status == "pending")),
        ).values(outcome="queued")
    )
    return int(done or 0)


# -- the registrar's corrections (reports.corrections) ------------------------------------------------

_DECISION_EVENTS = ("registered", "routed", "command")


def _decision_events(session: Session, case_ids: list[int]) -> dict[int, list[tuple[str, dict[str, Any]]]]:
    """The registration, routing and command events of those cases that have a command, in order."""
    commanded: list[int] = []
    for i in range(0, len(case_ids), 5000):
        q = select(CaseEventRow.case_id).where(CaseEventRow.case_id.in_(case_ids[i:i + 5000]),
                                               CaseEventRow.kind == "command").distinct()
        commanded += [case_id for (case_id,) in session.execute(q)]
    out: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for i in range(0, len(commanded), 5000):
        q = (select(CaseEventRow.case_id, CaseEventRow.kind, CaseEventRow.detail)
             .where(CaseEventRow.case_id.in_(commanded[i:i + 5000]), CaseEventRow.kind.in_(_DECISION_EVENTS))
             .order_by(CaseEventRow.case_id, CaseEventRow.at, CaseEventRow.id))
        for case_id, kind, detail in session.execute(q):
            out.setdefault(case_id, []).append((kind, dict(detail or {})))
    return out


def _corrected(events: list[tuple[str, dict[str, Any]]], kind: str, unit: str | None,
               flags: tuple[str, ...]) -> tuple[tuple[str, ...], Any]:
    from mailflow.reports.corrections import Decision, corrected, first_decision

    first = first_decision(events)
    if first is None:
        return (), None
    verbs = [str(d.get("command", "")) for k, d in events if k == "command"]
    return corrected(first, Decision(kind, unit, flags), verbs), first


def corrections_between(session: Session, org_id: str, start: datetime, end: datetime) -> dict[str, tuple[str, ...]]:
    """The decisions the registrar corrected on each case received in [start, end), by ref (only corrected cases)."""
    q = select(CaseRow.id, CaseRow.ref, CaseRow.kind, CaseRow.unit_id, CaseRow.flags).where(
        CaseRow.org_id == org_id, CaseRow.received_at >= start, CaseRow.received_at < end)
    rows = list(session.execute(q))
    events = _decision_events(session, [r.id for r in rows])
    out: dict[str, tuple[str, ...]] = {}
    for r in rows:
        if r.id in events:
            decisions, _ = _corrected(events[r.id], r.kind, r.unit_id, tuple(r.flags or ()))
            if decisions:
                out[r.ref] = decisions
    return out


def corrected_cases(session: Session, tz_of: Any, org_id: str | None = None) -> list[Any]:
    """Every case the registrar corrected (`reports.corrections.Correction`), oldest first: the
    register's de-identified text of its first incoming message, the first decision and the labels now.
    `tz_of(org_id)` gives an organization's time zone for the dates."""
    from mailflow.reports.corrections import Correction, Decision

    q = select(CaseRow).where(CaseRow.id.in_(select(CaseEventRow.case_id).where(CaseEventRow.kind == "command")))
    if org_id:
        q = q.where(CaseRow.org_id == org_id)
    rows = list(session.execute(q.order_by(CaseRow.received_at, CaseRow.id)).scalars())
    ids = [r.id for r in rows if r.id is not None]
    events = _decision_events(session, ids)
    texts: dict[int, str] = {}
    for i in range(0, len(ids), 5000):
        mq = (select(MessageRow.case_id, MessageRow.subject, MessageRow.text)
              .where(MessageRow.case_id.in_(ids[i:i + 5000]), MessageRow.direction == Direction.IN.value)
              .order_by(MessageRow.case_id, MessageRow.at, MessageRow.id))
        for case_id, subject, text_ in session.execute(mq):
            texts.setdefault(case_id, f"{subject or ''}\n{text_ or ''}".strip())
    out = []
    for r in rows:
        flags = tuple(r.flags or ())
        decisions, first = _corrected(events.get(r.id or 0, []), r.kind, r.unit_id, flags)
        if not decisions:
            continue
        out.append(Correction(
            ref=r.ref, org_id=r.org_id, received_at=_iso(r.received_at, tz_of(r.org_id)) or "", channel=r.channel,
            language=r.language, text=texts.get(r.id or 0, ""), first=first,
            now=Decision(r.kind, r.unit_id, flags), decisions=decisions, cues=tuple(r.classification_cues or ()),
        ))
    return out
