"""act: open the case and render what to send (acknowledgment, forwards, replies to staff) as outbox mails.

Nothing is sent here: the mails become outbox rows in the same transaction as
the case. Each Message-ID is derived from the incoming Message-ID and the
mail's purpose, so a repeated pass over the same message makes the same IDs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from mailflow import addresses
from mailflow.deadlines import case_deadlines
from mailflow.labels import kind_label
from mailflow.model import (
    CaseInfo,
    Classification,
    Deadlines,
    Event,
    Mail,
    NewCase,
    OutMail,
    Person,
    Purpose,
    Role,
    Routing,
    email_key,
)
from mailflow.pipeline import Context
from mailflow.pipeline.outmail import compose, staff_reply, tagged
from mailflow.schedule import report_due


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
        if mail.case is None:
            return self._new_case(mail, ctx)
        if mail.role is Role.CITIZEN:
            return self._citizen_on_case(mail, mail.case, ctx)
        return self._staff_on_case(mail, mail.case, mail.case_after or mail.case, ctx)

    # -- a new case ---------------------------------------------------------

    def _new_case(self, mail: Mail, ctx: Context) -> Mail:
        org, p = ctx.org, mail.parsed
        assert p is not None and mail.classification is not None and mail.routing is not None
        cls, routing, form = mail.classification, mail.routing, mail.form
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
        report = (report_due(ctx.calendar, arrival, org.policy)
                  if routing.handler_role in ("provider", "district") else None)
        channel = form.channel if form else "email"
        triage = mail.triage or ("no unit matched" if routing.handler_role == "triage" else None)
        new = NewCase(ref, number, year, channel, cls, routing, deadlines, triage, report,
                      received_by=mail.sender if form else None)
        events = [
            Event("registered", {"kind": cls.kind.value, "flags": list(cls.flags), "channel": channel}),
            Event("routed", {"unit": routing.unit_id, "to": routing.handler_role}),
        ]
        if triage:
            events.append(Event("triage", {"reason": triage}))
        if report:
            events.append(Event("report_requested", {"due": report.isoformat()}))
        effects: list[OutMail] = []
        person = mail.person
        # a writer who is anonymous (by her wish, her display name or her address) still gets the case
        # number at the address she wrote from, when it is read by someone: nobody else learns it
        citizen = person.email if person and person.email else None
        key = email_key(citizen)
        if not citizen or addresses.no_reply(citizen):
            reason = ("anonymous: no usable reply address" if anonymous else
                      "the sender's address is not read (no-reply)" if citizen else "no e-mail address given")
            events.append(Event("ack_skipped", {"reason": reason}))
        elif (bad := addresses.problem(citizen)) is not None:
            events.append(Event("ack_skipped", {"reason": f"the sender's address cannot receive mail ({bad})"}))
        elif mail.no_ack_reason:
            events.append(Event("ack_skipped", {"reason": mail.no_ack_reason}))
        elif key and ctx.lookup.acks_since(key, ctx.clock.now() - timedelta(days=1)) >= ctx.config.service.ack_limit_per_day:
            events.append(Event("ack_skipped", {"reason": "rate limit: too many acknowledgments to this sender today"}))
        elif mail.fingerprint and ctx.lookup.same_text_since(ctx.org.id, mail.fingerprint, ctx.clock.now() - timedelta(
                days=1)) >= ctx.config.service.ack_limit_same_text_per_day:
            events.append(Event("ack_skipped", {"reason": "rate limit: the same text came from several senders today"}))
        else:
            effects.append(self._ack(mail, ref, cls, routing, deadlines, citizen, person, channel, ctx))
            events.append(Event("acknowledged", {}))
        # an anonymous writer's identity stays with the registrar: the forward has no address to reply to
        effects.append(self._forward(mail, ref, cls, routing, deadlines, None if anonymous else citizen, ctx))
        events.append(Event("forwarded", {"to": routing.handler_role}))
        if form is not None:
            notes = (f"Registrerat som {ref} ({kind_label(cls.kind, 'sv')}).",) + mail.staff_notes
            effects.append(staff_reply(mail, ref, notes, ctx))
        return replace(mail, new_case=new, effects=tuple(effects), events=mail.events + tuple(events))

    def _ack(self, mail: Mail, ref: str, cls: Classification, routing: Routing, deadlines: Deadlines,
             citizen: str, person: Person | None, channel: str, ctx: Context) -> OutMail:
        org = ctx.org
        unit = org.unit(routing.unit_id)
        lang = cls.language
        subject, text, html = ctx.render.render(
            "ack",
            lang,
            ref=ref,
            org=org,
            kind=cls.kind.value,
            kind_label=kind_label(cls.kind, lang),
            channel=channel,
            # a Lex Sarah case names the organization, never the routine
            unit_name=(unit.name if unit and routing.handler_role != "lex_sarah" else ""),
            provider_name=(unit.provider.name if unit and unit.provider and routing.handler_role == "provider" else ""),
            greeting_name=first_name(person.name if person else ""),
            received_at=mail.source.internaldate.astimezone(ctx.calendar.tz),
            first_response_due=deadlines.first_response_due,
            feedback_due=deadlines.feedback_due,
            contact=org.contact,
        )
        return compose(mail, ctx, Purpose.ACK, to=(citizen,), subject=tagged(ref, subject),
                          record_subject=tagged(ref, subject), text=text, html=html, ref=ref,
                          headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
                          thread=mail.form is None)

    def _forward(self, mail: Mail, ref: str, cls: Classification, routing: Routing, deadlines: Deadlines,
                 citizen: str | None, ctx: Context, *, raw: bytes | None = None, again: bool = False) -> OutMail:
        """The case to whoever handles it; pressing Reply answers the citizen with the registrar in CC."""
        org, p = ctx.org, mail.parsed
        assert p is not None
        unit = org.unit(routing.unit_id)
        anonymous = "anonymous" in cls.flags
        reply_to = [a for a in (citizen, org.registrar) if a and addresses.problem(a) is None]
        limit = int(ctx.config.service.forward_attachments_max_mb * 1024 * 1024)
        cc = [unit.manager] if routing.handler_role in ("provider", "district") and unit is not None else []
        form = mail.form
        original = raw if raw is not None else mail.raw
        contact_lines: list[str] = []
        if raw is not None:  # a re-forward after a command: the case's first message
            from mailflow.pipeline.parse import parse_bytes

            first = parse_bytes(raw)
            original_from = "" if isinstance(first, str) or first.from_ is None else (first.from_.name or first.from_.email)
            original_subject = "" if isinstance(first, str) else first.subject
            original_text = "" if isinstance(first, str) else first.text
            attachments = () if isinstance(first, str) else first.attachments
        elif form is not None:
            original_from = (form.person.name or form.person.email) if form.person else ""
            original_subject, original_text, attachments = p.subject, form.text, ()
            if form.person is not None:  # the manager needs every way to reach the citizen
                contact_lines = [x for x in (form.person.name, form.person.email, form.person.phone,
                                             form.person.address) if x]
        elif anonymous:  # the de-identified words only: the original would name the writer
            original_from = "Anonym"
            original_subject, original_text, attachments = mail.clean_subject or p.subject, mail.clean_text, ()
            original = b""
        else:
            original_from = (p.from_.name or p.from_.email) if p.from_ else ""
            original_subject, original_text, attachments = p.subject, p.text, p.attachments
        # the writer's language, named in the forward; an answer template in it when it is not the staff's
        answer_text = ""
        if cls.language != org.language and not anonymous:
            person = mail.person or (form.person if form is not None else None)
            _, answer_text, _ = ctx.render.render(
                "answer", cls.language, ref=ref, org=org, contact=org.contact,
                greeting_name=first_name(person.name if person else ""),
                manager_name=unit.manager_name if unit is not None and routing.handler_role == "unit" else "")
        subject, text, html = ctx.render.render(
            "forward",
            org.language,
            ref=ref,
            org=org,
            kind_label=kind_label(cls.kind, org.language),
            flags=cls.flags,
            cues=cls.cues + routing.cues,
            unit=unit,
            handler_role=routing.handler_role,
            triage=mail.triage or (routing.handler_role == "triage"),
            received_at=mail.source.internaldate.astimezone(ctx.calendar.tz),
            channel=form.channel if form else "email",
            first_response_due=deadlines.first_response_due,
            feedback_due=deadlines.feedback_due,
            policy=org.policy,
            contact=org.contact,
            anonymous=anonymous,
            citizen_address=citizen or "",
            registrar=org.registrar,
            original_from=original_from,
            original_subject=original_subject,
            original_text=original_text,
            attachments=attachments,
            original_attached=bool(original) and len(original) <= limit,
            contact_lines=contact_lines,
            received_by=mail.sender if form is not None else "",
            citizen_language=cls.language,
            answer_text=answer_text.strip(),
        )
        return compose(mail, ctx, Purpose.FORWARD, to=(routing.handler,), cc=tuple(cc), reply_to=tuple(reply_to),
                          subject=tagged(ref, subject), record_subject=tagged(ref, mail.clean_subject or subject),
                          text=text, html=html, ref=ref, attach=original if original and len(original) <= limit else None,
                          headers={"Auto-Submitted": "auto-generated"}, seed="again" if again else "")

    # -- a citizen's message on an existing case ------------------------------

    def _citizen_on_case(self, mail: Mail, case: CaseInfo, ctx: Context) -> Mail:
        p = mail.parsed
        assert p is not None
        events = [Event("citizen_message", {})]
        effects: list[OutMail] = []
        handler = case.manager or case.handler
        if handler:
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
                citizen_language=case.language,
            )
            reply_to = [a for a in (mail.sender, ctx.org.registrar)
                        if a and "anonymous" not in case.flags and addresses.problem(a) is None]
            limit = int(ctx.config.service.forward_attachments_max_mb * 1024 * 1024)
            effects.append(compose(mail, ctx, Purpose.FORWARD, to=(handler,), reply_to=tuple(reply_to),
                                      subject=tagged(case.ref, subject),
                                      record_subject=tagged(case.ref, mail.clean_subject),
                                      text=text, html=html, ref=case.ref,
                                      attach=mail.raw if len(mail.raw) <= limit else None,
                                      headers={"Auto-Submitted": "auto-generated"}))
            events.append(Event("forwarded", {"to": "manager"}))
        return replace(mail, effects=mail.effects + tuple(effects), events=mail.events + tuple(events))

    # -- a staff message on an existing case ---------------------------------

    def _staff_on_case(self, mail: Mail, case: CaseInfo, after: CaseInfo, ctx: Context) -> Mail:
        effects: list[OutMail] = []
        events: list[Event] = []
        if mail.staff_notes:
            effects.append(staff_reply(mail, case.ref, mail.staff_notes, ctx))
        if after.handler != case.handler and after.handler:
            raw = ctx.lookup.original_message(ctx.org.id, case.ref)
            # the new handler's Reply must reach the citizen too, as the first forward's did
            citizen = None if "anonymous" in after.flags else ctx.lookup.citizen_address(ctx.org.id, case.ref)
            cls = Classification(kind=after.kind, flags=after.flags, language=after.language, cues=())
            routing = Routing(after.unit_id, after.department_id, after.handler, after.handler_role, (), after.manager)
            deadlines = Deadlines(after.first_response_due, after.feedback_due)
            effects.append(self._forward(mail, case.ref, cls, routing, deadlines, citizen, ctx,
                                         raw=raw or b"", again=True))
            events.append(Event("forwarded", {"to": after.handler_role, "after": "command"}))
        return replace(mail, effects=mail.effects + tuple(effects), events=mail.events + tuple(events))
