"""The database tables (SQLModel). Identity lives in `people`, apart from `cases`.

Every timestamp is stored in UTC and read back timezone-aware; dates
(deadlines) are plain dates in the organization's calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class CaseCounter(SQLModel, table=True):
    __tablename__ = "case_counters"

    org_id: str = Field(primary_key=True, max_length=64)
    year: int = Field(primary_key=True)
    last_number: int = 0


class PersonRow(SQLModel, table=True):
    """Who wrote: read only to send mail, never shown in the register."""

    __tablename__ = "people"
    __table_args__ = (Index("ix_people_org_email_key", "org_id", "email_key"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True, max_length=64)
    email_key: str | None = Field(default=None, index=True, max_length=64)
    name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("org_id", "year", "number", name="uq_cases_org_year_number"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, index=True, max_length=32)
    org_id: str = Field(index=True, max_length=64)
    year: int
    number: int
    kind: str = Field(max_length=16)
    flags: list[str] = Field(default_factory=list, sa_type=JSON)
    channel: str = Field(default="email", max_length=16)
    language: str = Field(default="sv", max_length=8)
    unit_id: str | None = Field(default=None, max_length=64)
    department_id: str | None = Field(default=None, max_length=64)
    manager: str | None = Field(default=None, max_length=320)
    handler: str | None = Field(default=None, max_length=320)
    handler_role: str = Field(default="unit", max_length=16)
    status: str = Field(default="open", index=True, max_length=16)
    triage: str | None = None
    received_at: datetime = Field(sa_type=UTCDateTime)
    first_response_due: date | None = None
    feedback_due: date | None = None
    feedback_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    report_due: date | None = None
    report_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_by: str | None = Field(default=None, max_length=320)
    escalation_level: int = 0
    classification_cues: list[str] = Field(default_factory=list, sa_type=JSON)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class MessageRow(SQLModel, table=True):
    """Every message in and out; `text` and `subject` are de-identified."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("org_id", "message_id", name="uq_messages_org_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True, max_length=64)
    message_id: str = Field(index=True, max_length=998)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    direction: str = Field(max_length=4)
    role: str = Field(max_length=16)
    purpose: str = Field(max_length=16)
    outcome: str | None = Field(default=None, index=True, max_length=32)
    reason: str = ""
    subject: str = ""
    text: str = ""
    at: datetime = Field(sa_type=UTCDateTime)
    mailbox: str | None = Field(default=None, max_length=128)
    party_key: str | None = Field(default=None, index=True, max_length=64)
    attachment_count: int = 0
    # a hash of the writer's words (model.text_fingerprint): the same text from many senders is a loop
    fingerprint: str | None = Field(default=None, index=True, max_length=32)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class RawMessageRow(SQLModel, table=True):
    """The message exactly as it arrived, kept apart for the retention period."""

    __tablename__ = "raw_messages"

    id: int | None = Field(default=None, primary_key=True)
    message_row_id: int = Field(foreign_key="messages.id", unique=True)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    archived_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime)


class RawChunkRow(SQLModel, table=True):
    """A large raw message in pieces (`raw_messages.raw` is then empty): written without a second copy."""

    __tablename__ = "raw_chunks"
    __table_args__ = (UniqueConstraint("raw_id", "seq", name="uq_raw_chunks_raw_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    raw_id: int = Field(foreign_key="raw_messages.id")
    seq: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True, max_length=998)
    org_id: str = Field(index=True, max_length=64)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    purpose: str = Field(max_length=16)
    sender: str = Field(max_length=320)
    recipients: list[str] = Field(default_factory=list, sa_type=JSON)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="pending", index=True, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, index=True)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=64)
    last_error: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # recipients the server (or mailflow's own address check) refused: [{"to", "code", "reason"}]
    refused: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WorkerRow(SQLModel, table=True):
    """A process that sends the outbox; its leases count while its heartbeat is fresh (real time)."""

    __tablename__ = "workers"

    id: str = Field(primary_key=True, max_length=64)
    host: str = Field(max_length=255)
    pid: int
    role: str = Field(max_length=16)
    started_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime, index=True)


class OutageRow(SQLModel, table=True):
    """A mail server mailflow cannot use (SMTP, one mailbox): one open row per key across workers."""

    __tablename__ = "outages"
    __table_args__ = (
        Index("uq_outages_open_key", "key", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160)  # "smtp" or "imap:<org>:<mailbox>"
    org_id: str | None = Field(default=None, max_length=64)
    started_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str = ""
    failures: int = 1
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_notice_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImapUidRow(SQLModel, table=True):
    """A UID seen in a mailbox folder and what became of it (so a failed MOVE repeats nothing)."""

    __tablename__ = "imap_uids"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_imap_uids"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=128)
    uidvalidity: int = Field(sa_type=BigInteger)
    uid: int = Field(sa_type=BigInteger)
    message_id: str = Field(max_length=998, index=True)
    outcome: str = Field(max_length=32)
    processed_at: datetime = Field(sa_type=UTCDateTime)
    worker_id: str | None = Field(default=None, max_length=64)  # who recorded it (and will move it)


class CaseEventRow(SQLModel, table=True):
    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=32)
    actor: str = Field(default="mailflow", max_length=320)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class DigestRow(SQLModel, table=True):
    """One registrar digest per organization and day: the unique key makes it once-only across workers."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("org_id", "day", name="uq_digests_org_day"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(max_length=64)
    day: date
    sent_at: datetime = Field(sa_type=UTCDateTime)
    message_id: str = Field(max_length=998)
