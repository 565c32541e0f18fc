"""The mailbox-to-case pipeline end to end over real Dovecot, SMTP and both databases."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.imap import ImapMailbox
from mailflow.adapters.tables import MessageRow, OutboxRow, PersonRow, RawMessageRow
from mailflow.errors import MailboxError
from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
CITIZEN = "asa.oberg@example.com"
HEMTJANST = "enhetschef.hemtjanst.norrmalm@stockholm.example.se"

SPEC_FIELDS = {
    "ref", "org", "kind", "flags", "channel", "language", "unit", "manager", "status", "received_at",
    "first_response_due", "feedback_due", "feedback_at", "closed_at", "escalation_level",
    "classification_cues", "messages",
}
MESSAGE_FIELDS = {"message_id", "direction", "role", "purpose", "at", "subject", "text"}


def rows(world: World, model: type, **where: object) -> list:
    with world.store.transaction() as reg:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return list(reg.session.execute(q).scalars())


async def test_utf8_complaint_becomes_case_with_ack_and_forward(world: World) -> None:
    original = mails.mid()
    world.deliver(mails.NORRMALM, mails.build(message_id=original), ARRIVAL)

    report = await world.run_once(NOW)

    assert report.outcomes == {"registered": 1}
    assert report.refs == ["NM-2026-0001"]
    case = world.case("NM-2026-0001")
    assert set(case) >= SPEC_FIELDS
    assert case["org"] == "norrmalm"
    assert case["kind"] == "complaint"
    assert case["unit"] == "hemtjanst"
    assert case["manager"] == HEMTJANST
    assert case["status"] == "open"
    assert case["channel"] == "email"
    assert case["language"] == "sv"
    assert case["received_at"] == "2026-03-02T09:00:00+01:00"
    assert case["feedback_due"] == "2026-03-20"  # 14 working days after Monday 2 March
    assert case["first_response_due"] is None  # Norrmalm has no first-response deadline
    assert any(c.startswith("complaint:") for c in case["classification_cues"])
    incoming = [m for m in case["messages"] if m["direction"] == "in"]
    assert len(incoming) == 1 and set(incoming[0]) >= MESSAGE_FIELDS
    assert incoming[0]["message_id"] == original
    assert incoming[0]["purpose"] == "complaint" and incoming[0]["role"] == "citizen"
    assert "Hemtjänsten kom inte i tisdags" in incoming[0]["text"]
    assert "Öberg" not in incoming[0]["text"] and "[namn]" in incoming[0]["text"]
    assert {m["purpose"] for m in case["messages"] if m["direction"] == "out"} == {"ack", "forward"}

    [ack] = world.mailbox(CITIZEN)
    assert ack["Subject"].startswith("[NM-2026-0001]")
    assert ack["In-Reply-To"] == f"<{original}>"
    assert ack["Auto-Submitted"] == "auto-replied"
    body = ack.get_body(("plain",)).get_content()
    assert "NM-2026-0001" in body and "Tack" in body
    assert "Hemtjänsten Norrmalm" in body  # the unit that handles it
    assert "fredag 20 mars 2026" in body  # when the citizen will hear back
    assert "Jag beklagar" in body  # the gift principle, in the first person
    contact = world.org("norrmalm").contact
    for part in (contact.name, contact.phone, contact.address, contact.email):
        assert part in body
    assert ack.get_body(("html",)) is not None

    [forward] = world.mailbox(HEMTJANST)
    assert forward["Subject"] == "[NM-2026-0001] Klagomål på hemtjänsten"
    reply_to = forward["Reply-To"]
    assert CITIZEN in reply_to and mails.NORRMALM_REGISTRAR in reply_to
    fbody = forward.get_body(("plain",)).get_content()
    assert "fredag 20 mars 2026" in fbody and "Svara" in fbody
    [attached] = [p for p in forward.iter_attachments() if p.get_content_type() == "message/rfc822"]
    assert attached.get_content()["Message-ID"] == f"<{original}>"

    assert world.mailbox(mails.NORRMALM) == []
    assert len(world.mailbox(mails.NORRMALM, "Processed")) == 1


async def test_latin1_encoded_word_subject_keeps_swedish_letters(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.latin1_complaint(mails.mid()), ARRIVAL)
    await world.run_once(NOW)
    [case] = world.cases()
    assert case["unit"] == "parkmiljo"  # "Vasaparken" is one of its places
    msg = case["messages"][0]
    assert msg["subject"] == "Klagomål på lekplatsen i Vasaparken - gungorna är trasiga"
    assert "Gungorna på lekplatsen i Vasaparken har varit trasiga" in msg["text"]
    assert "Löfgren" not in msg["text"] and "Lövgren" not in msg["text"]
    [ack] = world.mailbox("goran.lovgren@example.net")
    assert "Hej Göran!" in ack.get_body(("plain",)).get_content()


async def test_html_only_complaint_is_read_as_text(world: World) -> None:
    world.deliver(mails.NACKA, mails.html_only_complaint(mails.mid()), ARRIVAL)
    await world.run_once(NOW)
    [case] = world.cases()
    assert case["ref"] == "NK-2026-0001"
    assert case["unit"] == "sofiero"
    text = case["messages"][0]["text"]
    assert "Maten serveras kall" in text and "<" not in text and "color:red" not in text
    assert case["first_response_due"] == "2026-03-09"  # Nacka: 5 working days
    assert case["feedback_due"] == "2026-03-16"  # and 10 for the whole case
    [ack] = world.mailbox("marta.sjogren@kund.example.se")
    body = ack.get_body(("plain",)).get_content()
    assert "måndag 9 mars 2026" in body and "måndag 16 mars 2026" in body


async def test_attachment_reaches_the_manager_and_is_counted(world: World) -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    raw = mails.build(subject="Fel i beslut om försörjningsstöd",
                      body="Jag har fått fel utbetalning av försörjningsstöd. Beslutet bifogas.\n",
                      attachment=("beslut_försörjningsstöd.pdf", "application/pdf", pdf))
    world.deliver(mails.NORRMALM, raw, ARRIVAL)
    await world.run_once(NOW)
    [case] = world.cases()
    assert case["unit"] == "forsorjningsstod"
    assert "other_district" in case["flags"]
    [msg] = rows(world, MessageRow, direction="in")
    assert msg.attachment_count == 1
    # forwarded to the other district's manager, the own manager in CC
    contact = "enhetschef.forsorjningsstod.ostermalm@stockholm.example.se"
    [forward] = world.mailbox(contact)
    assert "enhetschef.vuxen.norrmalm@stockholm.example.se" in forward["Cc"]
    [original] = [p for p in forward.iter_attachments() if p.get_content_type() == "message/rfc822"]
    [pdf_part] = list(original.get_content().iter_attachments())
    assert pdf_part.get_filename() == "beslut_försörjningsstöd.pdf"
    assert pdf_part.get_content() == pdf


async def test_citizen_reply_threads_into_its_case(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    await world.run_once(NOW)
    [ack] = world.mailbox(CITIZEN)
    ack_id = ack["Message-ID"].strip("<>")

    # a reply to the acknowledgment (headers)
    world.deliver(mails.NORRMALM, mails.build(subject="SV: " + ack["Subject"], in_reply_to=ack_id,
                                             references=[ack_id], body="Det hände igen i dag.\n"), ARRIVAL)
    # a new mail that only carries the tag, from the same citizen
    world.deliver(mails.NORRMALM, mails.build(subject="Mer om [NM-2026-0001]", body="Glömde säga: även i går.\n"),
                  ARRIVAL)
    report = await world.run_once(NOW)

    assert report.outcomes == {"threaded": 2}
    [case] = world.cases()
    incoming = [m for m in case["messages"] if m["direction"] == "in"]
    assert [m["purpose"] for m in incoming] == ["complaint", "reply", "reply"]
    assert "Det hände igen i dag." in incoming[1]["text"]
    # the manager hears of each follow-up
    assert len(world.mailbox(HEMTJANST)) == 3


async def test_stranger_quoting_a_case_number_gets_a_new_case_for_triage(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    await world.run_once(NOW)
    world.deliver(mails.NORRMALM, mails.build(frm="Okänd <stranger@example.org>",
                                             subject="Angående [NM-2026-0001]",
                                             body="Vad har hänt i ärendet? Hemtjänsten är dålig.\n"), ARRIVAL)
    await world.run_once(NOW)
    cases = world.cases()
    assert [c["ref"] for c in cases] == ["NM-2026-0001", "NM-2026-0002"]
    assert cases[1]["triage"] and "NM-2026-0001" in cases[1]["triage"]
    assert len([m for m in cases[0]["messages"] if m["direction"] == "in"]) == 1
    [ack] = world.mailbox("stranger@example.org")
    body = ack.get_body(("plain",)).get_content()
    assert "NM-2026-0002" in body and "Hemtjänsten kom inte" not in body


async def test_auto_reply_is_recorded_without_acknowledgment(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.autoreply(mails.mid()), ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"auto_reply": 1}
    assert world.cases() == []
    assert world.sent() == []
    [row] = rows(world, MessageRow, direction="in")
    assert row.outcome == "auto_reply" and row.case_id is None
    assert len(world.mailbox(mails.NORRMALM, "Processed")) == 1


async def test_auto_reply_to_an_acknowledgment_lands_on_its_case(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    await world.run_once(NOW)
    [ack] = world.mailbox(CITIZEN)
    world.deliver(mails.NORRMALM, mails.autoreply(mails.mid(), in_reply_to=ack["Message-ID"].strip("<>")), ARRIVAL)
    sent_before = len(world.sent())
    await world.run_once(NOW)
    assert len(world.sent()) == sent_before
    case = world.case("NM-2026-0001")
    assert [m["purpose"] for m in case["messages"] if m["direction"] == "in"] == ["complaint", "auto_reply"]


async def test_unparseable_message_is_quarantined_not_dropped(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.UNPARSEABLE, ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"quarantined": 1}
    assert world.mailbox(mails.NORRMALM) == []
    [kept] = world.dovecot.messages(world.user(mails.NORRMALM), "Quarantine")
    assert kept == mails.UNPARSEABLE
    [row] = rows(world, MessageRow, direction="in")
    assert row.outcome == "quarantined" and row.reason == "no header section"
    [raw] = rows(world, RawMessageRow)
    assert raw.raw == mails.UNPARSEABLE
    assert world.sent() == []


async def test_second_pass_and_redelivery_change_nothing(world: World) -> None:
    raw = mails.build()
    world.deliver(mails.NORRMALM, raw, ARRIVAL)
    await world.run_once(NOW)
    sent = len(world.sent())
    assert sent == 2  # the acknowledgment and the forward

    again = await world.run_once(NOW)
    world.deliver(mails.NORRMALM, raw, ARRIVAL)  # the very same message once more
    third = await world.run_once(NOW)

    assert sum(again.outcomes.values()) == 0
    assert third.outcomes == {"duplicate": 1}
    assert len(world.cases()) == 1
    assert len(world.sent()) == sent
    assert len(world.mailbox(CITIZEN)) == 1


async def test_same_message_in_both_mailboxes_makes_one_entry(world: World) -> None:
    raw = mails.build(cc=mails.NORRMALM_REGISTRAR)
    world.deliver(mails.NORRMALM, raw, ARRIVAL)
    world.deliver(mails.NORRMALM_REGISTRAR, raw, ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"registered": 1, "duplicate": 1}
    assert len(world.cases()) == 1
    assert len(world.mailbox(CITIZEN)) == 1


async def test_crash_between_commit_and_move_sends_nothing_twice(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    real_move = ImapMailbox.move

    def broken_move(self: ImapMailbox, uids: list[int], folder: str) -> None:
        raise MailboxError("connection lost during MOVE")

    monkeypatch.setattr(ImapMailbox, "move", broken_move)
    first = await world.run_once(NOW)
    assert first.mailbox_errors
    assert len(world.mailbox(mails.NORRMALM)) == 1  # still there: not lost

    monkeypatch.setattr(ImapMailbox, "move", real_move)
    second = await world.run_once(NOW)
    assert second.outcomes == {"registered": 1}  # the recorded outcome, filed now
    assert len(world.cases()) == 1
    assert len(world.mailbox(CITIZEN)) == 1
    assert world.mailbox(mails.NORRMALM) == []


async def test_outbox_retries_after_a_temporary_smtp_failure(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    world.smtp.handler.fail_next = 5
    first = await world.run_once(NOW)
    assert first.sent == 0 and first.send_failed == 0 and first.send_retried == 2  # tried again later, not given up
    assert world.mailbox(CITIZEN) == []
    pending = rows(world, OutboxRow)
    assert {r.status for r in pending} == {"pending"}
    assert all(r.last_error and "451" in r.last_error for r in pending if r.attempts)

    world.smtp.handler.fail_next = 0
    later = datetime(2026, 3, 2, 12, 0, tzinfo=TZ)  # past every backoff
    second = await world.run_once(later)
    assert second.sent == 2
    assert len(world.mailbox(CITIZEN)) == 1
    assert {r.status for r in rows(world, OutboxRow)} == {"sent"}
    third = await world.run_once(later)
    assert third.sent == 0 and len(world.mailbox(CITIZEN)) == 1


async def test_identity_is_kept_apart_and_logs_carry_no_personal_data(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = ("Jag heter Åsa Öberg, personnummer 19811218-9876, telefon 070-123 45 67, "
            "och bor på Sveavägen 12. Hemtjänsten har slarvat med städningen.\n")
    world.deliver(mails.NORRMALM, mails.build(body=body), ARRIVAL)
    await world.run_once(NOW)
    [case] = world.cases()
    text = case["messages"][0]["text"]
    # mailflow's own log lines (the test SMTP listener logs whole mails at DEBUG)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mailflow"))
    assert "event=filed" in ours
    for secret in ("19811218-9876", "070-123 45 67", "Sveavägen 12", "Öberg", CITIZEN):
        assert secret not in text
        assert secret not in str(case)
        assert secret not in ours
    assert "[personnummer]" in text and "[telefon]" in text and "[adress]" in text
    [person] = rows(world, PersonRow)
    assert person.email == CITIZEN and person.name == "Åsa Öberg"
    assert "Hemtjänsten har slarvat" not in ours


async def test_purge_deletes_raw_archive_and_people_past_retention_but_keeps_the_register(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    await world.run_once(NOW)
    world.deliver(mails.NORRMALM, mails.build(frm="Karl Ek <karl.ek@example.com>", subject="Park",
                                             body="Parken i Vasaparken är skräpig.\n"), ARRIVAL)
    await world.run_once(NOW)
    rc, out, _ = world.cli("purge", "--before", "2026-01-01")
    assert rc == 0 and "0 raw messages, 0 sent mail bodies, 0 person records" in out
    assert len(rows(world, RawMessageRow)) == 2

    # close the first case; the second stays open and keeps its person record
    with world.store.transaction() as reg:
        from mailflow.adapters.tables import CaseRow

        first = reg.session.execute(select(CaseRow).where(CaseRow.ref == "NM-2026-0001")).scalar_one()
        first.status = "closed"
    rc, out, _ = world.cli("purge", "--before", "2027-01-01")
    assert rc == 0, out
    assert "2 raw messages, 4 sent mail bodies, 1 person records" in out
    assert rows(world, RawMessageRow) == []
    assert [p.email for p in rows(world, PersonRow)] == ["karl.ek@example.com"]
    assert {r.payload for r in rows(world, OutboxRow)} == {b""}
    case = world.case("NM-2026-0001")  # the de-identified register stays
    assert "Hemtjänsten kom inte i tisdags" in case["messages"][0]["text"]
    rc, out, err = world.cli("purge", "--before", "2027-13-01")
    assert rc == 1 and "--before" in err


async def test_lex_sarah_case_goes_to_the_handler_and_the_ack_says_nothing_of_it(world: World) -> None:
    body = ("Hej. Min mamma bor på Sabbatsbergs vård- och omsorgsboende. I natt låg hon på golvet i flera timmar "
            "eftersom ingen kom när hon larmade, och i morse fick hon fel medicin.\n\nJörgen Bäckman\n")
    world.deliver(mails.NORRMALM, mails.build(frm="Jörgen Bäckman <jorgen.backman@example.net>",
                                             subject="Mamma på Sabbatsberg", body=body), ARRIVAL)
    await world.run_once(NOW)
    [case] = world.cases()
    assert "lex_sarah" in case["flags"] and case["unit"] == "sabbatsberg"
    assert case["manager"] == "lexsarah.norrmalm@stockholm.example.se"
    assert any(c.startswith("lex_sarah:") for c in case["classification_cues"])
    assert world.mailbox("enhetschef.sabbatsberg.norrmalm@stockholm.example.se") == []  # not the unit
    [forward] = world.mailbox("lexsarah.norrmalm@stockholm.example.se")
    assert "Lex Sarah" in forward.get_body(("plain",)).get_content()
    [ack] = world.mailbox("jorgen.backman@example.net")
    ack_text = ack.get_body(("plain",)).get_content() + ack.get_body(("html",)).get_content()
    for word in ("Lex Sarah", "lex sarah", "missförhållande", "Sabbatsbergs vård- och omsorgsboende"):
        assert word not in ack_text
    assert "NM-2026-0001" in ack_text and "Norrmalms stadsdelsförvaltning" in ack_text


async def test_anonymous_writer_is_registered_without_ack_or_deadline(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(frm="noreply@anonymous.example.org", subject="Fritidsgården",
                                             body="Jag vill vara anonym. Fritidsgården i Vasastan var stängd.\n"),
                  ARRIVAL)
    await world.run_once(NOW)
    [case] = world.cases()
    assert "anonymous" in case["flags"] and case["feedback_due"] is None
    assert [m["purpose"] for m in case["messages"] if m["direction"] == "out"] == ["forward"]
    assert any(e["kind"] == "ack_skipped" for e in case["events"])
    assert rows(world, PersonRow) == []  # nobody's identity is kept


async def test_a_writer_who_asks_to_be_anonymous_gets_her_case_number_and_the_unit_never_her_identity(
        world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(frm="Anonym <maja.lind@example.net>", subject="Fritidsgården",
                                             body="Jag vill vara anonym. Fritidsgården i Vasastan var stängd "
                                                  "tre kvällar.\n\nMaja Lind\n070-123 45 67\n"), ARRIVAL)
    await world.run_once(NOW)
    [case] = world.cases()
    assert "anonymous" in case["flags"] and case["feedback_due"] is None
    [ack] = world.mailbox("maja.lind@example.net")  # the case number reaches her, and only her
    assert case["ref"] in ack["Subject"]
    forwards = [r for r in world.sent() if "maja.lind@example.net" not in r.rcpt_tos]
    assert forwards, "the case goes to the unit"
    for fwd in forwards:
        msg = email.message_from_bytes(fwd.data, policy=email.policy.default)
        seen = str(msg.items()) + "".join(part.get_content() for part in msg.walk()
                                          if part.get_content_maintype() == "text")
        assert not any(part.get_content_type() == "message/rfc822" for part in msg.walk())
        assert "maja.lind@example.net" not in seen and "Maja Lind" not in seen and "070-123 45 67" not in seen
        assert "Fritidsgården" in seen  # the de-identified words reach the manager
