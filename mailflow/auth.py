"""Whether a staff sender is who the From header says: DKIM or DMARC in Authentication-Results.

Only results stamped by the configured server (`trusted_authserv_id`, the first
token of the header, RFC 8601) count: anyone can write an
Authentication-Results header into a mail, but only our own mail server's
are trusted. A DKIM pass counts when its signing domain (header.d) is the From
domain or a parent of it (relaxed alignment); a DMARC pass when its
header.from is the From domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RESULT = re.compile(r"\b(dkim|dmarc|spf|arc)\s*=\s*([a-z]+)\b([^;]*)", re.I)
_PROP = re.compile(r"\b(header\.[a-z]+|smtp\.[a-z]+)\s*=\s*(\S+)", re.I)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str


def _strip_comments(value: str) -> str:
    out, depth = [], 0
    for ch in value:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def _aligned(signing: str, from_domain: str) -> bool:
    signing = signing.lower().lstrip("@").rstrip(".")
    return from_domain == signing or from_domain.endswith("." + signing)


def verify(headers: tuple[str, ...], authserv_id: str, from_address: str) -> Verdict:
    """Whether any trusted Authentication-Results header shows an aligned DKIM or DMARC pass."""
    from_domain = from_address.rpartition("@")[2].lower()
    trusted = 0
    for raw in headers:
        value = _strip_comments(" ".join(raw.split()))
        serv, _, rest = value.partition(";")
        tokens = serv.split()  # authserv-id, optionally followed by a version
        if not tokens or tokens[0].lower() != authserv_id.lower():
            continue
        trusted += 1
        for method, result, props in _RESULT.findall(rest):
            if result.lower() != "pass":
                continue
            found = {k.lower(): v.strip().strip('"') for k, v in _PROP.findall(props)}
            if method.lower() == "dkim":
                signing = found.get("header.d") or found.get("header.i", "").rpartition("@")[2]
                if signing and _aligned(signing, from_domain):
                    return Verdict(True, f"dkim=pass header.d={signing}")
            elif method.lower() == "dmarc" and found.get("header.from", "").lower() == from_domain:
                return Verdict(True, f"dmarc=pass header.from={from_domain}")
    if not trusted:
        return Verdict(False, f"no Authentication-Results from {authserv_id}")
    return Verdict(False, f"no aligned DKIM or DMARC pass from {authserv_id}")
