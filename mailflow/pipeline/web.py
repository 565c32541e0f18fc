"""The web's door into the pipeline (pure): a citizen's form becomes a `Mail`; staff actions become case events.

A form submission is written as a synthetic RFC 5322 message (kept in the raw
archive like any mail) and runs through the same steps as a mail from a
citizen, with channel `web`: dedupe (the form's idempotency key is its
Message-ID), classify, route, de-identify and act. It skips screen, thread and
staff: a visitor is never machine mail, never threads into someone's case and
never gets a staff member's powers, whatever address they type.

Staff actions on the web are the mail commands (`pipeline/commands.py`) applied
the way `staff.apply` applies them, with the same events and the same
re-forward when the unit changes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from mailflow import mime
from mailflow.config import Organization
from mailflow.model import (
    CaseInfo,
    Event,
    Form,
    Mail,
    MailboxRole,
    OutMail,
    Parsed,
    Person,
    Purpose,
    Role,
    Source,
    case_status,
)
from mailflow.pipeline import Context, Step, commands, staff
from mailflow.pipeline.deidentify import name_parts, scrub
from mailflow.pipeline.outmail import compose, tagged

# the subject of the synthetic message: fixed, never typed by the visitor
SUBJECTS = {
    "sv": "Synpunkt eller klagomål via webbformuläret",
    "en": "Feedback or complaint via the web form",
    "fi": "Palaute tai valitus verkkolomakkeella",
}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Submission:
    """What a visitor sent with the form (checked for size and shape by the web layer)."""

    org_id: str
    key: str  # the form instance's idempotency key
    language: str
    text: str
    unit_id: str | None = None
    name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    anonymous: bool = False
    files: tuple[Upload, ...] = ()


def message_id(key: str, org: Organization) -> str:
    """The synthetic message's Message-ID: one form instance, one message, one case."""
    return f"web.{key}@{mime.domain_of(org.complaints_address)}"


