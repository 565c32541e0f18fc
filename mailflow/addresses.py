"""Whether an address can receive mail: RFC 5321 syntax, RFC 6531 UTF-8 local parts, IDNA domains (pure).

A case is registered whatever its writer's address looks like, but mail goes
only to an address an SMTP server can be given: no spaces, controls or line
breaks, one `@`, a dot-atom (or quoted) local part of at most 64 octets and a
domain of LDH labels. A non-ASCII domain is sent in its IDNA (xn--) form; a
non-ASCII local part needs a server that offers SMTPUTF8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_QUOTED = re.compile(r'^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$')


@dataclass(frozen=True)
class Checked:
    """An address as it goes on the wire, and whether it needs SMTPUTF8."""

    address: str
    needs_smtputf8: bool


class BadAddress(ValueError):
    """An address no SMTP server can be given; the message says why."""


def _local_ok(local: str) -> bool:
    if _QUOTED.match(local):
        return True
    if not local or local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    for atom in local.split("."):
        if atom.isascii():
            if not _ATEXT.match(atom):
                return False
        elif any(ch.isspace() or ord(ch) < 0x20 or ch in '"(),:;<>@[\\]' or 0x7f <= ord(ch) < 0xa0 for ch in atom):
            return False
    return True


def check(address: str) -> Checked:
    """The address ready for MAIL FROM / RCPT TO, or BadAddress."""
    if not address or any(ord(ch) < 0x20 or ch == "\x7f" for ch in address):
        raise BadAddress("contains line breaks or control characters")
    local, at, domain = address.rpartition("@")
    if " " in domain or (" " in local and not _QUOTED.match(local)):
        raise BadAddress("contains spaces")
    if not at or not local or not domain:
        raise BadAddress("not of the form local@domain")
    if not _local_ok(local):
        raise BadAddress("the part before @ is not valid")
    if len(local.encode("utf-8")) > 64:
        raise BadAddress("the part before @ is longer than 64 octets")
    domain = domain.rstrip(".").lower()
    if domain.startswith("["):
        raise BadAddress("address literals are not accepted")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadAddress("the domain is not a valid international domain name") from None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or len(domain) > 253:
        raise BadAddress("the domain is not valid")
    if labels[-1].isdigit():
        raise BadAddress("the domain is not valid")
    full = f"{local}@{domain}"
    if len(full.encode("utf-8")) > 254:
        raise BadAddress("longer than 254 octets")
    return Checked(full, not local.isascii())


def problem(address: str | None) -> str | None:
    """Why mail cannot go to this address (None when it can)."""
    if not address:
        return "no address"
    try:
        check(address)
    except BadAddress as exc:
        return str(exc)
    return None


_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|donotreply|ingen-?svar|inget-?svar|mailer-daemon|postmaster)\b|noreply",
                       re.I)


def no_reply(address: str) -> bool:
    """An address that says nobody reads what is sent to it (noreply@, do-not-reply@, ingen-svar@)."""
    return bool(_NO_REPLY.search(address.partition("@")[0]))
