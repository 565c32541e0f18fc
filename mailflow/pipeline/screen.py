"""screen: auto-replies, bounces, bulk mail and mailflow's own mail get no answer.

Such messages are recorded (attached to their case where their headers point to
one) and the pipeline stops for them: they are never acknowledged or forwarded.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace

import flufl.bounce

from mailflow.model import Mail, Outcome, Parsed, Purpose, Role
from mailflow.pipeline import Context, Stop

# flufl.bounce's detectors in its own order (most specific first); all_failures stops at the first that raises
_DETECTORS = tuple(getattr(getattr(flufl.bounce, "_scan", None), "_DETECTORS", ()))

_AUTO_SUBJECT = re.compile(
    r"^\s*(automatiskt svar|autosvar|automatic reply|auto(matic)?[ -]?reply|out of office|"
    r"frånvaromeddelande|abwesenheitsnotiz|autoreply|poissaolo(ilmoitus)?|automaattinen vastaus)\s*:",
    re.I,
)
_DAEMON = re.compile(r"^(mailer[-_.]?daemon|post[-_.]?master|mail[-_.]?daemon|mail[-_.]?delivery[-_.]?(sub)?system|"
                     r"mail[-_.]?administrator|bounces?|mdaemon)(@|$|\\)", re.I)
_DAEMON_NAME = re.compile(r"^\W*(mailer[- ]?daemon|mail delivery (sub)?system|postmaster|mail administrator|"
                          r"e-postsystemet|mail system)\W*$", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(able|ed)|delivery status notification|returned mail|failure notice|mail delivery failed|"
    r"(mail|message|your message) (could not|couldn't|was not|wasn't|cannot) (be )?deliver|"
    r"mail delivery warning|delivery (status )?warning|warning: message .{0,40} delayed|"
    r"delivery failure|delivery has failed|nondeliverable|non[- ]?delivery|olevererbart|levereringsfel|"
    r"det gick inte att leverera|unzustellbar|non remis|warning: could not send|mail system error|"
    r"delayed mail|delivery (status|failure|notification|report))", re.I)
_BOUNCE_BODY = re.compile(
    r"(could not be delivered|couldn't be delivered|delivery (to the following recipients? )?(has )?failed|"
    r"permanent (fatal )?error|user unknown|no such user|mailbox (unavailable|not found|full)|"
    r"kunde inte levereras|gick inte att leverera|the following addresses? had|unrouteable|"
    r"recipient address rejected|message was not delivered|returned to sender)", re.I)
_FEEDBACK_SUBJECT = re.compile(r"^\s*(complaint about message from|abuse report|spam report|feedback report)\b", re.I)
_OWN_ID = re.compile(rb"<(mailflow\.[0-9a-f]{32}@[A-Za-z0-9.-]+)>")
_REPORT_RULES = {
    "delivery-status": (Outcome.BOUNCE, "multipart/report delivery-status"),
    "disposition-notification": (Outcome.AUTO_REPLY, "read receipt (disposition-notification)"),
    "feedback-report": (Outcome.BOUNCE, "feedback report (ARF): marked as spam or abuse by a mail provider"),
}


def _null_sender(h: dict[str, str]) -> bool:
    """An empty envelope sender (Return-Path: <>), which RFC 5321 and RFC 3834 reserve for machine mail,
    or a From with no address at all ("MAILER-DAEMON <>")."""
    value = h.get("return-path", "").strip()
    return value in ("<>", "< >", "<<>>") or h.get("from", "").strip().endswith("<>")


def _daemon(p: Parsed) -> bool:
    """A sender that is a mail system: mailer-daemon, postmaster, "Mail Delivery Subsystem" and the like."""
    sender = p.from_.email if p.from_ else ""
    name = p.from_.name if p.from_ else ""
    raw_from = p.headers.get("from", "").strip()
    if _DAEMON.match(sender) or (name and _DAEMON_NAME.match(name)):
        return True
    if not sender and raw_from:  # "From: mailer-daemon" with no domain, "MAILER-DAEMON <>"
        name_part, _, rest = raw_from.partition("<")
        inside = rest.partition(">")[0].strip()
        bare = name_part.strip().strip('"')
        return bool(_DAEMON.match(inside) or _DAEMON.match(bare) or (bare and _DAEMON_NAME.match(bare)))
    return False


def looks_like_bounce(p: Parsed, raw: bytes) -> bool:
    """A delivery failure in plain text, as older MTAs send it: flufl.bounce's detectors, or the usual words."""
    if _BOUNCE_BODY.search(p.text[:20000]):
        return True
    try:
        msg = email.message_from_bytes(raw[:2_000_000], policy=email.policy.compat32)
    except Exception:  # noqa: BLE001  unreadable here: no verdict
        return False
    for detector in _DETECTORS:  # one by one: a detector that trips over odd input is no verdict
        try:
            temporary, permanent = detector().process(msg)
        except Exception:  # noqa: BLE001
            continue
        if temporary or permanent:
            return True
    return False


def classify_automatic(p: Parsed, own: frozenset[str], raw: bytes = b"") -> tuple[Outcome, str] | None:
    """Which kind of machine-made mail this is, and by which rule; None for a person."""
    h = p.headers
    sender = p.from_.email if p.from_ else ""
    if sender in own or "x-mailflow-case" in h:
        return Outcome.OWN_MAIL, "sent by mailflow"
    if _daemon(p) or "x-failed-recipients" in h:  # before the bulk rules: a bounce may say Precedence: bulk
        return Outcome.BOUNCE, "MAILER-DAEMON"
    if p.report_type:
        return _REPORT_RULES.get(p.report_type, (Outcome.BOUNCE, f"machine report ({p.report_type})"))
    bounce_subject = bool(_BOUNCE_SUBJECT.match(p.subject))
    if _null_sender(h):
        if bounce_subject or looks_like_bounce(p, raw):
            return Outcome.BOUNCE, "delivery failure from the null sender"
        return Outcome.AUTO_REPLY, "null sender (Return-Path: <>)"
    if _FEEDBACK_SUBJECT.match(p.subject):
        return Outcome.BOUNCE, "abuse or spam complaint from a mail provider"
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return Outcome.AUTO_REPLY, f"Auto-Submitted: {auto.split(';')[0][:40]}"
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
    if bounce_subject and looks_like_bounce(p, raw):
        return Outcome.BOUNCE, "delivery failure in plain text"
    return None


class Screen:
    name = "screen"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        p = mail.parsed
        assert p is not None
        found = classify_automatic(p, ctx.config.own_addresses(), mail.raw)
        if found is None:
            return mail
        outcome, rule = found
        ids: tuple[str, ...] = ()
        if outcome is Outcome.BOUNCE:  # the mail of ours it reports on: named in the report, or quoted
            ids = p.dsn_message_ids + tuple(m.decode("ascii") for m in dict.fromkeys(_OWN_ID.findall(mail.raw)))
        ids += p.in_reply_to + p.references
        case = ctx.lookup.case_by_message_ids(mail.source.org_id, ids) if ids else None
        purpose = Purpose.BOUNCE if outcome is Outcome.BOUNCE else Purpose.AUTO_REPLY
        mail = replace(mail, case=case, role=Role.SYSTEM, purpose=purpose, clean_subject=p.subject)
        raise Stop(outcome, rule, mail)
