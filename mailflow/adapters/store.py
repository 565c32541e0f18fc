"""The register: engine, one transaction per message, the pipeline's Lookup, filing.

SQLite by default, PostgreSQL by URL. On SQLite a writing transaction starts
with BEGIN IMMEDIATE, so writers queue instead of failing, and inside one
process they queue at a `WriteGate` first: in order of arrival, with the
outbox's "sent" marks and the worker heartbeats ahead of the pipeline, so a
mark never waits behind more than the one transaction in hand (SQLite's own
busy handler polls and lets a busy writer win again and again). Read-only
transactions (`readonly=True`) begin deferred and pass the gate by.

On PostgreSQL the case counter row is locked by the UPDATE that takes the next
number, so numbers are gap-free and unique under concurrent writers (a
rolled-back transaction gives its number back), and a case the pipeline reads
to change is locked (FOR UPDATE) until its transaction ends, as the deadline
pass locks it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from mailflow.adapters.outbox import queue_many
from mailflow.adapters.queries import ACTIVE, person_email
from mailflow.adapters.tables import (
    CaseCounter,
    CaseEventRow,
    CaseRow,
    ImapUidRow,
    MessageRow,
    PersonRow,
    RawChunkRow,
    RawMessageRow,
    WorkerRow,
)
from mailflow.errors import DuplicateMessage, SchemaOutOfDate, StoreError
from mailflow.model import (
    CaseInfo,
    Direction,
    Kind,
    Mail,
    Outcome,
    Purpose,
    Source,
    Status,
    email_key,
    format_ref,
)

log = logging.getLogger(__name__)


# how the next SQLite transaction of this thread begins
_BEGIN: ContextVar[str] = ContextVar("mailflow_sqlite_begin", default="BEGIN IMMEDIATE")


class WriteGate:
    """One SQLite writer at a time within this process: fair (first come, first served), urgent ones first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[tuple[int, int]] = []
        self._seq = itertools.count()
        self._busy = False

    @contextmanager
    def hold(self, urgent: bool = False) -> Iterator[None]:
        ticket = (0 if urgent else 1, next(self._seq))
        with self._cond:
            heapq.heappush(self._queue, ticket)
            while self._busy or self._queue[0] != ticket:
                self._cond.wait()
            heapq.heappop(self._queue)
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql(_BEGIN.get())

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def is_unique_violation(exc: IntegrityError, constraint: str, sqlite_columns: str) -> bool:
    """Whether an IntegrityError is that one unique constraint (and not another one)."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name is not None:
        return bool(name == constraint)
    return f"UNIQUE constraint failed: {sqlite_columns}" in str(exc.orig)


# the case columns a message may change (feedback, report, commands)
MUTABLE = ("kind", "flags", "unit_id", "department_id", "manager", "handler", "handler_role", "status", "triage",
           "first_response_due", "feedback_due", "report_due", "feedback_at", "report_at", "closed_at",
           "escalation_level")


def _case_info(row: CaseRow, person_key: str | None) -> CaseInfo:
    return CaseInfo(
        ref=row.ref,
        org_id=row.org_id,
        status=Status(row.status),
        kind=Kind(row.kind),
        flags=tuple(row.flags or ()),
        language=row.language,
        unit_id=row.unit_id,
        manager=row.manager,
        person_email_key=person_key,
        received_at=row.received_at,
        feedback_due=row.feedback_due,
        channel=row.channel,
        department_id=row.department_id,
        handler=row.handler,
        handler_role=row.handler_role,
        triage=row.triage,
        first_response_due=row.first_response_due,
        report_due=row.report_due,
        feedback_at=row.feedback_at,
        report_at=row.report_at,
        closed_at=row.closed_at,
        escalation_level=row.escalation_level,
    )


def apply_case(row: CaseRow, after: CaseInfo, now: datetime) -> list[str]:
    """Write a changed case state onto its row; returns the names of the changed columns."""
    changed = []
    for name in MUTABLE:
        value = getattr(after, name)
        if name == "kind" or name == "status":
            value = value.value
        elif name == "flags":
            value = list(value)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    if changed:
        row.updated_at = now
    return changed


def case_changes(before: CaseInfo, after: CaseInfo) -> dict[str, Any]:
    """The case columns a message changed (feedback, report, commands), as column values."""
    out: dict[str, Any] = {}
    for name in MUTABLE:
        old, value = getattr(before, name), getattr(after, name)
        if old == value:
            continue
        if name in ("kind", "status"):
            value = value.value
        elif name == "flags":
            value = list(value)
        out[name] = value
    return out


# statements built once: building an expression costs more than running it
_CASE_ID = select(CaseRow.id).where(CaseRow.ref == bindparam("ref"))
# (Core statements on the tables: through the ORM entity an insert takes SQLAlchemy's slower ORM bulk path)
_T_MESSAGES = MessageRow.__table__  # type: ignore[attr-defined]
_T_CASES = CaseRow.__table__  # type: ignore[attr-defined]
_T_PEOPLE = PersonRow.__table__  # type: ignore[attr-defined]
_INSERT_MESSAGE = insert(_T_MESSAGES).returning(_T_MESSAGES.c.id)
_INSERT_CASE = insert(_T_CASES).returning(_T_CASES.c.id)
_INSERT_PERSON = insert(_T_PEOPLE).returning(_T_PEOPLE.c.id)
_T_RAW = RawMessageRow.__table__  # type: ignore[attr-defined]
_INSERT_RAW = insert(_T_RAW)
_INSERT_CHUNK = insert(RawChunkRow.__table__)  # type: ignore[attr-defined]
RAW_CHUNK = 1024 * 1024
_INSERT_EVENTS = insert(CaseEventRow.__table__)  # type: ignore[attr-defined]
_INSERT_UID = insert(ImapUidRow.__table__)  # type: ignore[attr-defined]
_PERSON_BY_KEY = (select(PersonRow.id, PersonRow.name, PersonRow.phone, PersonRow.address)
                  .where(PersonRow.org_id == bindparam("org"), PersonRow.email_key == bindparam("key"))
                  .order_by(PersonRow.id).limit(1))
_UID_SEEN = select(ImapUidRow.outcome, ImapUidRow.worker_id, ImapUidRow.message_id).where(
    ImapUidRow.mailbox == bindparam("mailbox"), ImapUidRow.uidvalidity == bindparam("validity"),
    ImapUidRow.uid == bindparam("uid"))
_UIDS_SEEN = select(ImapUidRow.uid, ImapUidRow.outcome, ImapUidRow.worker_id, ImapUidRow.message_id).where(
    ImapUidRow.mailbox == bindparam("mailbox"), ImapUidRow.uidvalidity == bindparam("validity"),
    ImapUidRow.uid.in_(bindparam("uids", expanding=True)))
_MESSAGE_EXISTS = select(MessageRow.id).where(
    MessageRow.org_id == bindparam("org"), MessageRow.message_id == bindparam("mid")).limit(1)
_CASES_BY_MESSAGE_IDS = select(MessageRow.message_id, MessageRow.case_id).where(
    MessageRow.org_id == bindparam("org"), MessageRow.message_id.in_(bindparam("ids", expanding=True)),
    MessageRow.case_id.is_not(None))
_CASE_BY_ID = select(CaseRow).where(CaseRow.id == bindparam("id")).execution_options(populate_existing=True)
_CASE_BY_REF = select(CaseRow).where(CaseRow.org_id == bindparam("org"), CaseRow.ref == bindparam("ref")).execution_options(
    populate_existing=True)
_SAME_TEXT = select(func.count(MessageRow.id)).where(
    MessageRow.org_id == bindparam("org"), MessageRow.fingerprint == bindparam("fp"),
    MessageRow.direction == Direction.IN.value, MessageRow.created_at >= bindparam("since"))
_SENT_SUBJECTS = select(MessageRow.subject).join(CaseRow, CaseRow.id == MessageRow.case_id).where(
    CaseRow.org_id == bindparam("org"), CaseRow.ref == bindparam("ref"), MessageRow.direction == Direction.OUT.value)
_ACKS_SINCE = select(func.count(MessageRow.id)).where(
    MessageRow.party_key == bindparam("key"), MessageRow.direction == Direction.OUT.value,
    MessageRow.purpose == Purpose.ACK.value, MessageRow.at >= bindparam("since"))


def _next_number(ins: Any) -> Any:
    counter = CaseCounter.__table__.c  # type: ignore[attr-defined]
    return ins(CaseCounter).on_conflict_do_update(
        index_elements=["org_id", "year"], set_={"last_number": counter.last_number + 1}
    ).returning(counter.last_number)


_NEXT_NUMBER_PG = _next_number(postgresql.insert)
_NEXT_NUMBER_SQLITE = _next_number(sqlite.insert)


class Registry:
    """The pipeline's `Lookup` and the filing of its result, inside one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def c(self) -> Any:
        """The transaction's connection, for Core statements (lighter than the ORM session's execute)."""
        return self.session.connection()

    # -- Lookup --------------------------------------------------------------

    def message_outcome(self, org_id: str, message_id: str) -> tuple[str, str] | None:
        """What became of a message on record: (outcome, reason) of its incoming row."""
        q = select(MessageRow.outcome, MessageRow.reason).where(
            MessageRow.org_id == org_id, MessageRow.message_id == message_id, MessageRow.direction == Direction.IN.value)
        row = self.session.execute(q.limit(1)).first()
        return (row[0] or "", row[1] or "") if row is not None else None

    def message_exists(self, org_id: str, message_id: str) -> bool:
        return self.c.execute(_MESSAGE_EXISTS, {"org": org_id, "mid": message_id}).first() is not None

    def _info(self, row: CaseRow) -> CaseInfo:
        key = None
        if row.person_id is not None:
            person = self.session.get(PersonRow, row.person_id)
            key = person.email_key if person else None
        return _case_info(row, key)

    def case_by_message_ids(self, org_id: str, message_ids: tuple[str, ...]) -> CaseInfo | None:
        if not message_ids:
            return None
        found = {mid: cid for mid, cid in self.c.execute(
            _CASES_BY_MESSAGE_IDS, {"org": org_id, "ids": list(message_ids)})}
        for mid in message_ids:  # In-Reply-To first, then References
            if mid in found:
                row = self._locked_case(_CASE_BY_ID, {"id": found[mid]})
                if row is not None:
                    return self._info(row)
        return None

    def case_by_ref(self, org_id: str, ref: str) -> CaseInfo | None:
        row = self._locked_case(_CASE_BY_REF, {"org": org_id, "ref": ref})
        return self._info(row) if row else None

    def _locked_case(self, stmt: Any, params: dict[str, Any]) -> CaseRow | None:
        """A case the message may change, locked until the transaction ends (PostgreSQL: FOR UPDATE)."""
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return self.session.execute(stmt, params).scalar_one_or_none()

    def allocate_ref(self, org_id: str, prefix: str, year: int) -> tuple[str, int]:
        """The next number of the year: one upsert that locks the counter row until the transaction ends."""
        dialect = self.session.get_bind().dialect.name
        stmt = _NEXT_NUMBER_PG if dialect == "postgresql" else _NEXT_NUMBER_SQLITE
        number = self.session.execute(stmt, {"org_id": org_id, "year": year, "last_number": 1}).scalar_one()
        return format_ref(prefix, year, number), number

    def open_cases_for(self, org_id: str, person_keys: tuple[str, ...], handler: str) -> list[CaseInfo]:
        """Open cases of these people that are routed to `handler` (as manager or handler).

        The people first (by organization and key), then their cases by person: both searches use
        an index of their own whatever the size of the register.
        """
        if not person_keys:
            return []
        people = dict(self.c.execute(select(PersonRow.id, PersonRow.email_key).where(
            PersonRow.org_id == org_id, PersonRow.email_key.in_(person_keys))).all())
        if not people:
            return []
        rows = self.session.execute(select(CaseRow).where(CaseRow.person_id.in_(list(people))).order_by(CaseRow.id))
        return [_case_info(row, people[row.person_id]) for row in rows.scalars()
                if row.org_id == org_id and row.status in ACTIVE and handler in (row.manager, row.handler)]

    def original_message(self, org_id: str, ref: str) -> bytes | None:
        """The first message of a case as it arrived (None once purged)."""
        q = (
            select(RawMessageRow.id, RawMessageRow.raw)
            .join(MessageRow, MessageRow.id == RawMessageRow.message_row_id)
            .join(CaseRow, CaseRow.id == MessageRow.case_id)
            .where(CaseRow.org_id == org_id, CaseRow.ref == ref, MessageRow.direction == Direction.IN.value)
            .order_by(MessageRow.at, MessageRow.id)
            .limit(1)
        )
        row = self.session.execute(q).first()
        if row is None:
            return None
        raw_id, raw = row
        if raw:
            return bytes(raw)
        chunks = self.session.execute(select(RawChunkRow.data).where(RawChunkRow.raw_id == raw_id)
                                      .order_by(RawChunkRow.seq)).scalars()
        return b"".join(bytes(c) for c in chunks) or None

    def citizen_address(self, org_id: str, ref: str) -> str | None:
        """Where mail to the case's citizen goes (identity read only to send mail)."""
        q = select(CaseRow.person_id).where(CaseRow.org_id == org_id, CaseRow.ref == ref)
        return person_email(self.session, self.session.execute(q).scalar_one_or_none())

    def same_text_since(self, org_id: str, fingerprint: str, since: datetime) -> int:
        return int(self.c.execute(_SAME_TEXT, {"org": org_id, "fp": fingerprint, "since": since}).scalar_one())

    def sent_subjects(self, org_id: str, ref: str) -> tuple[str, ...]:
        """The subjects of the mails mailflow sent on a case (as the register keeps them)."""
        rows = self.c.execute(_SENT_SUBJECTS, {"org": org_id, "ref": ref}).scalars()
        return tuple(dict.fromkeys(s for s in rows if s))

    def acks_since(self, key: str, since: datetime) -> int:
        return int(self.c.execute(_ACKS_SINCE, {"key": key, "since": since}).scalar_one())

    # -- filing ----------------------------------------------------------------
    #
    # Written with Core statements, not ORM objects: a message's filing is a dozen
    # rows, and building and flushing model instances was most of its cost.

    def file(self, mail: Mail, now: datetime) -> int | None:
        """Write what the pipeline decided: case, person, message, archive, events, outbox.

        Returns the case id (None when the message belongs to no case). Raises
        DuplicateMessage when another worker registered the same message first.
        """
        p = mail.parsed
        case_id: int | None = None
        if mail.new_case is not None:
            case_id = self._new_case(mail, now)
        elif mail.case is not None:
            case_id = self.c.execute(_CASE_ID, {"ref": mail.case.ref}).scalar_one()
            changes = case_changes(mail.case, mail.case_after) if mail.case_after is not None else {}
            self.c.execute(update(_T_CASES).where(_T_CASES.c.id == case_id).values(**changes, updated_at=now))
        values = dict(
            org_id=mail.source.org_id,
            message_id=mail.message_id,
            case_id=case_id,
            direction=Direction.IN.value,
            role=mail.role.value,
            purpose=mail.purpose.value,
            outcome=(mail.outcome or (Outcome.REGISTERED if mail.new_case else Outcome.THREADED)).value,
            reason=mail.reason,
            subject=mail.clean_subject,
            text=mail.clean_text,
            at=mail.source.internaldate,
            mailbox=mail.source.mailbox_key,
            party_key=email_key(mail.sender),
            attachment_count=len(p.attachments) if p else 0,
            fingerprint=mail.fingerprint,
            created_at=now,
        )
        try:
            message_row_id = self.c.execute(_INSERT_MESSAGE, values).scalar_one()
        except IntegrityError as exc:
            if is_unique_violation(exc, "uq_messages_org_message_id", "messages.org_id, messages.message_id"):
                raise DuplicateMessage(mail.message_id) from exc
            raise
        self.archive(message_row_id, mail.raw, now)
        if case_id is not None and mail.events:
            self.c.execute(_INSERT_EVENTS, [
                {"case_id": case_id, "at": now, "kind": ev.kind, "actor": ev.actor, "detail": dict(ev.detail)}
                for ev in mail.events])
        if mail.effects:
            queue_many(self.session, mail.effects, org_id=mail.source.org_id, case_id=case_id, now=now)
        return case_id

    def archive(self, message_row_id: int, raw: bytes, now: datetime) -> None:
        """The raw message, kept apart: whole when small, else in pieces (a database copies a parameter it
        is given, and a 34 MB message would be held three times at once)."""
        if len(raw) <= RAW_CHUNK:
            self.c.execute(_INSERT_RAW, {"message_row_id": message_row_id, "raw": raw, "archived_at": now})
            return
        raw_id = self.c.execute(_INSERT_RAW.returning(_T_RAW.c.id),
                                {"message_row_id": message_row_id, "raw": b"", "archived_at": now}).scalar_one()
        view = memoryview(raw)
        for seq, start in enumerate(range(0, len(raw), RAW_CHUNK)):
            self.c.execute(_INSERT_CHUNK, {"raw_id": raw_id, "seq": seq, "data": view[start:start + RAW_CHUNK]})

    def _new_case(self, mail: Mail, now: datetime) -> int:
        new = mail.new_case
        assert new is not None
        person_id = None
        anonymous = "anonymous" in new.classification.flags
        if mail.person is not None and not anonymous:
            person_id = self._person(mail.source.org_id, mail, now)
        status = Status.AWAITING_REPORT if new.report_due is not None else Status.OPEN
        routing = new.routing
        return int(self.c.execute(_INSERT_CASE, dict(
            ref=new.ref,
            org_id=mail.source.org_id,
            year=new.year,
            number=new.number,
            kind=new.classification.kind.value,
            flags=list(new.classification.flags),
            channel=new.channel,
            language=new.classification.language,
            unit_id=routing.unit_id,
            department_id=routing.department_id,
            manager=routing.manager,
            handler=routing.handler,
            handler_role=routing.handler_role,
            status=status.value,
            triage=new.triage,
            received_at=mail.source.internaldate,
            first_response_due=new.deadlines.first_response_due,
            feedback_due=new.deadlines.feedback_due,
            report_due=new.report_due,
            received_by=new.received_by,
            classification_cues=list(new.classification.cues + routing.cues),
            person_id=person_id,
            escalation_level=0,
            created_at=now,
            updated_at=now,
        )).scalar_one())

    def _person(self, org_id: str, mail: Mail, now: datetime) -> int:
        person = mail.person
        assert person is not None
        key = email_key(person.email) if person.email else None
        found = None
        if key is not None:  # people without an e-mail address (a phone complaint) are never merged
            found = self.c.execute(_PERSON_BY_KEY, {"org": org_id, "key": key}).first()
        if found is None:
            return int(self.c.execute(_INSERT_PERSON, dict(
                org_id=org_id, email_key=key, name=person.name, email=person.email, phone=person.phone,
                address=person.address, created_at=now, updated_at=now)).scalar_one())
        person_id, name, phone, address = found
        self.c.execute(update(_T_PEOPLE).where(_T_PEOPLE.c.id == person_id).values(
            name=person.name or name, phone=person.phone or phone, address=person.address or address,
            updated_at=now))
        return int(person_id)

    # -- IMAP bookkeeping ------------------------------------------------------

    def uid_seen(self, source: Source) -> Any | None:
        """The record of this UID (outcome, worker_id, …), or None."""
        return self.c.execute(_UID_SEEN, {"mailbox": source.mailbox_key, "validity": source.uidvalidity,
                                                "uid": source.uid}).first()

    def uids_seen(self, sources: list[Source]) -> dict[int, Any]:
        """The records of a batch's UIDs (one folder), by UID: one query for the lot."""
        if not sources:
            return {}
        first = sources[0]
        rows = self.c.execute(_UIDS_SEEN, {"mailbox": first.mailbox_key, "validity": first.uidvalidity,
                                           "uids": [s.uid for s in sources]})
        return {r.uid: r for r in rows}

    def record_uid(self, source: Source, message_id: str, outcome: Outcome, now: datetime, *,
                   known_new: bool = False, worker_id: str | None = None) -> None:
        if not known_new and self.uid_seen(source) is not None:
            return
        self.c.execute(_INSERT_UID, {
            "mailbox": source.mailbox_key, "uidvalidity": source.uidvalidity, "uid": source.uid,
            "message_id": message_id, "outcome": outcome.value, "processed_at": now, "worker_id": worker_id})

    def worker_alive(self, worker_id: str | None, stale_before: datetime) -> bool:
        """Whether that worker still beats (it will move what it recorded)."""
        if not worker_id:
            return False
        q = select(WorkerRow.id).where(WorkerRow.id == worker_id, WorkerRow.heartbeat_at >= stale_before)
        return self.session.execute(q).first() is not None


