"""Building outgoing MIME messages (pure): headers that thread, parts that read well.

The bytes are assembled directly, with the email package for what is subtle
(RFC 2047 encoded words, address and date formatting) and binascii for
quoted-printable: the email package's generator was most of the cost of a
mail, and a mail of ours has one fixed shape (text, HTML, the original).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime, formataddr


def make_message_id(seed: str, domain: str) -> str:
    """A Message-ID (without brackets) fixed by its seed, so a retried pass makes the same one."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]
    return f"mailflow.{digest}@{domain}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "mailflow.invalid"


def _fold(name: str, value: str) -> bytes:
    """One header line folded at spaces to stay near 78 octets (the way RFC 5322 folds); UTF-8 only where
    an address itself is UTF-8 (RFC 6532: sent only to a server that offers SMTPUTF8)."""
    value = " ".join(value.split())  # no CR, LF or runs of spaces from anywhere
    line = f"{name}: {value}"
    if len(line) <= 78:
        return line.encode("utf-8") + b"\r\n"
    out, current = [], f"{name}:"
    for word in value.split(" "):
        if len(current) + 1 + len(word) > 78 and current.strip() != f"{name}:":
            out.append(current)
            current = " " + word
        else:
            current += " " + word
    out.append(current)
    return "\r\n".join(out).encode("utf-8") + b"\r\n"


_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_Q_MAX = 75 - len("=?utf-8?q??=")  # the encoded text an RFC 2047 word may carry


def _q(ch: str) -> str:
    if ch == " ":
        return "_"
    b = ch.encode("utf-8")
    return ch if len(b) == 1 and b[0] in _Q_SAFE else "".join(f"={x:02X}" for x in b)


def encoded_words(text: str) -> list[str]:
    """RFC 2047 Q-encoded words of at most 75 characters, never splitting a character."""
    words, current = [], ""
    for ch in text:
        q = _q(ch)
        if len(current) + len(q) > _Q_MAX:
            words.append(f"=?utf-8?q?{current}?=")
            current = ""
        current += q
    if current:
        words.append(f"=?utf-8?q?{current}?=")
    return words


def _encoded(name: str, value: str) -> bytes:
    """A header that may carry non-ASCII text: the leading ASCII words (the case tag) as they are, the rest
    as RFC 2047 encoded words, folded between words to keep lines within 78 octets."""
    value = " ".join(value.split())
    if value.isascii():
        return _fold(name, value)
    words = value.split(" ")
    n = 0
    while n < len(words) and words[n].isascii():
        n += 1
    tokens = words[:n] + encoded_words(" ".join(words[n:]))
    lines, current = [], f"{name}:"
    for token in tokens:
        if len(current) + 1 + len(token) > 78 and current != f"{name}:":
            lines.append(current)
            current = " " + token
        else:
            current += " " + token
    lines.append(current)
    return "\r\n".join(lines).encode("ascii") + b"\r\n"


