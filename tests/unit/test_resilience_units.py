"""Pure pieces of the resilience work: FETCH responses in any order, addresses, fitting a mail to a server,
machine mail in the shapes MTAs send, the stdlib fallback reader, the write gate, the loop guards."""

from __future__ import annotations

import email
import threading
import time
from datetime import datetime, timezone

import pytest

from mailflow import addresses, mime
from mailflow.adapters.imap import fetch_items, keyword_for
from mailflow.adapters.store import WriteGate
from mailflow.model import Outcome, Parsed, text_fingerprint
from mailflow.pipeline.parse import header_message_id, parse_bytes
from mailflow.pipeline.screen import classify_automatic
from mailflow.pipeline.thread import replies_to

OWN = frozenset({"synpunkter.norrmalm@stockholm.example.se"})
RAW = b"From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"


# -- FETCH responses ---------------------------------------------------------------------------------------

def test_fetch_items_read_uid_and_internaldate_after_the_body_as_exchange_sends_them() -> None:
    data = [
        (b'1 (BODY[] {%d}' % len(RAW), RAW), b' UID 17 INTERNALDATE "02-Mar-2026 09:00:00 +0100")',
        (b'2 (BODY[] {%d}' % len(RAW), RAW), b' INTERNALDATE "02-Mar-2026 09:01:00 +0100" UID 18)',
    ]
    items = fetch_items(data)  # type: ignore[arg-type]
    assert [(b"UID 17" in m, b"UID 18" in m, raw) for m, raw in items] == [(True, False, RAW), (False, True, RAW)]


def test_fetch_items_read_dovecots_order_and_skip_unsolicited_lines() -> None:
    data = [b"3 (FLAGS (\\Seen))", (b'1 (UID 5 INTERNALDATE "02-Mar-2026 09:00:00 +0100" BODY[] {4}', b"abcd"), b")",
            b"2 (UID 6 RFC822.SIZE 300)"]
    items = fetch_items(data)  # type: ignore[arg-type]
    assert items[0][1] == b"abcd" and b"UID 5" in items[0][0]
    assert items[1] == (b"2 (UID 6 RFC822.SIZE 300)", None)
    assert len(items) == 2


def test_a_quarantine_reason_becomes_an_imap_keyword_atom() -> None:
    kw = keyword_for("no mail headers (From, To, Subject, Date, Message-ID all missing)")
    assert kw.startswith("mailflow-") and all(c.isalnum() or c == "-" for c in kw) and len(kw) <= 49


# -- addresses ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("address, wire, utf8", [
    ("asa.oberg@example.com", "asa.oberg@example.com", False),
    ("jdöe@example.com", "jdöe@example.com", True),
    ("asa@bärbo.example", "asa@xn--brbo-loa.example", False),
    ('"asa oberg"@example.com', '"asa oberg"@example.com', False),
])
def test_addresses_a_server_can_take(address: str, wire: str, utf8: bool) -> None:
    checked = addresses.check(address)
    assert (checked.address, checked.needs_smtputf8) == (wire, utf8)


@pytest.mark.parametrize("address", [
    "asa..oberg@example.com", ".asa@example.com", "asa@", "@example.com", "asa oberg@example.com",
    "asa@example.com\r\nBcc: x@y.se", "asa@exa_mple.com", "asa@[127.0.0.1]", "a" * 65 + "@example.com", "asa@com",
])
def test_addresses_no_server_can_take_have_a_reason(address: str) -> None:
    assert addresses.problem(address)


# -- fitting a built mail to the server -----------------------------------------------------------------------

def _forward(original: bytes) -> bytes:
    return mime.build(message_id="m@x.se", sender=("Org", "o@x.se"), to=["t@x.se"], subject="Ärende", text="hej",
                      html="<p>hej</p>", at=datetime(2026, 3, 2, tzinfo=timezone.utc), attach_original=original)


def test_an_original_with_a_long_line_travels_as_base64_and_comes_back_whole() -> None:
    original = b"From: a@b.se\r\nSubject: x\r\n\r\n" + b"y" * 3000 + b"\r\n"
    out = _forward(original)
    assert max(len(line) for line in out.split(b"\r\n")) <= 998
    part = list(email.message_from_bytes(out).walk())[-1]
    assert part.get_content_type() == "application/octet-stream" and part.get_payload(decode=True) == original


