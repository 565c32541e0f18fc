"""classify_automatic: which machine-made mail gets no answer, and which person's mail does."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage

import pytest

from mailflow.model import Outcome, Parsed
from mailflow.pipeline.parse import parse_bytes
from mailflow.pipeline.screen import classify_automatic

OWN = frozenset({"synpunkter.norrmalm@stockholm.example.se", "synpunkter.valfard@nacka.example.se"})
CITIZEN = "Åsa Öberg <asa.oberg@example.com>"


def mail(*, frm: str = CITIZEN, subject: str = "Klagomål på hemtjänsten",
         headers: dict[str, str] | None = None) -> Parsed:
    """A message as a mail client builds it, read back through the parse step."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = frm
    msg["To"] = "synpunkter.norrmalm@stockholm.example.se"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 09:30:00 +0100"
    msg["Message-ID"] = "<m1@mua.example.com>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content("Hej!\n\nHemtjänsten kom inte i tisdags.\n\nMvh\nÅsa Öberg\n")
    parsed = parse_bytes(msg.as_bytes())
    assert isinstance(parsed, Parsed)
    return parsed


def delivery_report(frm: str = "Mail Delivery System <MAILER-DAEMON@mx.example.com>",
                    extra: str = "") -> Parsed:
    raw = (
        f"From: {frm}\r\n"
        "To: synpunkter.norrmalm@stockholm.example.se\r\n"
        "Subject: Undeliverable: [NOR-2026-0001] Tack\r\n"
        "Date: Mon, 02 Mar 2026 09:31:00 +0100\r\n"
        "Message-ID: <dsn.1@mx.example.com>\r\n"
        f"{extra}"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nDelivery has failed.\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; asa.oberg@example.com\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "Message-ID: <ack.1@mailflow.stockholm.example.se>\r\n"
        "--R--\r\n"
    ).encode()
    parsed = parse_bytes(raw)
    assert isinstance(parsed, Parsed)
    return parsed


def outcome(p: Parsed) -> Outcome | None:
    found = classify_automatic(p, OWN)
    if found is not None:
        assert found[1], "every decision names its rule"
    return found[0] if found else None


# -- people ------------------------------------------------------------------------


def test_ordinary_citizen_mail_is_not_automatic() -> None:
    assert classify_automatic(mail(), OWN) is None


def test_ordinary_outlook_mail_with_suppress_header_is_not_automatic() -> None:
    # Outlook puts X-Auto-Response-Suppress on mail people write; it asks others not to auto-reply
    p = mail(headers={"X-Auto-Response-Suppress": "All", "Thread-Index": "AdqMZ2F0aGVy",
                      "X-MS-Has-Attach": "", "Importance": "high"})
    assert classify_automatic(p, OWN) is None


@pytest.mark.parametrize("value", ["no", "No", " no "])
def test_auto_submitted_no_is_a_person(value: str) -> None:
    assert classify_automatic(mail(headers={"Auto-Submitted": value}), OWN) is None


@pytest.mark.parametrize(
    "subject",
    [
        "Klagomål om frånvaro av personal på boendet",
        "Personalens frånvaromeddelande: ingen svarar",
        "Frånvaro av hemtjänst i tisdags",
        "SV: [NOR-2026-0001] Klagomål på hemtjänsten",
        "Varför får jag bara autosvar från er?",
    ],
)
def test_subject_that_merely_mentions_absence_or_autoreply_is_a_person(subject: str) -> None:
    assert classify_automatic(mail(subject=subject), OWN) is None


# -- auto-replies -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["auto-replied", "auto-generated", "Auto-Replied", "auto-notified",
                                   "auto-replied; owner-email=\"asa@example.com\""])
def test_auto_submitted_other_than_no_is_an_auto_reply(value: str) -> None:
    found = classify_automatic(mail(headers={"Auto-Submitted": value}), OWN)
    assert found is not None
    assert found[0] is Outcome.AUTO_REPLY
    assert found[1] == f"Auto-Submitted: {value.split(';')[0].lower()}"


@pytest.mark.parametrize("header", ["X-Autoreply", "X-Autorespond"])
def test_autoreply_headers_mark_an_auto_reply(header: str) -> None:
    assert outcome(mail(headers={header: "yes"})) is Outcome.AUTO_REPLY


