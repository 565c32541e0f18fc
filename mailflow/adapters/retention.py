"""Retention: delete archived raw messages, sent mail bodies and person records past their time.

The de-identified register (cases, their texts and events) stays for statistics;
what identifies people goes: the raw archive, the bodies and recipients of mails
already sent, and person records no open case needs any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from mailflow.adapters.queries import ACTIVE
from mailflow.adapters.tables import CaseRow, OutboxRow, PersonRow, RawChunkRow, RawMessageRow


@dataclass(frozen=True)
class Purged:
    raw_messages: int
    mail_bodies: int
    people: int


def purge(session: Session, before: datetime) -> Purged:
    """Remove what identifies people and is older than `before`; the caller commits."""
    old_raw = select(RawMessageRow.id).where(RawMessageRow.archived_at < before)
    session.execute(delete(RawChunkRow).where(RawChunkRow.raw_id.in_(old_raw)))
    raw = session.execute(delete(RawMessageRow).where(RawMessageRow.archived_at < before)).rowcount
    bodies = session.execute(
        update(OutboxRow)
        .where(OutboxRow.status.in_(("sent", "failed")), OutboxRow.created_at < before, OutboxRow.payload != b"")
        .values(payload=b"", recipients=[])
    ).rowcount
    # A person is kept while any of their cases is younger than `before` or still open.
    still_needed = exists().where(
        CaseRow.person_id == PersonRow.id,
        (CaseRow.received_at >= before) | CaseRow.status.in_(ACTIVE),
    )
    doomed = list(session.execute(
        select(PersonRow.id).where(PersonRow.created_at < before, ~still_needed)
    ).scalars())
    if doomed:
        session.execute(update(CaseRow).where(CaseRow.person_id.in_(doomed)).values(person_id=None))
        session.execute(delete(PersonRow).where(PersonRow.id.in_(doomed)))
    return Purged(raw_messages=raw or 0, mail_bodies=bodies or 0, people=len(doomed))
