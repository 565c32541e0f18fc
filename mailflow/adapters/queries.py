"""Read-side queries for the command line: cases as the JSON of SPEC section 5."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.tables import CaseEventRow, CaseRow, MessageRow
from mailflow.errors import UnknownCase


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