def test_precedence_auto_reply_is_an_auto_reply() -> None:
    assert outcome(mail(headers={"Precedence": "auto_reply"})) is Outcome.AUTO_REPLY


def test_exchange_generated_message_is_an_auto_reply() -> None:
    p = mail(headers={"X-MS-Exchange-Generated-Message-Source": "Mailbox Rules Agent"})
    assert outcome(p) is Outcome.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Automatiskt svar: Klagomål på hemtjänsten",
        "AUTOMATISKT SVAR: Klagomål på hemtjänsten",
        "Autosvar: Klagomål på hemtjänsten",
        "Frånvaromeddelande: Klagomål på hemtjänsten",
        "Automatic reply: Complaint about home care",
        "Auto-Reply: Complaint about home care",
        "Autoreply: Complaint about home care",
        "Auto reply: Complaint about home care",
        "Out of Office: Complaint about home care",
    ],
)
def test_auto_reply_subjects_in_swedish_and_english(subject: str) -> None:
    found = classify_automatic(mail(subject=subject), OWN)
    assert found == (Outcome.AUTO_REPLY, "auto-reply subject")


# -- bulk -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["bulk", "junk", "list", "Bulk"])
def test_precedence_bulk_junk_list_is_bulk(value: str) -> None:
    found = classify_automatic(mail(headers={"Precedence": value}), OWN)
    assert found == (Outcome.BULK, f"Precedence: {value.lower()}")


def test_list_id_is_bulk() -> None:
    p = mail(headers={"List-Id": "Nyhetsbrev <nyheter.example.se>"})
    assert classify_automatic(p, OWN) == (Outcome.BULK, "List-Id")


def test_list_unsubscribe_is_bulk() -> None:
    p = mail(headers={"List-Unsubscribe": "<mailto:unsubscribe@nyheter.example.se>"})
    assert classify_automatic(p, OWN) == (Outcome.BULK, "List-Unsubscribe")


# -- bounces -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "frm",
    [
        "Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        "mailer-daemon@googlemail.com",
        "postmaster@stockholm.example.se",
        "Postmaster <POSTMASTER@outlook.example.net>",
    ],
)
def test_mailer_daemon_and_postmaster_senders_are_bounces(frm: str) -> None:
    assert outcome(mail(frm=frm, subject="Undelivered Mail Returned to Sender")) is Outcome.BOUNCE


def test_daemon_like_local_part_elsewhere_is_not_a_bounce() -> None:
    assert classify_automatic(mail(frm="Anna <anna.postmaster@example.com>"), OWN) is None


def test_delivery_status_report_is_a_bounce_whoever_sends_it() -> None:
    p = delivery_report(frm="Microsoft Outlook <no-reply@outlook.example.net>")
    assert classify_automatic(p, OWN) == (Outcome.BOUNCE, "multipart/report delivery-status")


def test_bounce_wins_over_its_auto_submitted_header() -> None:
    # RFC 3464 reports carry Auto-Submitted too; they must still reach their case as bounces
    p = delivery_report(extra="Auto-Submitted: auto-replied\r\n")
    assert outcome(p) is Outcome.BOUNCE


def test_failed_recipients_header_marks_a_bounce() -> None:
    p = mail(frm="Mail Delivery <mailer@mx.example.com>", headers={"X-Failed-Recipients": "asa@example.com"})
    assert outcome(p) is Outcome.BOUNCE


# -- mailflow's own mail ----------------------------------------------------------------


def test_mail_from_mailflows_own_address_is_own_mail() -> None:
    p = mail(frm="Synpunkter Norrmalm <Synpunkter.Norrmalm@Stockholm.example.se>",
             subject="[NOR-2026-0001] Tack för ditt klagomål")
    assert classify_automatic(p, OWN) == (Outcome.OWN_MAIL, "sent by mailflow")


def test_mail_carrying_a_mailflow_case_header_is_own_mail() -> None:
    p = mail(frm="chef@stockholm.example.se", headers={"X-Mailflow-Case": "NOR-2026-0001"})
    assert outcome(p) is Outcome.OWN_MAIL


def test_other_organizations_address_of_the_same_kind_is_not_own_mail() -> None:
    p = mail(frm="synpunkter.kungsholmen@stockholm.example.se")
    assert classify_automatic(p, OWN) is None