def _qp(text: str) -> bytes:
    """UTF-8 text as quoted-printable with CRLF line ends and lines of at most 76 octets."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n")


def _text_part(subtype: str, text: str) -> bytes:
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
            ).encode("ascii") + _qp(text) + (b"" if text.endswith("\n") else b"\r\n")


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
    """The complete message as bytes (CRLF line ends), ready for SMTP.

    Assembled directly (the email package's generator took most of the time of
    building a mail): headers folded, non-ASCII words RFC 2047-encoded, bodies
    quoted-printable UTF-8, the original attached verbatim as message/rfc822 (or
    as a base64 file where it may not travel so).
    """
    seed = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:24]
    head = [
        _fold("Message-ID", f"<{message_id}>"),
        _fold("Date", format_datetime(at)),
        _fold("From", formataddr(sender, charset="utf-8")),
        _fold("To", ", ".join(to)),
    ]
    if cc:
        head.append(_fold("Cc", ", ".join(cc)))
    if reply_to:
        head.append(_fold("Reply-To", ", ".join(reply_to)))
    head.append(_encoded("Subject", subject))
    if in_reply_to:
        head.append(_fold("In-Reply-To", f"<{in_reply_to}>"))
    refs = [r for r in references if r]
    if refs:
        head.append(_fold("References", " ".join(f"<{r}>" for r in dict.fromkeys(refs))))
    for name, value in (headers or {}).items():
        head.append(_encoded(name, value))
    head.append(b"MIME-Version: 1.0\r\n")
    if html:
        alt = f"==mailflow-alt-{seed}"
        body = (f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n--{alt}\r\n').encode("ascii") \
            + _text_part("plain", text) + f"--{alt}\r\n".encode("ascii") + _text_part("html", html) \
            + f"--{alt}--\r\n".encode("ascii")
    else:
        body = _text_part("plain", text)
    if attach_original is None:
        return b"".join(head) + body
    mixed = f"==mailflow-mix-{seed}"
    name = attachment_name.replace('"', "")
    if fits_as_rfc822(attach_original):
        original = attach_original.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if not original.endswith(b"\r\n"):
            original += b"\r\n"
        part = (f'Content-Type: message/rfc822\r\nContent-Transfer-Encoding: {"7bit" if original.isascii() else "8bit"}'
                f'\r\nContent-Disposition: attachment; filename="{name}"\r\n\r\n').encode("ascii") + original
    else:
        part = (f'Content-Type: application/octet-stream; name="{name}"\r\nContent-Transfer-Encoding: base64\r\n'
                f'Content-Disposition: attachment; filename="{name}"\r\n\r\n').encode("ascii") \
            + _base64_lines(attach_original)
    return (b"".join(head) + f'Content-Type: multipart/mixed; boundary="{mixed}"\r\n\r\n--{mixed}\r\n'.encode("ascii")
            # the CRLF before a boundary belongs to the boundary: one more keeps the original's own last line end
            + body + f"--{mixed}\r\n".encode("ascii") + part + f"\r\n--{mixed}--\r\n".encode("ascii"))


MAX_LINE = 998  # octets per line, RFC 5322 section 2.1.1


def fits_as_rfc822(raw: bytes) -> bool:
    """Whether a message can travel as a message/rfc822 part: no NUL, no line over 998 octets."""
    if b"\x00" in raw:
        return False
    return all(len(line) <= MAX_LINE for line in raw.replace(b"\r\n", b"\n").split(b"\n"))


def _base64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76)) + b"\r\n"


# -- fitting a built mail to the server that takes it (pure, byte level) -------------------------------

def _last_part(payload: bytes) -> tuple[int, int] | None:
    """Start and end offsets of the last part of a multipart/mixed mail (the attached original)."""
    head_end = payload.find(b"\r\n\r\n")
    head = payload[: head_end if head_end >= 0 else 0]
    m = re.search(rb'boundary="?([^";\r\n]+)"?', head, re.I)
    if m is None or b"multipart/mixed" not in head.lower():
        return None
    delim = b"\r\n--" + m.group(1)
    end = payload.rfind(delim + b"--")
    start = payload.rfind(delim + b"\r\n", 0, end)
    if end < 0 or start < 0:
        return None
    return start + len(delim) + 2, end


def has_8bit(payload: bytes) -> bool:
    return not payload.isascii()


def original_as_base64(payload: bytes) -> bytes:
    """The mail with an 8-bit message/rfc822 original re-sent as a base64 file (a server without 8BITMIME)."""
    span = _last_part(payload)
    if span is None:
        return payload
    start, end = span
    part = payload[start:end]
    sep = part.find(b"\r\n\r\n")
    if sep < 0 or b"message/rfc822" not in part[:sep].lower():
        return payload
    m = re.search(rb'filename="([^"]*)"', part[:sep])
    name = m.group(1) if m else b"ursprungligt-meddelande.eml"
    body = part[sep + 4:]
    new = (b'Content-Type: application/octet-stream; name="' + name + b'"\r\n'
           b"Content-Transfer-Encoding: base64\r\n"
           b'Content-Disposition: attachment; filename="' + name + b'"\r\n\r\n' + _base64_lines(body))
    return payload[:start] + new + payload[end:]


def without_original(payload: bytes, note: str) -> bytes:
    """The mail with the attached original replaced by a short note (a server whose SIZE it exceeds)."""
    span = _last_part(payload)
    if span is None:
        return payload
    start, end = span
    text = note.encode("utf-8")
    new = (b"Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n"
           b"Content-Disposition: inline\r\n\r\n" + _base64_lines(text))
    return payload[:start] + new + payload[end:]
