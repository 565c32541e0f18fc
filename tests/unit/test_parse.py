"""parse_bytes and message_ids: raw bytes in every charset and encoding citizens' mail clients use."""

from __future__ import annotations

import base64
import binascii
import email.quoprimime
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mailflow.model import Parsed, content_key
from mailflow.pipeline.parse import message_ids, parse_bytes

REPO = Path(__file__).resolve().parents[2]
GEN_CORPUS = REPO / ".." / "shared" / "bench" / "gen_corpus.py"

BODY = (
    "Hej!\n\n"
    "Min mamma fick vänta på hemtjänsten i tre timmar i tisdags, och ingen ringde för att säga "
    "att de var försenade. Det här är en lång rad så att kodningen måste bryta den.\n"
    "Blåbärssylt på smörgåsen, ÅÄÖ åäö é ü.\n\n"
    "Med vänliga hälsningar\n"
    "Åsa Öberg"
)


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def head(*extra: str, subject: str = "Synpunkt", frm: str = "asa.oberg@example.com",
         message_id: str | None = "<m1@mua.example.com>") -> bytes:
    lines = [f"From: {frm}", "To: synpunkter.norrmalm@stockholm.example.se", f"Subject: {subject}",
             "Date: Mon, 02 Mar 2026 09:30:00 +0100"]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += ["MIME-Version: 1.0", *extra]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def leaf(ctype: str, text: str, charset: str, cte: str, extra: str = "") -> bytes:
    """One MIME entity, its body encoded by hand so the wire bytes are exactly what a client sends."""
    data = text.encode(charset)
    if cte == "8bit":
        body = crlf(data)
    elif cte == "quoted-printable":
        body = crlf(binascii.b2a_qp(data, istext=True))
    elif cte == "base64":
        body = crlf(base64.encodebytes(crlf(data)))
    else:
        raise ValueError(cte)
    hdr = f'Content-Type: {ctype}; charset="{charset}"\r\nContent-Transfer-Encoding: {cte}\r\n{extra}'
    return hdr.encode("ascii") + b"\r\n" + body + (b"" if body.endswith(b"\r\n") else b"\r\n")


def multipart(subtype: str, boundary: str, *parts: bytes, params: str = "") -> bytes:
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"{params}\r\n\r\n'.encode(),
           b"This is a multi-part message in MIME format.\r\n"]
    for part in parts:
        out += [f"--{boundary}\r\n".encode(), part]
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def parsed(raw: bytes) -> Parsed:
    result = parse_bytes(raw)
    assert isinstance(result, Parsed), f"unreadable: {result}"
    return result


# -- bodies -------------------------------------------------------------------------


@pytest.mark.parametrize("cte", ["8bit", "quoted-printable", "base64"])
def test_utf8_body_is_decoded_in_every_transfer_encoding(cte: str) -> None:
    p = parsed(head() + leaf("text/plain", BODY, "utf-8", cte))
    assert p.text == BODY
    assert p.html_only is False
    assert p.content_type == "text/plain"


def test_latin1_8bit_body_is_decoded() -> None:
    p = parsed(head() + leaf("text/plain", BODY, "iso-8859-1", "8bit"))
    assert p.text == BODY


def _q(text: str, charset: str) -> str:
    return email.quoprimime.header_encode(text.encode(charset), charset)