class Store:
    """Owns the engine; hands out one Registry per transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self.gate = WriteGate()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def sqlite_path(self) -> str | None:
        """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
        if not self.is_sqlite:
            return None
        path = self.engine.url.database
        return path if path and path != ":memory:" else None

    @contextmanager
    def transaction(self, *, urgent: bool = False, readonly: bool = False) -> Iterator[Registry]:
        """One transaction: committed when the block ends, rolled back on any error.

        `urgent`: a short write that must not queue behind the pipeline (outbox marks,
        heartbeats). `readonly`: reads only (SQLite: a deferred transaction that takes
        no write lock).
        """
        if self.is_sqlite and not readonly:
            with self.gate.hold(urgent), self._session() as reg:
                yield reg
            return
        token = _BEGIN.set("BEGIN") if readonly else None
        try:
            with self._session() as reg:
                yield reg
        finally:
            if token is not None:
                _BEGIN.reset(token)

    @contextmanager
    def _session(self) -> Iterator[Registry]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                with session.begin():
                    yield Registry(session)
            except (OperationalError, ProgrammingError) as exc:
                raise StoreError(f"database error: {exc.orig!s}"[:500]) from exc

    def check_schema(self) -> None:
        """Refuse to run against a database that `db upgrade` has not brought up to date."""
        from mailflow.migrate import current_revision, head_revision

        current, head = current_revision(self.engine), head_revision()
        if current != head:
            raise SchemaOutOfDate(
                f"database schema is at {current or 'nothing'}, mailflow needs {head}: run `mailflow db upgrade`"
            )

    def dispose(self) -> None:
        self.engine.dispose()
