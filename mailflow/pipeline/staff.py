"""staff: what managers, providers and the registrar send: feedback, reports, forms, commands.

Only staff have these powers: addresses in `staff_domains` or configured as
manager, head, director, provider contact or registrar, and, where
`trusted_authserv_id` is set, only when the From passes DKIM or DMARC in that
server's Authentication-Results. Anyone else writing the same words is a
citizen. A staff message that fits no case is listed for triage.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from mailflow import auth
from mailflow.config import Organization
from mailflow.deadlines import WorkCalendar, case_deadlines
from mailflow.model import (
    CaseInfo,
    Event,
    Kind,
    Mail,
    Outcome,
    Purpose,
    Role,
    case_status,
    email_key,
)
from mailflow.pipeline import Context, Stop, commands, forms, outmail
from mailflow.pipeline.deidentify import scrub
from mailflow.schedule import report_due

_FORWARD_SUBJECT = re.compile(r"^\s*(vb|vs|fwd?|fw|vidarebefordrat)\s*:", re.I)
_FORWARDED_FROM = re.compile(r"^\s*>?\s*(?:från|from|avsändare)\s*:\s*(.*)$", re.I | re.M)
_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def authenticated(mail: Mail, org: Organization) -> auth.Verdict:
    if not org.trusted_authserv_id:
        return auth.Verdict(True, "no trusted_authserv_id configured")
    p = mail.parsed
    assert p is not None
    return auth.verify(p.auth_results, org.trusted_authserv_id, mail.sender or "")


def recipient_keys(mail: Mail) -> set[str]:
    p = mail.parsed
    assert p is not None
    return {k for a in p.to + p.cc if (k := email_key(a.email))}


def forwarded_from(text: str) -> set[str]:
    """Addresses on the From lines of forwarded mail inside a text."""
    found: set[str] = set()
    for m in _FORWARDED_FROM.finditer(text):
        found.update(a.lower() for a in _ADDRESS.findall(m.group(1)))
    return found


def counterpart_contacts(org: Organization, case: CaseInfo) -> set[str]:
    unit = org.unit(case.unit_id)
    contacts = {c.contact for c in (unit.provider, unit.district) if c is not None} if unit else set()
    if case.handler_role in ("provider", "district") and case.handler:
        contacts.add(case.handler)
    return contacts


def reroute(case: CaseInfo, org: Organization, unit_id: str, cal: WorkCalendar) -> CaseInfo:
    """The case handed to another unit (`#enhet`)."""
    unit = org.unit(unit_id)
    assert unit is not None
    flags = [f for f in case.flags if f not in ("external_provider", "other_district")]
    if unit.provider:
        flags.append("external_provider")
    if unit.district:
        flags.append("other_district")
    if "lex_sarah" in case.flags:
        handler, role = org.lex_sarah.handler, "lex_sarah"
    elif unit.provider:
        handler, role = unit.provider.contact, "provider"
    elif unit.district:
        handler, role = unit.district.contact, "district"
    else:
        handler, role = unit.manager, "unit"
    needs_report = bool(unit.provider or unit.district)
    due = case.report_due
    if needs_report and due is None and case.report_at is None:
        due = report_due(cal, case.received_at, org.policy)
    elif not needs_report and case.report_at is None:
        due = None
    return replace(case, unit_id=unit.id, department_id=unit.department, manager=unit.manager, handler=handler,
                   handler_role=role, flags=tuple(flags), triage=None, report_due=due)


def apply(cmds: list[commands.Command], case: CaseInfo, org: Organization, cal: WorkCalendar,
          now: datetime) -> CaseInfo:
    """The case after the commands, in order."""
    for c in cmds:
        if c.verb == "kind":
            case = replace(case, kind=Kind(c.arg))
        elif c.verb == "unit":
            case = reroute(case, org, c.arg, cal)
        elif c.verb == "lex_sarah" and "lex_sarah" not in case.flags:
            case = replace(case, flags=case.flags + ("lex_sarah",), handler=org.lex_sarah.handler,
                           handler_role="lex_sarah", manager=org.lex_sarah.handler, triage=None)
        elif c.verb == "anonymous" and "anonymous" not in case.flags:
            p = org.policy
            d = case_deadlines(cal, case.received_at, first_response_working_days=p.first_response_working_days,
                               feedback_working_days=p.feedback_working_days,
                               needs_feedback=p.anonymous_requires_feedback)
            case = replace(case, flags=case.flags + ("anonymous",), first_response_due=d.first_response_due,
                           feedback_due=d.feedback_due)
        elif c.verb == "close" and case.closed_at is None:
            case = replace(case, closed_at=now)
    return case


class Staff:
    name = "staff"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        if mail.role is Role.CITIZEN:
            return mail
        p = mail.parsed
        assert p is not None
        org = ctx.org
        verdict = authenticated(mail, org)
        if not verdict.passed:
            reason = f"staff sender not authenticated ({verdict.reason})"
            raise Stop(Outcome.UNMATCHED_STAFF, reason, replace(mail, triage=reason, purpose=Purpose.REPLY))
        case = mail.case
        if case is None:
            if forms.is_form(p.text):
                return self._form(mail, ctx)
            case = self._by_recipients(mail, ctx)
        return self._on_case(replace(mail, case=case), case, ctx)

    def _by_recipients(self, mail: Mail, ctx: Context) -> CaseInfo:
        """Tag and headers gone: the citizen among the recipients, and an open case routed to the sender."""
        keys = recipient_keys(mail)
        found = ctx.lookup.open_cases_for(mail.source.org_id, tuple(sorted(keys)), mail.sender or "") if keys else []
        if len(found) == 1:
            return found[0]
        reason = ("several open cases fit this staff mail: " + ", ".join(c.ref for c in found)) if found \
            else "staff mail matching no case"
        raise Stop(Outcome.UNMATCHED_STAFF, reason, replace(mail, triage=reason, purpose=Purpose.REPLY))

    def _form(self, mail: Mail, ctx: Context) -> Mail:
        p = mail.parsed
        assert p is not None
        try:
            form, notes = forms.parse_form(p.text, ctx.org)
        except forms.FormError as exc:
            reason = f"registration form not usable: {exc}"
            told_notes = (f"Blanketten kunde inte registreras: {exc}.", "Rätta blanketten och skicka den igen.")
            told = replace(mail, triage=reason, purpose=Purpose.COMPLAINT, staff_notes=told_notes,
                           effects=mail.effects + (outmail.staff_reply(mail, None, told_notes, ctx),))
            raise Stop(Outcome.UNMATCHED_STAFF, reason, told) from None
        event = Event("form", {"channel": form.channel, "received_on": str(form.received_on or "")},
                      actor=mail.sender or "staff")
        return replace(mail, form=form, purpose=Purpose.COMPLAINT, events=mail.events + (event,),
                       staff_notes=tuple(notes))

    def _on_case(self, mail: Mail, case: CaseInfo, ctx: Context) -> Mail:
        p = mail.parsed
        assert p is not None
        org, now, sender = ctx.org, mail.source.internaldate, mail.sender or "staff"
        text = p.own_text or p.text
        after = case
        events: list[Event] = []
        notes: list[str] = []
        purpose = Purpose.REPLY
        if commands.command_lines(text):
            cmds, errors = commands.parse(text, org)
            purpose = Purpose.COMMAND
            if errors:
                events.append(Event("command_rejected", {"lines": [e.line for e in errors]}, actor=sender))
                notes += [f"Rad {e.line_no} ({e.line}): {e.reason}." for e in errors]
                notes.append("Inget av kommandona i meddelandet har utförts.")
            else:
                after = apply(cmds, case, org, ctx.calendar, ctx.clock.now())
                for c in cmds:
                    if c.verb in commands.NOTES:  # what was done, de-identified like every text in the register
                        events.append(Event(c.verb, {"text": scrub(c.arg), "via": "mail"}, actor=sender))
                    else:
                        events.append(Event("command", {"command": c.verb, "arg": c.arg, "line": c.line},
                                            actor=sender))
                notes += [f"Utfört: {c.line}" if c.verb not in commands.NOTES
                          else f"Registrerat: {commands.note_label(c.verb)}" for c in cmds]
        if case.person_email_key and case.person_email_key in recipient_keys(mail):
            purpose = Purpose.FEEDBACK
            events.append(Event("feedback", {"first": case.feedback_at is None}, actor=sender))
            if after.feedback_at is None:
                after = replace(after, feedback_at=now)
        contacts = counterpart_contacts(org, case)
        from_counterpart = (mail.sender or "") in contacts
        forwarded = bool(_FORWARD_SUBJECT.match(p.subject)) and bool(forwarded_from(p.text) & contacts)
        if from_counterpart or forwarded:
            if purpose is not Purpose.FEEDBACK:
                purpose = Purpose.REPORT
            events.append(Event("report", {"forwarded": forwarded and not from_counterpart}, actor=sender))
            if after.report_at is None:
                after = replace(after, report_at=now)
        if purpose is Purpose.REPLY:
            events.append(Event("staff_message", {"role": mail.role.value}, actor=sender))
        after = replace(after, status=case_status(after))
        role = Role.PROVIDER if from_counterpart else mail.role
        return replace(mail, case=case, case_after=after, purpose=purpose, role=role,
                       events=mail.events + tuple(events), staff_notes=tuple(notes))