def _b(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


@pytest.mark.parametrize("encode", [_q, _b], ids=["Q", "B"])
def test_latin1_encoded_word_subject_and_display_name_are_decoded(encode: Callable[[str, str], str]) -> None:
    subject = "Klagomål på färdtjänsten, två gånger"
    raw = head(subject=encode(subject, "ISO-8859-1"),
               frm=f"{encode('Åsa Öberg', 'ISO-8859-1')} <Asa.Oberg@Example.com>")
    p = parsed(raw + leaf("text/plain", BODY, "iso-8859-1", "8bit"))
    assert p.subject == subject
    assert p.from_ is not None
    assert p.from_.name == "Åsa Öberg"
    assert p.from_.email == "asa.oberg@example.com"
    assert p.text == BODY


def test_folded_adjacent_encoded_words_join_without_a_space() -> None:
    # RFC 2047 6.2: white space between adjacent encoded words is not displayed
    subject = "=?iso-8859-1?q?Klagom=E5l_p=E5?=\r\n =?iso-8859-1?q?_f=E4rdtj=E4nsten?="
    p = parsed(head(subject=subject) + leaf("text/plain", "Hej", "utf-8", "8bit"))
    assert p.subject == "Klagomål på färdtjänsten"


def test_encoded_word_mixed_with_plain_text_keeps_the_plain_text() -> None:
    subject = "SV: [NOR-2026-0007] =?utf-8?b?" + base64.b64encode("Återkoppling saknas".encode()).decode() + "?="
    p = parsed(head(subject=subject) + leaf("text/plain", "Hej", "utf-8", "8bit"))
    assert p.subject == "SV: [NOR-2026-0007] Återkoppling saknas"


def test_raw_utf8_subject_and_display_name_are_decoded() -> None:
    # RFC 6532 (SMTPUTF8) mail, and web forms that never encode their headers, send 8-bit UTF-8
    raw = (
        "From: Åsa Öberg <asa.oberg@example.com>\r\n"
        "To: synpunkter.norrmalm@stockholm.example.se\r\n"
        "Subject: Klagomål på hemtjänsten\r\n"
        "Message-ID: <form.1@webb.example.se>\r\n"
        "MIME-Version: 1.0\r\n"
    ).encode() + leaf("text/plain", "Hej", "utf-8", "8bit")
    p = parsed(raw)
    assert p.subject == "Klagomål på hemtjänsten"
    assert p.from_ is not None and p.from_.name == "Åsa Öberg"


OUTLOOK_TEXT = (
    "Hej,\n\n"
    "Jag betalade 450 € för \u201cbästa platserna\u201d men fick stå \u2013 det är inte OK. "
    "Personalen sa \u2018vänta\u2019 och gick\u2026\n\n"
    "Mvh\nGöran"
)
OUTLOOK_HTML = (
    "<html><head><meta http-equiv=Content-Type content=\"text/html; charset=windows-1252\"></head>"
    "<body><p class=MsoNormal>HTML-DELEN 450 \u20ac</p></body></html>"
)


def test_windows_1252_outlook_alternative_prefers_the_text_part() -> None:
    body = multipart(
        "alternative", "----=_NextPart_000_0001_01DA",
        leaf("text/plain", OUTLOOK_TEXT, "windows-1252", "quoted-printable"),
        leaf("text/html", OUTLOOK_HTML, "windows-1252", "quoted-printable"),
    )
    subject = _q("Avgift 450 € och “bästa platserna”", "windows-1252")
    p = parsed(head(subject=subject) + body)
    assert p.text == OUTLOOK_TEXT  # euro sign, curly quotes, dash and ellipsis survive
    assert "HTML-DELEN" not in p.text
    assert p.html_only is False
    assert p.subject == "Avgift 450 € och “bästa platserna”"
    assert p.content_type == "multipart/alternative"


HTML_ONLY = (
    "<!DOCTYPE html><html><head><title>Sidans titel</title>"
    "<style>p { color: red; }</style><script>var hemligt = 'skript';</script></head>"
    "<body><p>Hej!</p><p>Rad ett<br>Rad två<br/>Rad tre</p>"
    "<p>Bl&aring;b&auml;r &amp; sm&#246;rg&aring;s&nbsp;f&ouml;r 5&nbsp;&euro; &#x2013; &lt;ok&gt;</p>"
    "<script>alert('x')</script></body></html>"
)


def test_html_only_body_becomes_readable_text() -> None:
    p = parsed(head() + leaf("text/html", HTML_ONLY, "utf-8", "quoted-printable"))
    assert p.html_only is True
    assert p.text == "Hej!\n\nRad ett\nRad två\nRad tre\n\nBlåbär & smörgås för 5 € – <ok>"


def test_html_only_body_drops_head_style_and_script() -> None:
    p = parsed(head() + leaf("text/html", HTML_ONLY, "utf-8", "8bit"))
    for hidden in ("Sidans titel", "color", "hemligt", "alert", "<p>", "&aring;"):
        assert hidden not in p.text


# -- attachments -----------------------------------------------------------------------


PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8  # 2057 bytes: not a multiple of 3, spans many base64 lines
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100


def _attachment(ctype: str, disposition: str, data: bytes) -> bytes:
    return (f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: {disposition}\r\n\r\n").encode() + crlf(base64.encodebytes(data))


def _with_attachments() -> bytes:
    return head() + multipart(
        "mixed", "mixed-boundary",
        leaf("text/plain", "Se bifogat kvitto.", "utf-8", "8bit"),
        _attachment('application/pdf; name="kvitto_Ahlens.pdf"',
                    "attachment; filename*=utf-8''kvitto_%C3%85hl%C3%A9ns_%C3%A5%C3%A4%C3%B6.pdf", PDF),
        _attachment("image/jpeg",
                    "attachment;\r\n filename*0*=utf-8''bild_p%C3%A5_;\r\n filename*1*=skadan.jpg", JPG),
    )


def test_attachments_with_rfc2231_utf8_names_are_listed() -> None:
    p = parsed(_with_attachments())
    assert [(a.filename, a.content_type) for a in p.attachments] == [
        ("kvitto_Åhléns_åäö.pdf", "application/pdf"),
        ("bild_på_skadan.jpg", "image/jpeg"),
    ]
    assert p.text == "Se bifogat kvitto."


def test_attachment_size_is_the_decoded_size() -> None:
    p = parsed(_with_attachments())
    assert [a.size for a in p.attachments] == [len(PDF), len(JPG)]


# -- identity and threading headers -------------------------------------------------------


def test_message_id_is_kept_without_angle_brackets() -> None:
    p = parsed(head(message_id="<CAF+x=abc.123@mail.example.com>") + leaf("text/plain", "Hej", "utf-8", "8bit"))
    assert p.message_id == "CAF+x=abc.123@mail.example.com"
    assert p.has_message_id is True


def test_message_without_message_id_gets_a_stable_content_key() -> None:
    raw = head(message_id=None) + leaf("text/plain", BODY, "utf-8", "8bit")
    first, second = parsed(raw), parsed(bytes(raw))
    assert first.has_message_id is False
    assert first.message_id == second.message_id == content_key(raw)
    assert first.message_id.endswith("@mailflow.invalid")
    other = parsed(raw.replace(b"tisdags", b"onsdags"))
    assert other.message_id != first.message_id


def test_in_reply_to_and_references_are_split_into_ids() -> None:
    raw = head(
        "In-Reply-To: <parent.2@mua.example.com>",
        "References: <root.1@mailflow.example.se>\r\n\t<mid.1@mua.example.com>   <parent.2@mua.example.com>",
    ) + leaf("text/plain", "Hej", "utf-8", "8bit")
    p = parsed(raw)
    assert p.in_reply_to == ("parent.2@mua.example.com",)
    assert p.references == ("root.1@mailflow.example.se", "mid.1@mua.example.com", "parent.2@mua.example.com")


@pytest.mark.parametrize(
    "value, ids",
    [
        ("<a@x.se> <b@y.se>", ("a@x.se", "b@y.se")),
        ("<a@x.se><b@y.se>", ("a@x.se", "b@y.se")),
        ("  <a@x.se>,\r\n\t<b@y.se>  ", ("a@x.se", "b@y.se")),
        ("<a@x.se>\r\n <b@y.se>\r\n <a@x.se>", ("a@x.se", "b@y.se")),  # repeated id once, order kept
        ("Your message of Mon, 2 Mar 2026 <a@x.se>", ("a@x.se",)),  # old-style In-Reply-To
        ("a@x.se", ("a@x.se",)),  # bare id without brackets
        ("", ()),
        ("   ", ()),
        (None, ()),
    ],
)
def test_message_ids_reads_every_id_whatever_the_spacing(value: str | None, ids: tuple[str, ...]) -> None:
    assert message_ids(value) == ids


# -- delivery status notifications -------------------------------------------------------


ORIGINAL = (
    "From: synpunkter.norrmalm@stockholm.example.se\r\n"
    "To: asa.oberg@example.com\r\n"
    "Subject: [NOR-2026-0001] Tack for ditt klagomal\r\n"
    "Message-ID: %s<ack-1.NOR-2026-0001@mailflow.stockholm.example.se>\r\n"
    "\r\n"
)


def dsn(returned_type: str, fold: bool = False) -> bytes:
    returned = ORIGINAL % ("\r\n " if fold else "")
    if returned_type == "message/rfc822":
        returned += "Tack.\r\n"
    return head(
        "Auto-Submitted: auto-replied",
        frm="Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        subject="Undelivered Mail Returned to Sender",
        message_id="<dsn.77@mx.example.com>",
    ) + multipart(
        "report", "dsn-boundary",
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\nThe mail could not be delivered.\r\n",
        b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; asa.oberg@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n",
        f"Content-Type: {returned_type}\r\n\r\n{returned}".encode(),
        params="; report-type=delivery-status",
    )


@pytest.mark.parametrize("returned_type, fold", [
    ("message/rfc822", False),
    ("text/rfc822-headers", False),
    ("text/rfc822-headers", True),
])
def test_bounce_names_the_original_message_id(returned_type: str, fold: bool) -> None:
    p = parsed(dsn(returned_type, fold))
    assert p.dsn_message_ids == ("ack-1.NOR-2026-0001@mailflow.stockholm.example.se",)
    assert p.message_id == "dsn.77@mx.example.com"
    assert p.content_type == "multipart/report"
    assert "delivery-status" in p.headers["content-type"]


def test_ordinary_mail_names_no_bounced_message() -> None:
    p = parsed(head() + leaf("text/plain", "Hej", "utf-8", "8bit"))
    assert p.dsn_message_ids == ()


# -- unreadable input -------------------------------------------------------------------


def _deeply_nested(depth: int = 3000) -> bytes:
    opening = b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode() for i in range(depth)
    )
    closing = b"".join(f"\r\n--b{i}--".encode() for i in reversed(range(depth)))
    return head() + opening + b"Content-Type: text/plain\r\n\r\nhej" + closing + b"\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n  \r\n",
        b"Hej, det h\xe4r \xe4r bara text\r\nutan n\xe5gra rubriker alls.\r\n",
        b"\r\nFrom: asa@example.com\r\n\r\nrubrikerna kommer efter en tom rad\r\n",
        _deeply_nested(),
    ],
    ids=["empty", "blank", "no-header-section", "leading-blank-line", "nested-too-deep"],
)
def test_unreadable_input_returns_a_reason(raw: bytes) -> None:
    result = parse_bytes(raw)
    assert isinstance(result, str)
    assert result.strip()