def test_an_8bit_original_can_be_made_7bit_for_a_server_without_8bitmime() -> None:
    original = "From: a@b.se\r\nSubject: x\r\n\r\nhälsning\r\n".encode()
    out = mime.original_as_base64(_forward(original))
    assert out.isascii()
    assert list(email.message_from_bytes(out).walk())[-1].get_payload(decode=True) == original


def test_an_original_too_large_for_the_server_is_replaced_by_a_note() -> None:
    out = mime.without_original(_forward(b"From: a@b.se\r\n\r\n" + b"z" * 10_000 + b"\r\n"), "för stor")
    parts = list(email.message_from_bytes(out).walk())
    assert len(out) < 5000 and parts[-1].get_payload(decode=True) == "för stor".encode()


# -- machine mail -----------------------------------------------------------------------------------------------

def parsed(raw: bytes) -> Parsed:
    p = parse_bytes(raw)
    assert isinstance(p, Parsed), p
    return p


def _mail(headers: str, body: str = "Hej!\r\n") -> bytes:
    return (f"To: x@example.se\r\nDate: Mon, 02 Mar 2026 09:00:00 +0100\r\nMessage-ID: <{time.time_ns()}@e.x>\r\n"
            f"{headers}\r\n{body}").encode()


@pytest.mark.parametrize("headers, body, outcome", [
    ("From: MAILER-DAEMON <>\r\nSubject: Mail delivery failed\r\n",
     "There was an error delivering your mail to <x@y.com>.\r\n550 5.1.1 User unknown\r\n", Outcome.BOUNCE),
    ('From: "Jetmail System" <>\r\nPrecedence: bulk\r\nSubject: Mail Error\r\n', "Your mail bounced.\r\n", Outcome.AUTO_REPLY),
    ("From: mailer-daemon\r\nPrecedence: list\r\nSubject: There was an error sending your mail\r\n", "x\r\n", Outcome.BOUNCE),
    ("From: post_master@vtext.example.com\r\nSubject: Re:Test message\r\n", "Delivery failed.\r\n", Outcome.BOUNCE),
    ("From: imss@kviv.example\r\nSubject: Mail could not be delivered\r\n",
     "The message could not be delivered to the following recipients.\r\n", Outcome.BOUNCE),
    ("From: staff@hotmail.example\r\nSubject: complaint about message from 192.0.2.222\r\n", "x\r\n", Outcome.BOUNCE),
    ("From: <Postmaster\\@example.com@xxx.com>\r\nSubject: Mail Delivery Warning\r\n", "delayed\r\n", Outcome.BOUNCE),
    ("From: a@b.se\r\nReturn-Path: <>\r\nSubject: Frånvaro\r\n", "Jag är borta.\r\n", Outcome.AUTO_REPLY),
    ("From: a@b.se\r\nSubject: Poissaoloilmoitus: Kotihoito\r\n", "Olen lomalla.\r\n", Outcome.AUTO_REPLY),
])
def test_machine_mail_in_the_shapes_mtas_send_is_screened(headers: str, body: str, outcome: Outcome) -> None:
    raw = _mail(headers, body)
    found = classify_automatic(parsed(raw), OWN, raw)
    assert found is not None and found[0] is outcome and found[1]


@pytest.mark.parametrize("report_type, outcome", [
    ("delivery-status", Outcome.BOUNCE), ("feedback-report", Outcome.BOUNCE),
    ("disposition-notification", Outcome.AUTO_REPLY), ("x-something", Outcome.BOUNCE),
])
def test_any_multipart_report_is_machine_mail(report_type: str, outcome: Outcome) -> None:
    raw = _mail(f'From: reports@isp.example\r\nSubject: Report\r\nMIME-Version: 1.0\r\n'
                f'Content-Type: multipart/report; report-type={report_type}; boundary="R"\r\n',
                "--R\r\nContent-Type: text/plain\r\n\r\nA report.\r\n--R--\r\n")
    found = classify_automatic(parsed(raw), OWN, raw)
    assert found is not None and found[0] is outcome


