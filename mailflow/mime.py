"""Building outgoing MIME messages (pure): headers that thread, parts that read well."""

from __future__ import annotations

import email
import email.policy
import hashlib
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime


def make_message_id(seed: str, domain: str) -> str:
    """A Message-ID (without brackets) fixed by its seed, so a retried pass makes the same one."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]
    return f"mailflow.{digest}@{domain}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "mailflow.invalid"


def _addr(name: str, address: str) -> str:
    local, _, domain = address.partition("@")
    return str(HeaderAddress(display_name=name, username=local, domain=domain))


def build(
    *,
    message_id: str,
    sender: tuple[str, str],
    to: Sequence[str],
    subject: str,
    text: str,
    html: str,
    at: datetime,
    cc: Sequence[str] = (),
    reply_to: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    attach_original: bytes | None = None,
    attachment_name: str = "ursprungligt-meddelande.eml",
) -> bytes:
    """The complete message as bytes (CRLF line ends), ready for SMTP."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(at)
    msg["From"] = _addr(*sender)
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if reply_to:
        msg["Reply-To"] = ", ".join(reply_to)
    msg["Subject"] = subject
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    refs = [r for r in references if r]
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in dict.fromkeys(refs))
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text, cte="quoted-printable")
    if html:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if attach_original is not None:
        _attach(msg, attach_original, attachment_name)
    return msg.as_bytes()


def _attach(msg: EmailMessage, raw: bytes, name: str) -> None:
    """The original as message/rfc822; as a plain file if it will not serialise as one."""
    try:
        original = email.message_from_bytes(raw, policy=email.policy.default)
        trial = EmailMessage(policy=email.policy.SMTP)
        trial.add_attachment(original, filename=name)
        trial.as_bytes()
    except Exception:  # a malformed original: any failure means "attach the bytes as they are"
        msg.add_attachment(raw, maintype="application", subtype="octet-stream", filename=name)
        return
    msg.add_attachment(original, filename=name)