# -- the shared corpus ----------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict[str, object], bytes]]:
    if not GEN_CORPUS.is_file():
        pytest.skip(f"corpus generator not found at {GEN_CORPUS}")
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(GEN_CORPUS), "-n", "60", "--seed", "7", "--out", str(out)],
                   check=True, capture_output=True)
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return [(row, (out / f"{row['i']:06d}.eml").read_bytes()) for row in rows]


def test_corpus_canary_survives_in_every_body(corpus: list[tuple[dict[str, object], bytes]]) -> None:
    assert len(corpus) == 60
    problems = []
    for row, raw in corpus:
        p = parse_bytes(raw)
        if isinstance(p, str):
            problems.append((row["i"], row["cat"], p))
        elif str(row["canary"]) not in p.text:
            problems.append((row["i"], row["cat"], "canary lost"))
    assert problems == []


def test_corpus_subjects_and_senders_are_decoded(corpus: list[tuple[dict[str, object], bytes]]) -> None:
    problems = []
    for row, raw in corpus:
        p = parsed(raw)
        if "=?" in p.subject or p.subject != row["subject"]:
            problems.append((row["i"], "subject", p.subject))
        if p.from_ is None or p.from_.name != row["from_name"] or p.from_.email != row["from_addr"]:
            problems.append((row["i"], "from", p.from_))
    assert problems == []


def test_corpus_threading_headers_are_read(corpus: list[tuple[dict[str, object], bytes]]) -> None:
    problems = []
    replies = 0
    for row, raw in corpus:
        p = parsed(raw)
        if p.message_id != str(row["mid"]).strip("<>") or not p.has_message_id:
            problems.append((row["i"], "message-id", p.message_id))
        if row["kind"] == "reply":
            replies += 1
            refs = tuple(r.strip("<>") for r in str(row["references"]).split())
            if p.in_reply_to != (str(row["parent_mid"]).strip("<>"),) or p.references != refs:
                problems.append((row["i"], "threading", p.in_reply_to, p.references))
        elif p.in_reply_to or p.references:
            problems.append((row["i"], "spurious threading", p.in_reply_to, p.references))
    assert replies > 0
    assert problems == []


def test_corpus_attachments_are_counted(corpus: list[tuple[dict[str, object], bytes]]) -> None:
    problems = []
    for row, raw in corpus:
        p = parsed(raw)
        att = row["attachment"]
        expected = [str(att["ext"])] if isinstance(att, dict) else []  # type: ignore[index]
        got = [a.filename[a.filename.rfind("."):] for a in p.attachments]
        if got != expected:
            problems.append((row["i"], got, expected))
    assert problems == []