def test_a_person_forwarding_a_bounce_and_a_no_reply_web_form_are_people() -> None:
    for headers in ("From: Åsa <asa@example.com>\r\nSubject: Fwd: Returned mail: see transcript\r\n",
                    "From: Nacka.se <noreply@nacka.example.se>\r\nSubject: Synpunkt via webbformulär\r\n"):
        raw = _mail(headers, "Hemtjänsten kom inte i tisdags.\r\n")
        assert classify_automatic(parsed(raw), OWN, raw) is None


def test_an_auto_reply_with_an_unreadable_charset_is_still_screened() -> None:
    raw = _mail("From: b@example.com\r\nAuto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n"
                "Subject: Frånvaro\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-unknown-77\r\n",
                "Jag \xe4r borta.\r\n")
    found = classify_automatic(parsed(raw), OWN, raw)
    assert found is not None and found[0] is Outcome.AUTO_REPLY


# -- the fallback reader ---------------------------------------------------------------------------------------------

def test_a_text_part_named_like_a_file_without_disposition_is_the_body() -> None:
    raw = _mail('From: a@b.se\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n',
                '--B\r\nContent-Type: text/plain; name="msg.txt"\r\n\r\nHemtjänsten kom inte.\r\n--B--\r\n')
    assert "Hemtjänsten kom inte" in parsed(raw).text


def test_a_text_part_without_subtype_and_an_unknown_charset_reach_the_case_text() -> None:
    raw = _mail("From: a@b.se\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text; charset=utf-99\r\n"
                "Content-Transfer-Encoding: 8bit\r\n", "Förskolan stänger för tidigt.\r\n")
    assert "Förskolan stänger för tidigt" in parsed(raw).text


def test_a_from_header_mail_parser_cannot_split_is_read_by_pythons_parser() -> None:
    p = parsed(_mail("From: Big Bug bb@bug.example\r\nSubject: x\r\n"))
    assert p.from_ is not None and p.from_.email == "bb@bug.example"


def test_a_byte_order_mark_before_the_header_is_no_reason_to_quarantine() -> None:
    assert isinstance(parse_bytes(b"\xef\xbb\xbf" + _mail("From: a@b.se\r\nSubject: x\r\n")), Parsed)


def test_the_message_id_of_a_header_is_read_without_parsing() -> None:
    assert header_message_id(b"Subject: x\r\nMessage-ID: <abc@d.e>\r\n\r\nbody Message-ID: <no@x>") == "abc@d.e"
    assert header_message_id(b"Subject: x\r\n\r\n") is None


# -- the write gate and the loop guards ---------------------------------------------------------------------------------

def test_the_write_gate_lets_urgent_writers_go_before_waiting_ones() -> None:
    gate = WriteGate()
    order: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def first() -> None:
        with gate.hold():
            holding.set()
            release.wait(5)

    def writer(name: str, urgent: bool) -> None:
        with gate.hold(urgent):
            order.append(name)

    t0 = threading.Thread(target=first)
    t0.start()
    holding.wait(5)
    threads = [threading.Thread(target=writer, args=(f"pipeline{i}", False)) for i in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    mark = threading.Thread(target=writer, args=("mark", True))
    mark.start()
    time.sleep(0.05)
    release.set()
    for t in (t0, *threads, mark):
        t.join(5)
    assert order[0] == "mark" and order[1:] == ["pipeline0", "pipeline1", "pipeline2"]


def test_the_same_text_gets_the_same_fingerprint_whatever_its_spacing() -> None:
    a = text_fingerprint("Jag är tillbaka den 20 mars och läser din e-post då.")
    assert a == text_fingerprint("  jag är TILLBAKA den 20 mars\noch läser din e-post då. ")
    assert a != text_fingerprint("Jag är tillbaka den 21 mars och läser din e-post då.")
    assert text_fingerprint("kort") is None


def test_a_reply_to_mailflows_own_subject_is_recognised_under_any_prefix() -> None:
    sent = ("[NM-2026-0002] Tack för ditt klagomål",)
    assert replies_to("Re: SV: [NM-2026-0002] Tack för ditt klagomål", sent)
    assert replies_to("Automatic reply: [NM-2026-0002]  Tack för ditt klagomål", sent)
    assert not replies_to("Angående [NM-2026-0002]", sent)
