"""screen: auto-replies, bounces, bulk mail and mailflow's own mail get no answer.

Such messages are recorded (attached to their case where their headers point to
one) and the pipeline stops for them: they are never acknowledged or forwarded.
"""

from __future__ import annotations

import re
from dataclasses import replace

from mailflow.model import Mail, Outcome, Parsed, Purpose, Role
from mailflow.pipeline import Context, Stop

_AUTO_SUBJECT = re.compile(
    r"^\s*(automatiskt svar|autosvar|automatic reply|auto(matic)?[ -]?reply|out of office|"
    r"frånvaromeddelande|abwesenheitsnotiz|autoreply)\s*:",
    re.I,
)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)


def classify_automatic(p: Parsed, own: frozenset[str]) -> tuple[Outcome, str] | None:
    """Which kind of machine-made mail this is, and by which rule; None for a person."""
    h = p.headers
    sender = p.from_.email if p.from_ else ""
    if sender in own or "x-mailflow-case" in h:
        return Outcome.OWN_MAIL, "sent by mailflow"
    ctype = h.get("content-type", "").lower()
    if p.content_type == "multipart/report" and "delivery-status" in ctype:
        return Outcome.BOUNCE, "multipart/report delivery-status"
    if p.content_type == "multipart/report" and "disposition-notification" in ctype:
        return Outcome.AUTO_REPLY, "read receipt (disposition-notification)"
    if _DAEMON.match(sender) or "x-failed-recipients" in h:
        return Outcome.BOUNCE, "MAILER-DAEMON"
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return Outcome.AUTO_REPLY, f"Auto-Submitted: {auto.split(';')[0]}"
    for name in ("x-autoreply", "x-autorespond"):
        if name in h:
            return Outcome.AUTO_REPLY, name
    if h.get("x-ms-exchange-generated-message-source"):
        return Outcome.AUTO_REPLY, "X-MS-Exchange-Generated-Message-Source"
    precedence = h.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return Outcome.BULK, f"Precedence: {precedence}"
    if precedence == "auto_reply":
        return Outcome.AUTO_REPLY, "Precedence: auto_reply"
    if "list-id" in h or "list-unsubscribe" in h:
        return Outcome.BULK, "List-Id" if "list-id" in h else "List-Unsubscribe"
    if _AUTO_SUBJECT.match(p.subject):
        return Outcome.AUTO_REPLY, "auto-reply subject"
    return None


class Screen:
    name = "screen"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        p = mail.parsed
        assert p is not None
        found = classify_automatic(p, ctx.config.own_addresses())
        if found is None:
            return mail
        outcome, rule = found
        ids = p.dsn_message_ids if outcome is Outcome.BOUNCE else ()
        ids += p.in_reply_to + p.references
        case = ctx.lookup.case_by_message_ids(mail.source.org_id, ids) if ids else None
        purpose = Purpose.BOUNCE if outcome is Outcome.BOUNCE else Purpose.AUTO_REPLY
        mail = replace(mail, case=case, role=Role.SYSTEM, purpose=purpose, clean_subject=p.subject)
        raise Stop(outcome, rule, mail)
