"""parse: raw bytes -> `Parsed` with mail-parser; what cannot be read is quarantined."""

from __future__ import annotations

import base64
import email.errors
import email.header
import email.utils
import re
from dataclasses import replace
from datetime import datetime, timezone
from email.message import Message
from typing import Any

import mailparser

from mailflow.model import Address, Attachment, Mail, Outcome, Parsed, content_key
from mailflow.pipeline import Context, Stop
from mailflow.text import html_to_text, own_words, tidy

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
# Only a handful of headers matter to later steps; the rest stay in the archive.
_KEPT = (
    "auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress",
    "list-id", "list-unsubscribe", "x-mailflow-case", "x-mailflow-purpose", "x-loop",
    "authentication-results", "return-path", "content-type", "x-ms-exchange-generated-message-source",
    "x-failed-recipients",
)
MAX_HEADER = 4000


class Parse:
    name = "parse"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        parsed = parse_bytes(mail.raw)
        if isinstance(parsed, str):
            raise Stop(Outcome.QUARANTINED, parsed)
        return replace(mail, parsed=parsed)


def message_ids(value: str | None) -> tuple[str, ...]:
    """All <id> tokens of a Message-ID, In-Reply-To or References header."""
    if not value:
        return ()
    found = _MSGID_RE.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")]
    seen: dict[str, None] = {}
    for f in found:
        seen.setdefault(f.strip(), None)
    return tuple(seen)


def _addresses(pairs: Any) -> tuple[Address, ...]:
    out = []
    for name, addr in pairs or []:
        addr = (addr or "").strip()
        if "@" not in addr:
            continue
        out.append(Address(name=(name or "").strip(), email=addr.lower()))
    return tuple(out)


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    try:
        # raw 8-bit header bytes (web forms, SMTPUTF8) arrive as unknown-8bit
        pairs = [
            (_bytes_text(b), None) if cs == "unknown-8bit" and isinstance(b, bytes) else (b, cs)
            for b, cs in email.header.decode_header(value)
        ]
        text = safe_text(str(email.header.make_header(pairs)))
    except (UnicodeError, LookupError, email.errors.HeaderParseError, TypeError, ValueError):
        text = str(value)
    return " ".join(text.split())[:MAX_HEADER]


def _bytes_text(b: bytes) -> str:
    """UTF-8 if it is, else Windows-1252 (what Outlook sends unlabelled)."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("cp1252", errors="replace")


def safe_text(s: str) -> str:
    """Any stray surrogates (undecodable bytes) turned back into readable text."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return _bytes_text(s.encode("utf-8", "surrogateescape"))


def _decoded_size(payload: str) -> int:
    try:
        return len(base64.b64decode(payload))
    except (ValueError, TypeError):
        return len(payload) * 3 // 4


def _dsn_message_ids(msg: Message) -> tuple[str, ...]:
    """The Message-ID of the original inside a delivery status notification."""
    if msg.get_content_type() != "multipart/report":
        return ()
    found: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                found.extend(message_ids(str(inner[0].get("Message-ID", ""))))
        elif ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True) or b""
            m = re.search(rb"^Message-ID:\s*(<[^>]+>)", payload, re.I | re.M)
            if m:
                found.extend(message_ids(m.group(1).decode("ascii", "replace")))
    return tuple(dict.fromkeys(found))


def parse_bytes(raw: bytes) -> Parsed | str:
    """The parsed message, or a short reason why it cannot be read."""
    if not raw or not raw.strip():
        return "empty message"
    try:
        mp = mailparser.parse_from_bytes(raw)
    except Exception as exc:  # mail-parser has no single error base; anything here means unreadable
        return f"mail-parser failed: {type(exc).__name__}"
    msg = mp.message
    if msg is None or len(msg.keys()) == 0:
        return "no header section"
    names = {k.lower() for k in msg.keys()}
    if not names & {"from", "message-id", "subject", "date", "to"}:
        return "no mail headers (From, To, Subject, Date, Message-ID all missing)"
    try:
        return _build(raw, mp, msg)
    except RecursionError:
        return "message nested too deeply"
    except (LookupError, UnicodeError, ValueError, TypeError, AttributeError, IndexError) as exc:
        return f"cannot decode message: {type(exc).__name__}"


def _build(raw: bytes, mp: Any, msg: Message) -> Parsed:
    mids = message_ids(str(msg.get("Message-ID", "")))
    message_id = mids[0] if mids else content_key(raw)
    plain = [p for p in mp.text_plain if p and p.strip()]
    html = [h for h in mp.text_html if h and h.strip()]
    if plain:
        text, html_only = tidy(safe_text("\n\n".join(plain))), False
    elif html:
        text, html_only = html_to_text(safe_text("\n".join(html))), True
    else:
        text, html_only = "", False
    attachments = []
    for a in mp.attachments:
        payload = a.get("payload") or ""
        size = _decoded_size(payload) if a.get("binary") else len(payload.encode("utf-8", "replace"))
        attachments.append(
            Attachment(
                filename=str(a.get("filename") or "namnlös bilaga")[:200],
                content_type=str(a.get("mail_content_type") or "application/octet-stream"),
                size=size,
            )
        )
    date: datetime | None = None
    raw_date = msg.get("Date")
    if raw_date:
        try:
            date = email.utils.parsedate_to_datetime(str(raw_date))
            if date.tzinfo is None:
                date = date.replace(tzinfo=timezone.utc)
        except (TypeError, ValueError, IndexError):
            date = None
    from_ = _addresses(mp.from_)
    own, words = own_words(text)
    return Parsed(
        message_id=message_id,
        has_message_id=bool(mids),
        in_reply_to=message_ids(str(msg.get("In-Reply-To", ""))),
        references=message_ids(str(msg.get("References", ""))),
        subject=_header(msg, "Subject"),
        from_=from_[0] if from_ else None,
        to=_addresses(mp.to),
        cc=_addresses(mp.cc),
        reply_to=_addresses(mp.reply_to),
        date=date,
        headers={h: _header(msg, h) for h in _KEPT if msg.get(h) is not None},
        text=text,
        html_only=html_only,
        attachments=tuple(attachments),
        content_type=msg.get_content_type(),
        dsn_message_ids=_dsn_message_ids(msg),
        auth_results=tuple(" ".join(str(v).split()) for v in (msg.get_all("Authentication-Results") or [])),
        own_text=own,
        words=words,
    )
