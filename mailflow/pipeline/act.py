"""act: open the case and render what to send (acknowledgment, forward) as outbox mails.

Nothing is sent here: the mails become outbox rows in the same transaction as
the case. Each Message-ID is derived from the incoming Message-ID and the
mail's purpose, so a repeated pass over the same message makes the same IDs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from mailflow import mime
from mailflow.config import Organization
from mailflow.deadlines import case_deadlines
from mailflow.model import (
    CaseInfo,
    Classification,
    Deadlines,
    Event,
    Kind,
    Mail,
    NewCase,
    OutMail,
    Purpose,
    Role,
    Routing,
    email_key,
)
from mailflow.pipeline import Context

KIND_LABELS = {
    "sv": {Kind.COMPLAINT: "klagomål", Kind.OPINION: "synpunkt", Kind.PRAISE: "beröm"},
    "en": {Kind.COMPLAINT: "complaint", Kind.OPINION: "suggestion", Kind.PRAISE: "praise"},
}
CHANNEL = "email"


def tagged(ref: str, subject: str) -> str:
    """The subject with the case tag in front (once)."""
    tag = f"[{ref}]"
    subject = " ".join(subject.split())
    return subject if tag in subject else f"{tag} {subject}".strip()


def first_name(display: str) -> str:
    display = display.strip().strip('"')
    if not display or "@" in display:
        return ""
    if "," in display:  # "Lindqvist, Åsa"
        display = display.split(",", 1)[1]
    return display.split()[0] if display.split() else ""


class Act:
    name = "act"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        if mail.case is not None:
            return self._on_case(mail, mail.case, ctx)
        return self._new_case(mail, ctx)

    # -- a new case ---------------------------------------------------------

    def _new_case(self, mail: Mail, ctx: Context) -> Mail:
        org, p = ctx.org, mail.parsed
        assert p is not None and mail.classification is not None and mail.routing is not None
        cls, routing = mail.classification, mail.routing
        arrival = mail.source.internaldate
        year = arrival.astimezone(ctx.calendar.tz).year
        ref, number = ctx.lookup.allocate_ref(org.id, org.case_prefix, year)
        anonymous = "anonymous" in cls.flags
        deadlines = case_deadlines(
            ctx.calendar,
            arrival,
            first_response_working_days=org.policy.first_response_working_days,
            feedback_working_days=org.policy.feedback_working_days,
            needs_feedback=not anonymous or org.policy.anonymous_requires_feedback,
        )
        triage = mail.triage or ("no unit matched" if routing.handler_role == "triage" else None)
        new = NewCase(ref, number, year, CHANNEL, cls, routing, deadlines, triage)
        events = [
            Event("registered", {"kind": cls.kind.value, "flags": list(cls.flags), "channel": CHANNEL}),
            Event("routed", {"unit": routing.unit_id, "to": routing.handler_role}),
        ]
        if triage:
            events.append(Event("triage", {"reason": triage}))
        effects: list[OutMail] = []
        key = email_key(mail.sender)
        if anonymous:
            events.append(Event("ack_skipped", {"reason": "anonymous: no usable reply address"}))
        elif key and ctx.lookup.acks_since(key, ctx.clock.now() - timedelta(days=1)) >= ctx.config.service.ack_limit_per_day:
            events.append(Event("ack_skipped", {"reason": "rate limit: too many acknowledgments to this sender today"}))
        else:
            effects.append(self._ack(mail, ref, cls, routing, deadlines, ctx))
            events.append(Event("acknowledged", {}))
        effects.append(self._forward(mail, ref, cls, routing, deadlines, ctx))
        events.append(Event("forwarded", {"to": routing.handler_role}))
        return replace(mail, new_case=new, effects=tuple(effects), events=tuple(events))

    def _ack(
        self, mail: Mail, ref: str, cls: Classification, routing: Routing, deadlines: Deadlines, ctx: Context
    ) -> OutMail:
        org, p = ctx.org, mail.parsed
        assert p is not None and p.from_ is not None
        unit = org.unit(routing.unit_id)
        lang = cls.language
        subject, text, html = ctx.render.render(
            "ack",
            lang,
            ref=ref,
            org=org,
            kind=cls.kind.value,
            kind_label=KIND_LABELS[lang][cls.kind],
            # a Lex Sarah case names the organization, never the routine
            unit_name=(unit.name if unit and routing.handler_role != "lex_sarah" else ""),
            provider_name=(unit.provider.name if unit and unit.provider and routing.handler_role == "provider" else ""),
            greeting_name=first_name(p.from_.name),
            original_subject=p.subject,
            first_response_due=deadlines.first_response_due,
            feedback_due=deadlines.feedback_due,
            contact=org.contact,
        )
        return self._mail(
            mail, ctx, Purpose.ACK, to=(p.from_.email,), subject=tagged(ref, subject),
            record_subject=tagged(ref, subject), text=text, html=html, ref=ref,
            headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        )

    def _forward(
        self, mail: Mail, ref: str, cls: Classification, routing: Routing, deadlines: Deadlines, ctx: Context
    ) -> OutMail:
        org, p = ctx.org, mail.parsed
        assert p is not None
        unit = org.unit(routing.unit_id)
        anonymous = "anonymous" in cls.flags
        citizen = p.from_.email if p.from_ and not anonymous else None
        # Pressing Reply answers the citizen with the registrar in CC.
        reply_to = [a for a in (citizen, org.registrar) if a]
        cc = []
        if routing.handler_role in ("provider", "district") and unit is not None:
            cc.append(unit.manager)
        lang = org.language
        subject, text, html = ctx.render.render(
            "forward",
            lang,
            ref=ref,
            org=org,
            kind_label=KIND_LABELS[lang][cls.kind],
            flags=cls.flags,
            cues=cls.cues + routing.cues,
            unit=unit,
            handler_role=routing.handler_role,
            triage=mail.triage or (routing.handler_role == "triage"),
            received_at=mail.source.internaldate.astimezone(ctx.calendar.tz),
            channel=CHANNEL,
            first_response_due=deadlines.first_response_due,
            feedback_due=deadlines.feedback_due,
            policy=org.policy,
            contact=org.contact,
            anonymous=anonymous,
            citizen_address=citizen or "",
            registrar=org.registrar,
            original_from=(p.from_.name or p.from_.email) if p.from_ else "",
            original_subject=p.subject,
            original_text=p.text,
            attachments=p.attachments,
        )
        return self._mail(
            mail, ctx, Purpose.FORWARD, to=(routing.handler,), cc=tuple(cc), reply_to=tuple(reply_to),
            subject=tagged(ref, subject), record_subject=tagged(ref, mail.clean_subject),
            text=text, html=html, ref=ref, attach=True, headers={"Auto-Submitted": "auto-generated"},
        )

    # -- a message on an existing case ---------------------------------------

    def _on_case(self, mail: Mail, case: CaseInfo, ctx: Context) -> Mail:
        if mail.role is not Role.CITIZEN:
            return replace(mail, events=mail.events + (Event("staff_message", {"role": mail.role.value}),))
        p = mail.parsed
        assert p is not None
        events = [Event("citizen_message", {})]
        effects: list[OutMail] = []
        if case.manager:
            subject, text, html = ctx.render.render(
                "citizen_reply",
                ctx.org.language,
                ref=case.ref,
                org=ctx.org,
                original_from=(p.from_.name or p.from_.email) if p.from_ else "",
                original_subject=p.subject,
                original_text=p.text,
                received_at=mail.source.internaldate.astimezone(ctx.calendar.tz),
                feedback_due=case.feedback_due,
                attachments=p.attachments,
            )
            reply_to = [a for a in (mail.sender, ctx.org.registrar) if a and "anonymous" not in case.flags]
            effects.append(
                self._mail(
                    mail, ctx, Purpose.FORWARD, to=(case.manager,), reply_to=tuple(reply_to),
                    subject=tagged(case.ref, subject), record_subject=tagged(case.ref, mail.clean_subject),
                    text=text, html=html, ref=case.ref, attach=True, headers={"Auto-Submitted": "auto-generated"},
                )
            )
            events.append(Event("forwarded", {"to": "manager"}))
        return replace(mail, effects=mail.effects + tuple(effects), events=mail.events + tuple(events))

    # -- one outbox mail ---------------------------------------------------------

    def _mail(
        self,
        mail: Mail,
        ctx: Context,
        purpose: Purpose,
        *,
        to: tuple[str, ...],
        subject: str,
        record_subject: str,
        text: str,
        html: str,
        ref: str,
        cc: tuple[str, ...] = (),
        reply_to: tuple[str, ...] = (),
        attach: bool = False,
        headers: dict[str, str] | None = None,
    ) -> OutMail:
        org: Organization = ctx.org
        p = mail.parsed
        assert p is not None
        message_id = mime.make_message_id(
            f"{org.id}|{mail.message_id}|{purpose.value}|{','.join(to)}", mime.domain_of(org.complaints_address)
        )
        payload = mime.build(
            message_id=message_id,
            sender=(org.name, org.complaints_address),
            to=to,
            cc=cc,
            reply_to=reply_to,
            subject=subject,
            text=text,
            html=html,
            at=ctx.clock.now(),
            in_reply_to=p.message_id if p.has_message_id else None,
            references=p.references + ((p.message_id,) if p.has_message_id else ()),
            headers={"X-Mailflow-Case": ref, "X-Mailflow-Purpose": purpose.value, **(headers or {})},
            attach_original=mail.raw if attach else None,
        )
        return OutMail(
            message_id=message_id,
            purpose=purpose,
            sender=org.complaints_address,
            recipients=tuple(dict.fromkeys(to + cc)),
            subject=subject,
            record_subject=record_subject,
            payload=payload,
        )
