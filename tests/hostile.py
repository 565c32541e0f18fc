"""Hostile and broken mail: realistic messages and the ways they break on the way (for the property tests).

Each mutation takes the raw bytes and a seeded `random.Random` and returns new
bytes; the heavy ones (a 1 MB header line, 10,000 parts, 30 MB) are functions
of their own so a test can choose them deliberately.
"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable

NORRMALM = "synpunkter.norrmalm@stockholm.example.se"


def _headers(subject: str, frm: str, extra: str = "") -> str:
    return (f"From: {frm}\r\nTo: {NORRMALM}\r\nSubject: {subject}\r\nDate: Mon, 02 Mar 2026 08:30:00 +0100\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@hostile.example>\r\nMIME-Version: 1.0\r\n{extra}")


def plain(n: int) -> bytes:
    return (_headers(f"Hemtjänsten {n}", f"Åsa {n} <asa{n}@example.com>")
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + f"Hej!\r\nHemtjänsten kom inte i tisdags ({n}). Det är inte okej.\r\n\r\nMvh\r\nÅsa\r\n").encode()


def alternative(n: int) -> bytes:
    return (_headers(f"=?utf-8?q?Lekplatsen_{n}_=C3=A4r_trasig?=", f"=?iso-8859-1?q?G=F6ran?= <goran{n}@example.net>")
            + 'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n'
            + "--ALT\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + f"Gungorna i Vasaparken =E4r trasiga ({n}).\r\n"
            + "--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            + f"<p>Gungorna i <b>Vasaparken</b> är trasiga ({n}).</p>\r\n--ALT--\r\n").encode()


def with_attachment(n: int) -> bytes:
    data = base64.b64encode(bytes(range(256)) * 8).decode()
    return (_headers(f"Bild {n}", f"Per <per{n}@example.org>")
            + 'Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n'
            + "--MIX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFörskolan i Vasastan: se bilden.\r\n"
            + "--MIX\r\nContent-Type: image/png; name=\"bild.png\"\r\nContent-Transfer-Encoding: base64\r\n"
            + "Content-Disposition: attachment; filename*=utf-8''b%C3%A4nk.png\r\n\r\n"
            + "\r\n".join(data[i:i + 76] for i in range(0, len(data), 76)) + "\r\n--MIX--\r\n").encode()


def html_only(n: int) -> bytes:
    return (_headers(f"Maten {n}", f"Märta <marta{n}@kund.example.se>")
            + "Content-Type: text/html; charset=windows-1252\r\n\r\n"
            + f"<html><body><p>Maten p\xe5 Sofiero \xe4r kall ({n}).</p></body></html>\r\n").encode("cp1252")


BASES: list[Callable[[int], bytes]] = [plain, alternative, with_attachment, html_only]


# -- mutations -----------------------------------------------------------------------------------------

def nul_bytes(raw: bytes, rnd: random.Random) -> bytes:
    b = bytearray(raw)
    for _ in range(rnd.randint(1, 5)):
        b.insert(rnd.randrange(len(b) + 1), 0)
    return bytes(b)


def broken_boundary(raw: bytes, rnd: random.Random) -> bytes:
    for token in (b"--ALT--", b"--MIX--", b'boundary="ALT"', b'boundary="MIX"'):
        if token in raw:
            return raw.replace(token, rnd.choice([b"", b"--OTHER--", b'boundary=""', b"boundary=ALT\x00"]), 1)
    return raw.replace(b"\r\n\r\n", b"\r\nContent-Type: multipart/mixed; boundary=\"NOPE\"\r\n\r\n", 1)


def unknown_charset(raw: bytes, rnd: random.Random) -> bytes:
    label = rnd.choice([b"x-unknown-42", b"utf-99", b"\xff\xfe", b"", b"iso-8859-1\"; x=\"", b"windows-1252x"])
    return raw.replace(b"charset=utf-8", b"charset=" + label).replace(b"charset=iso-8859-1", b"charset=" + label)


def lying_charset(raw: bytes, rnd: random.Random) -> bytes:
    """Says UTF-8, is Latin-1 (or the other way round)."""
    text = raw.decode("utf-8", "surrogateescape")
    if "charset=utf-8" in text:
        return text.replace("charset=utf-8", "charset=us-ascii").encode("utf-8", "surrogateescape") \
            .replace("ä".encode(), b"\xe4")
    return raw.replace(b"charset=iso-8859-1", b"charset=utf-8").replace(b"charset=windows-1252", b"charset=utf-8")


def raw_8bit_headers(raw: bytes, rnd: random.Random) -> bytes:
    junk = rnd.choice([b"Subject: \xe5\xe4\xf6 r\xe5 8-bit\r\n", "Subject: Ärende ÅÄÖ i UTF-8\r\n".encode(),
                       b"From: \xc3\x28 <bad\xff@example.com>\r\n", b"X-Junk: \x80\x81\x82\xfe\xff\r\n"])
    return junk + raw


def truncated(raw: bytes, rnd: random.Random) -> bytes:
    return raw[: rnd.randrange(1, len(raw))] if len(raw) > 1 else raw


def cr_only(raw: bytes, rnd: random.Random) -> bytes:
    return raw.replace(b"\r\n", b"\r")


def no_separator(raw: bytes, rnd: random.Random) -> bytes:
    return raw.replace(b"\r\n\r\n", b"\r\n", 1)


def bad_base64(raw: bytes, rnd: random.Random) -> bytes:
    return raw.replace(b"Content-Transfer-Encoding: 8bit", b"Content-Transfer-Encoding: base64").replace(
        b"Content-Transfer-Encoding: quoted-printable", b"Content-Transfer-Encoding: base64")


def bad_qp(raw: bytes, rnd: random.Random) -> bytes:
    return raw.replace(b"8bit", b"quoted-printable") + b"=Z=\r\n=0" + b"=" * rnd.randint(1, 40)


def duplicated_headers(raw: bytes, rnd: random.Random) -> bytes:
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    return b"\r\n".join(lines + [rnd.choice(lines) for _ in range(rnd.randint(1, 10))]) + sep + body


def broken_addresses(raw: bytes, rnd: random.Random) -> bytes:
    bad = rnd.choice([b"From: <>\r\n", b"From: \"unterminated <x@y>\r\n", b"From: @@@\r\n",
                      b"From: a@b@c, ,,, <\r\n", "From: jdöe@mächine.example\r\n".encode(),
                      b"From: x@example.com\r\n\tcontinued@example.org\r\n"])
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"from:")]
    return b"\r\n".join(lines) + b"\r\n" + bad.rstrip(b"\r\n") + sep + body


def injection(raw: bytes, rnd: random.Random) -> bytes:
    payload = rnd.choice([b"{{ 7*7 }}", b"{% for x in range(9) %}X{% endfor %}", b"<script>alert(1)</script>",
                          b"=?utf-8?q?A=0D=0ABcc:_victim@example.com?="])
    return raw.replace(b"Subject: ", b"Subject: " + payload + b" ", 1).replace(b"Hej!", b"Hej! " + payload)


def deep_nesting(raw: bytes, rnd: random.Random, depth: int = 10) -> bytes:
    out = raw
    for i in range(depth):
        out = (f"From: wrap{i}@example.com\r\nTo: {NORRMALM}\r\nSubject: Fwd {i}\r\n"
               f"Message-ID: <{uuid.uuid4().hex}@nest.example>\r\nMIME-Version: 1.0\r\n"
               f'Content-Type: multipart/mixed; boundary="N{i}"\r\n\r\n--N{i}\r\nContent-Type: message/rfc822\r\n\r\n'
               ).encode() + out + f"\r\n--N{i}--\r\n".encode()
    return out


def garbage(raw: bytes, rnd: random.Random) -> bytes:
    return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 400)))


def empty(raw: bytes, rnd: random.Random) -> bytes:
    return rnd.choice([b"", b"\r\n", b"\r\n\r\n", b" "])


def flipped_bytes(raw: bytes, rnd: random.Random) -> bytes:
    b = bytearray(raw)
    for _ in range(rnd.randint(1, 30) if b else 0):
        b[rnd.randrange(len(b))] = rnd.randrange(256)
    return bytes(b)


MUTATIONS: list[Callable[[bytes, random.Random], bytes]] = [
    nul_bytes, broken_boundary, unknown_charset, lying_charset, raw_8bit_headers, truncated, cr_only,
    no_separator, bad_base64, bad_qp, duplicated_headers, broken_addresses, injection, deep_nesting, garbage,
    empty, flipped_bytes,
]


def mutated(seed: int, n: int) -> tuple[bytes, list[str]]:
    """One hostile message, reproducible from (seed, n), with the names of what was done to it."""
    rnd = random.Random(seed * 100_003 + n)
    raw = rnd.choice(BASES)(n)
    done = []
    for m in rnd.sample(MUTATIONS, rnd.randint(1, 3)):
        raw = m(raw, rnd)
        done.append(m.__name__)
    return raw, done


# -- the heavy ones ---------------------------------------------------------------------------------------

def huge_header_line(n: int = 0) -> bytes:
    return b"X-Huge: " + b"a" * 1_000_000 + b"\r\n" + plain(n)


def many_parts(n: int = 0, parts: int = 10_000) -> bytes:
    body = "".join(f"--P\r\nContent-Type: text/plain\r\n\r\ndel {i}\r\n" for i in range(parts))
    return (_headers(f"Många delar {n}", f"Del <del{n}@example.com>") + 'Content-Type: multipart/mixed; boundary="P"\r\n\r\n'
            + body + "--P--\r\n").encode()


def large(n: int = 0, megabytes: int = 30) -> bytes:
    blob = base64.b64encode(random.Random(n).randbytes(megabytes * 1024 * 1024 * 3 // 4))
    lines = b"\r\n".join(blob[i:i + 76] for i in range(0, len(blob), 76))
    return (_headers(f"Stor bilaga {n}", f"Stor <stor{n}@example.com>") + 'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
            + "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHemtjänsten kom inte. Se filmen.\r\n"
            + '--B\r\nContent-Type: video/mp4; name="film.mp4"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            ).encode() + lines + b"\r\n--B--\r\n"
