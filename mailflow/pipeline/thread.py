"""thread: into an existing case by headers, else by [REF] from its own people or staff, else new.

A stranger who quotes somebody else's case number gets a new case, flagged for
triage, and learns nothing about the other case.
"""

from __future__ import annotations

import re
from dataclasses import replace

from mailflow.config import Organization
from mailflow.model import REF_RE, Mail, Purpose, Role, email_key
from mailflow.pipeline import Context


def sender_role(org: Organization, address: str | None) -> Role:
    """Who is writing, as far as the configuration knows."""
    if not address:
        return Role.CITIZEN
    address = address.lower()
    if address == org.registrar:
        return Role.REGISTRAR
    for u in org.units:
        for c in (u.provider, u.district):
            if c is not None and c.contact == address:
                return Role.PROVIDER
    return Role.STAFF if org.is_staff(address) else Role.CITIZEN


class Thread:
    name = "thread"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        p = mail.parsed
        assert p is not None
        org_id = mail.source.org_id
        sender = mail.sender
        role = sender_role(ctx.org, sender)
        staff = role is not Role.CITIZEN

        case = None
        ids = p.in_reply_to + p.references
        if ids:
            case = ctx.lookup.case_by_message_ids(org_id, ids)
        foreign_ref = None
        if case is None:
            for prefix, year, number in REF_RE.findall(p.subject):
                if prefix != ctx.org.case_prefix:
                    continue
                ref = f"{prefix}-{year}-{number}"
                found = ctx.lookup.case_by_ref(org_id, ref)
                if found is None:
                    continue
                if staff or (found.person_email_key and found.person_email_key == email_key(sender)):
                    case = found
                    break
                foreign_ref = ref

        if case is not None or staff:  # staff mail without a case: the staff step looks further
            return replace(mail, case=case, role=role, purpose=Purpose.REPLY)
        triage = f"quotes case number {foreign_ref} of another sender" if foreign_ref else None
        no_ack = ""
        if foreign_ref and replies_to(p.subject, ctx.lookup.sent_subjects(org_id, foreign_ref)):
            # the subject of mailflow's own mail, from another address: an autoresponder that ignores
            # Auto-Submitted and answers from changing addresses; answering it again would be a loop
            no_ack = "a reply to mailflow's own mail about another case: no acknowledgment, to break a mail loop"
        return replace(mail, role=Role.CITIZEN, purpose=Purpose.COMPLAINT, triage=triage, no_ack_reason=no_ack)


_REPLY_PREFIX = re.compile(r"^\s*((re|sv|vs|aw|fw|fwd|vb|wg|tr|vl|antw|automatic reply|automatiskt svar|"
                           r"autosvar|out of office)\s*:\s*)+", re.I)


def replies_to(subject: str, sent: tuple[str, ...]) -> bool:
    """Whether a subject is one of these subjects with reply or forward prefixes in front."""
    bare = " ".join(_REPLY_PREFIX.sub("", subject).split()).lower()
    return bool(bare) and any(bare == " ".join(s.split()).lower() for s in sent)