def safe_filename(name: str) -> str:
    """A file name as a header may carry it: no path, no control characters, not too long."""
    name = _UNSAFE_NAME.sub("_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" ._") or "bilaga"
    return name[:120]


def build_raw(sub: Submission, org: Organization, now: datetime) -> bytes:
    """The submission as a message: headers built by the email package (typed values never become headers,
    except a checked address and name in From), the text as the body, the files attached."""
    msg = EmailMessage(policy=SMTP)
    msg["Message-ID"] = f"<{message_id(sub.key, org)}>"
    msg["Date"] = format_datetime(now)
    msg["To"] = org.complaints_address
    msg["Subject"] = SUBJECTS.get(sub.language, SUBJECTS["sv"])
    msg["X-Mailflow-Channel"] = "web"
    if sub.email and not sub.anonymous:
        try:
            msg["From"] = HeaderAddress(display_name=" ".join(sub.name.split())[:200], addr_spec=sub.email)
        except (ValueError, IndexError, TypeError):  # an address the header cannot carry: kept in the person record
            pass
    msg.set_content(sub.text, subtype="plain", charset="utf-8")
    for f in sub.files:
        maintype, _, subtype = (f.content_type or "application/octet-stream").partition("/")
        if not re.fullmatch(r"[a-z0-9.+-]+", maintype + subtype):
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(f.data, maintype=maintype, subtype=subtype, filename=safe_filename(f.filename))
    return msg.as_bytes()


def person_of(sub: Submission) -> Person | None:
    if sub.anonymous:
        return None
    name, email, phone, address = (" ".join(x.split()) for x in (sub.name, sub.email, sub.phone, sub.address))
    if not any((name, email, phone, address)):
        return None
    return Person(name=name, email=email.lower(), phone=phone, address=address)


def to_mail(sub: Submission, org: Organization, now: datetime, raw: bytes, parsed: Parsed) -> Mail:
    """The submission as a citizen's mail on channel `web`, its form filled in."""
    person = person_of(sub)
    form = Form(channel="web", text=sub.text.strip(), person=person, unit_id=sub.unit_id,
                anonymous=person is None, language=sub.language)
    source = Source(org.id, MailboxRole.COMPLAINTS, "web", 0, 0, now)
    return Mail(source=source, raw=raw, parsed=parsed, role=Role.CITIZEN, purpose=Purpose.COMPLAINT, form=form)


class WebLanguage:
    """The case speaks the language the visitor chose on the form (the text may be in another)."""

    name = "web_language"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        form, cls = mail.form, mail.classification
        if form is None or cls is None or not form.language or form.language == cls.language:
            return mail
        cues = cls.cues + (f"language:{form.language} chosen on the web form",)
        return replace(mail, classification=replace(cls, language=form.language, cues=cues))


def web_steps() -> tuple[Step, ...]:
    """The steps a form submission runs: no screen, thread or staff (see the module's docstring)."""
    from mailflow.pipeline import act, classify, dedupe, deidentify, route

    return (dedupe.Dedupe(), classify.Classify(), WebLanguage(), route.Route(), deidentify.Deidentify(), act.Act())


# -- staff actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What a staff action does to a case: its state after, the events, the mails."""

    after: CaseInfo
    events: tuple[Event, ...]
    effects: tuple[OutMail, ...] = ()


class ActionError(ValueError):
    """A staff action that cannot be applied as given (the reason is shown to the staff member)."""


def _stub(case: CaseInfo, actor: str, mid: str, has_id: bool = False) -> Mail:
    """A message standing for a web action, so the mail-making code can thread and seed its mails."""
    from mailflow.model import Address

    parsed = Parsed(message_id=mid, has_message_id=has_id, in_reply_to=(), references=(), subject=f"[{case.ref}]",
                    from_=Address("", actor), to=(), cc=(), reply_to=(), date=None, headers={}, text="",
                    html_only=False, attachments=(), content_type="text/plain")
    source = Source(case.org_id, MailboxRole.COMPLAINTS, "web", 0, 0, case.received_at)
    return Mail(source=source, raw=b"", parsed=parsed, role=Role.STAFF, case=case)


def command(case: CaseInfo, line: str, actor: str, ctx: Context) -> Change:
    """One mail command line (`#enhet x`, `#typ synpunkt`, `#åtgärd …`) applied from the web, as by mail."""
    cmds, errors = commands.parse(line, ctx.org)
    if errors:
        raise ActionError(errors[0].reason)
    if not cmds:
        raise ActionError("inget kommando")
    events: list[Event] = []
    for c in cmds:
        if c.verb in commands.NOTES:
            events.append(Event(c.verb, {"text": scrub(c.arg), "via": "web"}, actor=actor))
        else:
            events.append(Event("command", {"command": c.verb, "arg": c.arg, "line": c.line, "via": "web"},
                                actor=actor))
    after = staff.apply(cmds, case, ctx.org, ctx.calendar, ctx.clock.now())
    after = replace(after, status=case_status(after))
    effects: tuple[OutMail, ...] = ()
    if after.handler != case.handler and after.handler:
        from mailflow.pipeline.act import Act

        stub = _stub(case, actor, f"web-action.{uuid.uuid4().hex}@{mime.domain_of(ctx.org.complaints_address)}")
        done = Act()._staff_on_case(stub, case, after, ctx)
        effects, events = done.effects, events + list(done.events)
    return Change(after, tuple(events), effects)


def answer(case: CaseInfo, *, citizen: str, first_message_id: str | None, subject: str, text: str, html: str,
           actor: str, ctx: Context) -> Change:
    """The staff member's answer to the citizen through the outbox, the registrar in copy; it is the feedback."""
    if not text.strip():
        raise ActionError("svaret är tomt")
    domain = mime.domain_of(ctx.org.complaints_address)
    stub = _stub(case, actor, first_message_id or f"web-answer.{uuid.uuid4().hex}@{domain}",
                 has_id=first_message_id is not None)
    out = compose(stub, ctx, Purpose.FEEDBACK, to=(citizen,), cc=(ctx.org.registrar,), subject=tagged(case.ref, subject),
                  record_subject=tagged(case.ref, subject), text=text, html=html, ref=case.ref,
                  role=Role.STAFF, seed=f"web-answer.{uuid.uuid4().hex}")
    now = ctx.clock.now()
    after = case if case.feedback_at is not None else replace(case, feedback_at=now)
    after = replace(after, status=case_status(after))
    event = Event("feedback", {"first": case.feedback_at is None, "via": "web"}, actor=actor)
    return Change(after, (event,), (out,))


def feedback_given(case: CaseInfo, how: str, actor: str, ctx: Context) -> Change:
    """Feedback given by phone, letter or at a meeting, recorded from the web."""
    now = ctx.clock.now()
    after = case if case.feedback_at is not None else replace(case, feedback_at=now)
    after = replace(after, status=case_status(after))
    return Change(after, (Event("feedback", {"first": case.feedback_at is None, "via": "web", "how": how},
                                actor=actor),))


def clean_names(person: Person | None) -> tuple[str, ...]:
    """The citizen's name parts, to keep them out of a staff member's recorded text."""
    return name_parts(person.name) if person is not None else ()
