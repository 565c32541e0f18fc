"""The data that flows between the pipeline steps and the store: frozen, typed."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

REF_RE = re.compile(r"\[([A-Z]{1,8})-(\d{4})-(\d{4,})\]")


def content_key(raw: bytes) -> str:
    """A stand-in Message-ID for a message that has none: its content hash."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@mailflow.invalid"


def email_key(address: str | None) -> str | None:
    """A stable pseudonym of an address, for lookups and logs (never the address)."""
    if not address:
        return None
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:24]


def text_fingerprint(text: str) -> str | None:
    """A hash of what someone wrote, blind to case and spacing: the same text from many senders
    (an autoresponder answering from changing addresses) is recognised without keeping the text."""
    norm = " ".join(text.lower().split())[:4000]
    if len(norm) < 20:
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


def format_ref(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:04d}"


class Outcome(StrEnum):
    """What became of one incoming message."""

    REGISTERED = "registered"  # a new case
    THREADED = "threaded"  # added to an existing case
    DUPLICATE = "duplicate"  # seen before (same Message-ID)
    AUTO_REPLY = "auto_reply"
    BULK = "bulk"
    BOUNCE = "bounce"
    OWN_MAIL = "own_mail"  # sent by mailflow itself
    QUARANTINED = "quarantined"  # cannot be parsed
    UNMATCHED_STAFF = "unmatched_staff"  # staff mail that fits no case: triage


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Role(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    PROVIDER = "provider"
    REGISTRAR = "registrar"
    SYSTEM = "system"


class Purpose(StrEnum):
    COMPLAINT = "complaint"
    REPLY = "reply"
    ACK = "ack"
    FORWARD = "forward"
    FEEDBACK = "feedback"
    REPORT = "report"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    DELAY_NOTICE = "delay_notice"
    DIGEST = "digest"
    COMMAND = "command"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    OUTAGE = "outage"  # a notice to the registrar that a mail server cannot be used


class Kind(StrEnum):
    COMPLAINT = "complaint"
    OPINION = "opinion"
    PRAISE = "praise"


class Status(StrEnum):
    OPEN = "open"
    AWAITING_REPORT = "awaiting_report"
    ANSWERED = "answered"
    CLOSED = "closed"


class MailboxRole(StrEnum):
    COMPLAINTS = "complaints"
    REGISTRAR = "registrar"


@dataclass(frozen=True)
class Address:
    name: str
    email: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Source:
    """Where a message came from: one UID in one IMAP folder."""

    org_id: str
    mailbox: MailboxRole
    folder: str
    uidvalidity: int
    uid: int
    internaldate: datetime

    @property
    def mailbox_key(self) -> str:
        return f"{self.org_id}:{self.mailbox}"


@dataclass(frozen=True)
class Parsed:
    """A message as mail-parser read it, bodies turned into plain text."""

    message_id: str  # without angle brackets; a content hash where none was given
    has_message_id: bool
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    headers: dict[str, str]  # lower-cased name -> first value, decoded
    text: str  # the body as plain text (HTML converted when there was no text part)
    html_only: bool
    attachments: tuple[Attachment, ...]
    content_type: str
    dsn_message_ids: tuple[str, ...] = ()  # Message-IDs named in a delivery report
    auth_results: tuple[str, ...] = ()  # every Authentication-Results header, as received
    own_text: str = ""  # the writer's latest words: no quoted earlier mail (signature kept)
    words: str = ""  # the same without the signature: what classification reads
    report_type: str = ""  # a machine report: delivery-status, disposition-notification, feedback-report, …


@dataclass(frozen=True)
class CaseInfo:
    """What the pipeline may know of an existing case."""

    ref: str
    org_id: str
    status: Status
    kind: Kind
    flags: tuple[str, ...]
    language: str
    unit_id: str | None
    manager: str | None
    person_email_key: str | None
    received_at: datetime
    feedback_due: date | None
    channel: str = "email"
    department_id: str | None = None
    handler: str | None = None
    handler_role: str = "unit"
    triage: str | None = None
    first_response_due: date | None = None
    report_due: date | None = None
    feedback_at: datetime | None = None
    report_at: datetime | None = None
    closed_at: datetime | None = None
    escalation_level: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in (Status.OPEN, Status.AWAITING_REPORT)


def case_status(case: CaseInfo) -> Status:
    """What a case's facts make its status: closed > answered > awaiting_report > open."""
    if case.closed_at is not None:
        return Status.CLOSED
    if case.feedback_at is not None and (case.report_due is None or case.report_at is not None):
        return Status.ANSWERED
    if case.report_due is not None and case.report_at is None:
        return Status.AWAITING_REPORT
    return Status.OPEN


@dataclass(frozen=True)
class Classification:
    kind: Kind
    flags: tuple[str, ...]
    language: str
    cues: tuple[str, ...]


@dataclass(frozen=True)
class Routing:
    unit_id: str | None
    department_id: str | None
    handler: str  # the address the case goes to
    handler_role: str  # unit | lex_sarah | triage | provider | district
    cues: tuple[str, ...] = ()
    manager: str | None = None  # the responsible manager (None while in triage)


@dataclass(frozen=True)
class Person:
    """Identity and contact of the writer; stored apart from the case."""

    name: str
    email: str
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Deadlines:
    first_response_due: date | None
    feedback_due: date | None


@dataclass(frozen=True)
class OutMail:
    """A mail to send, rendered and with its Message-ID fixed: an outbox row."""

    message_id: str
    purpose: Purpose
    sender: str
    recipients: tuple[str, ...]
    subject: str  # as sent
    record_subject: str  # as kept in the register (de-identified)
    payload: bytes  # the complete MIME message
    role: Role = Role.SYSTEM


@dataclass(frozen=True)
class Event:
    kind: str
    detail: dict[str, object] = field(default_factory=dict)
    actor: str = "mailflow"


@dataclass(frozen=True)
class NewCase:
    """The case a message opens."""

    ref: str
    number: int
    year: int
    channel: str
    classification: Classification
    routing: Routing
    deadlines: Deadlines
    triage: str | None = None
    report_due: date | None = None
    received_by: str | None = None  # the staff member who took an oral complaint


@dataclass(frozen=True)
class Form:
    """A registration form (blankett) mailed by staff who took a complaint orally."""

    channel: str
    text: str
    person: Person | None  # None: anonymous
    unit_id: str | None = None
    kind: Kind | None = None
    anonymous: bool = False
    received_on: date | None = None
    language: str | None = None  # chosen by the writer (the web form's language)


@dataclass(frozen=True)
class Mail:
    """One incoming message on its way through the pipeline."""

    source: Source
    raw: bytes
    parsed: Parsed | None = None
    role: Role = Role.CITIZEN
    purpose: Purpose = Purpose.COMPLAINT
    case: CaseInfo | None = None  # the existing case it belongs to
    case_after: CaseInfo | None = None  # that case as this message leaves it (feedback, report, commands)
    new_case: NewCase | None = None
    form: Form | None = None
    classification: Classification | None = None
    routing: Routing | None = None
    triage: str | None = None  # why the registrar must look at it
    person: Person | None = None
    clean_subject: str = ""
    clean_text: str = ""
    effects: tuple[OutMail, ...] = ()
    events: tuple[Event, ...] = ()
    staff_notes: tuple[str, ...] = ()  # what to tell a staff sender (command results, form receipt)
    outcome: Outcome | None = None
    reason: str = ""  # why it stopped (quarantine reason, screen rule)
    message_id_hint: str | None = None  # the Message-ID of a message that was not parsed (header only)
    no_ack_reason: str = ""  # why this message must get no acknowledgment (a loop suspect)

    @property
    def fingerprint(self) -> str | None:
        """The writer's words as a hash (see `text_fingerprint`); None without words."""
        if self.parsed is None:
            return None
        return text_fingerprint(self.parsed.words or self.parsed.text)

    @property
    def message_id(self) -> str:
        if self.parsed is not None:
            return self.parsed.message_id
        return self.message_id_hint or content_key(self.raw)

    @property
    def sender(self) -> str | None:
        if self.parsed is None or self.parsed.from_ is None:
            return None
        return self.parsed.from_.email

    @property
    def case_ref(self) -> str | None:
        if self.new_case is not None:
            return self.new_case.ref
        return self.case.ref if self.case is not None else None


@dataclass(frozen=True)
class CaseRecord:
    """A case as the deadline job, the digest and the statistics see it: no identity."""

    ref: str
    org_id: str
    kind: Kind
    flags: tuple[str, ...]
    channel: str
    language: str
    unit_id: str | None
    department_id: str | None
    manager: str | None  # the responsible manager's address (None while in triage)
    handler: str | None  # where the case was forwarded (manager, provider, district, Lex Sarah handler, registrar)
    handler_role: str  # unit | provider | district | lex_sarah | triage
    status: Status
    triage: str | None
    received_at: datetime
    first_response_due: date | None
    feedback_due: date | None
    report_due: date | None  # when a provider's or other district's report is due (None if none asked)
    feedback_at: datetime | None
    report_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    summary: str = ""  # one de-identified line of the first message
    has_action: bool = False  # an `action` (åtgärd) is recorded on the case
    has_preventive_action: bool = False  # a `preventive_action` (förebyggande åtgärd) is recorded
    corrected: tuple[str, ...] = ()  # the decisions the registrar corrected (`reports.corrections.DECISIONS`)

    @property
    def anonymous(self) -> bool:
        return "anonymous" in self.flags
