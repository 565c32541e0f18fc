"""The staff side over real Dovecot, SMTP and both databases: feedback, reports, forms, commands, who may act."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.tables import CaseRow, MessageRow
from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
ANSWERED = datetime(2026, 3, 4, 14, 0, tzinfo=TZ)
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=TZ)
CITIZEN = "asa.oberg@example.com"
MANAGER = "enhetschef.hemtjanst.norrmalm@stockholm.example.se"
REGISTRAR = mails.NORRMALM_REGISTRAR
PROVIDER = "kvalitet@omsorgsgruppen.example.se"


async def open_case(world: World, **kw: object) -> str:
    world.deliver(mails.NORRMALM, mails.build(**kw), ARRIVAL)  # type: ignore[arg-type]
    report = await world.run_once(datetime(2026, 3, 2, 10, 0, tzinfo=TZ))
    [ref] = report.refs
    return ref


def the_forward(world: World, to: str = MANAGER) -> tuple[str, str]:
    [forward] = [m for m in world.mailbox(to) if m["X-Mailflow-Purpose"] == "forward"]
    return forward["Message-ID"].strip("<>"), str(forward["Subject"])


def answer(*, frm: str = f"Anneli Berg <{MANAGER}>", to: str = f"Åsa Öberg <{CITIZEN}>", cc: str | None = REGISTRAR,
           subject: str = "", in_reply_to: str | None = None, body: str = "", headers: dict[str, str] | None = None,
           message_id: str | None = None) -> bytes:
    return mails.build(
        frm=frm, to=to, cc=cc, subject=subject, message_id=message_id, in_reply_to=in_reply_to,
        references=[in_reply_to] if in_reply_to else None, date=ANSWERED, headers=headers,
        body=body or ("Hej Åsa!\n\nJag beklagar att hemtjänsten inte kom i tisdags. Vi har gått igenom "
                      "schemat och ser till att det inte händer igen.\n\nMed vänliga hälsningar\nAnneli Berg\n"
                      "Enhetschef, Hemtjänsten Norrmalm\n"),
    )


def case_row(world: World, ref: str) -> CaseRow:
    with world.store.transaction() as reg:
        return reg.session.execute(select(CaseRow).where(CaseRow.ref == ref)).scalar_one()


def triage_rows(world: World) -> list[MessageRow]:
    with world.store.transaction() as reg:
        return list(reg.session.execute(
            select(MessageRow).where(MessageRow.outcome == "unmatched_staff")).scalars())


async def test_reply_all_answer_with_registrar_in_cc_becomes_feedback_once(world: World) -> None:
    ref = await open_case(world)
    forward_id, subject = the_forward(world)
    raw = answer(subject="SV: " + subject, in_reply_to=forward_id, cc=f"{REGISTRAR}, {mails.NORRMALM}")
    # the manager's mail server delivers the one answer to the registrar and (Reply-All) the complaints box
    world.deliver(REGISTRAR, raw, ANSWERED)
    world.deliver(mails.NORRMALM, raw, ANSWERED)
    report = await world.run_once(NOW)

    assert sorted(report.outcomes.elements()) == ["duplicate", "threaded"]
    case = world.case(ref)
    assert case["status"] == "answered"
    assert case["feedback_at"] == "2026-03-04T14:00:00+01:00"
    feedback = [m for m in case["messages"] if m["purpose"] == "feedback"]
    assert len(feedback) == 1 and feedback[0]["role"] == "staff"
    assert "Vi har gått igenom schemat" in feedback[0]["text"]
    assert "Åsa" not in feedback[0]["text"] and "Öberg" not in feedback[0]["text"]  # de-identified too
    assert any(e["kind"] == "feedback" and e["actor"] == MANAGER for e in case["events"])

    # a second answer keeps the first feedback time
    world.deliver(REGISTRAR, answer(subject="SV: " + subject, in_reply_to=forward_id, body="Ett tillägg.\n"),
                  datetime(2026, 3, 5, 9, 0, tzinfo=TZ))
    await world.run_once(NOW)
    assert world.case(ref)["feedback_at"] == "2026-03-04T14:00:00+01:00"


async def test_answer_without_tag_or_headers_is_matched_by_the_citizens_address(world: World) -> None:
    ref = await open_case(world)
    world.deliver(REGISTRAR, answer(subject="Angående hemtjänsten"), ANSWERED)
    report = await world.run_once(NOW)
    assert report.outcomes == {"threaded": 1}
    case = world.case(ref)
    assert case["status"] == "answered" and case["feedback_at"]


async def test_two_open_cases_of_one_citizen_go_to_triage(world: World) -> None:
    first = await open_case(world)
    second = await open_case(world, subject="Igen hemtjänsten", body="Hemtjänsten kom inte i dag heller.\n")
    world.deliver(REGISTRAR, answer(subject="Angående hemtjänsten"), ANSWERED)
    report = await world.run_once(NOW)
    assert report.outcomes == {"unmatched_staff": 1}
    assert world.case(first)["status"] == "open" and world.case(second)["status"] == "open"
    [row] = triage_rows(world)
    assert first in row.reason and second in row.reason


async def test_providers_report_fulfils_the_report_request(world: World) -> None:
    ref = await open_case(world, subject="Omsorgsgruppen slarvar",
                          body="Hemtjänsten från Omsorgsgruppen har slarvat med städningen hos min pappa.\n")
    case = world.case(ref)
    assert case["unit"] == "hemtjanst-omsorgsgruppen" and case["status"] == "awaiting_report"
    forward_id, subject = the_forward(world, PROVIDER)
    report_mail = mails.build(frm=f"Omsorgsgruppen kvalitet <{PROVIDER}>", to=REGISTRAR, cc=MANAGER,
                              subject="SV: " + subject, in_reply_to=forward_id, date=ANSWERED,
                              body="Redogörelse: vi har pratat med personalen och ringt brukarens dotter.\n")
    world.deliver(REGISTRAR, report_mail, ANSWERED)
    await world.run_once(NOW)
    case = world.case(ref)
    assert case["status"] == "open"  # the report is in; the feedback to the citizen is not yet recorded
    assert [m["role"] for m in case["messages"] if m["purpose"] == "report"] == ["provider"]
    assert case_row(world, ref).report_at is not None
    assert any(e["kind"] == "report" for e in case["events"])


async def test_a_manager_forwarding_the_report_to_the_registrar_counts_as_the_report(world: World) -> None:
    ref = await open_case(world, subject="Omsorgsgruppen slarvar",
                          body="Hemtjänsten från Omsorgsgruppen har slarvat med städningen hos min pappa.\n")
    body = ("Vidarebefordrar redogörelsen.\n\n-----Ursprungligt meddelande-----\n"
            f"Från: Omsorgsgruppen kvalitet <{PROVIDER}>\nSkickat: den 3 mars 2026 16:02\n"
            f"Till: {MANAGER}\nÄmne: Redogörelse {ref}\n\nVi har pratat med personalen.\n")
    world.deliver(REGISTRAR, mails.build(frm=f"Anneli Berg <{MANAGER}>", to=REGISTRAR,
                                         subject=f"VB: Redogörelse [{ref}]", body=body, date=ANSWERED), ANSWERED)
    await world.run_once(NOW)
    case = world.case(ref)
    assert [m["role"] for m in case["messages"] if m["purpose"] == "report"] == ["staff"]
    assert case_row(world, ref).report_at is not None


async def test_phone_complaint_registered_from_the_form(world: World) -> None:
    body = ("REGISTRERING AV SYNPUNKT ELLER KLAGOMÅL\n\nKanal: telefon\nDatum: 2026-03-02\n"
            "Namn: Greta Lund\nE-post: greta.lund@example.net\nTelefon: 070-765 43 21\nAdress:\n"
            "Anonym: nej\nEnhet: sabbatsberg\nTyp: klagomål\nSynpunkt/klagomål:\n"
            "Greta ringde och berättade att hennes man inte fått hjälp med duschen på två veckor.\n\n"
            "Hälsningar\nPeter Håkansson\n")
    staff = "enhetschef.sabbatsberg.norrmalm@stockholm.example.se"
    world.deliver(mails.NORRMALM, mails.build(frm=f"Peter Håkansson <{staff}>", subject="Telefonklagomål",
                                             body=body), ARRIVAL)
    report = await world.run_once(datetime(2026, 3, 2, 10, 0, tzinfo=TZ))
    assert report.outcomes == {"registered": 1}
    [ref] = report.refs
    case = world.case(ref)
    assert case["channel"] == "phone" and case["unit"] == "sabbatsberg" and case["kind"] == "complaint"
    text = case["messages"][0]["text"]
    assert "inte fått hjälp med duschen" in text and "Greta" not in text and "Lund" not in text
    assert case_row(world, ref).received_by == staff
    [ack] = world.mailbox("greta.lund@example.net")
    body_text = ack.get_body(("plain",)).get_content()
    assert "Hej Greta!" in body_text and "per telefon" in body_text and ref in body_text
    # the staff member is also the unit's manager here: a receipt and the forward
    got = {str(m["X-Mailflow-Purpose"]): m for m in world.mailbox(staff)}
    assert set(got) == {"command", "forward"}
    assert f"Registrerat som {ref}" in got["command"].get_body(("plain",)).get_content()
    assert "070-765 43 21" in got["forward"].get_body(("plain",)).get_content()  # the manager sees the contact


async def test_commands_are_applied_in_order_and_logged_with_who_and_when(world: World) -> None:
    ref = await open_case(world)
    cmds = "#typ synpunkt\n#enhet sabbatsberg\n#anonym\n\nAnteckning från registratorn.\n"
    world.deliver(mails.NORRMALM, mails.build(frm=f"Registrator <{REGISTRAR}>", to=mails.NORRMALM,
                                             subject=f"[{ref}] korrigering", body=cmds), ANSWERED)
    await world.run_once(NOW)
    case = world.case(ref)
    assert case["kind"] == "opinion" and case["unit"] == "sabbatsberg"
    assert "anonymous" in case["flags"] and case["feedback_due"] is None
    commands = [e for e in case["events"] if e["kind"] == "command"]
    assert [e["detail"]["command"] for e in commands] == ["kind", "unit", "anonymous"]
    assert all(e["actor"] == REGISTRAR and e["at"] for e in commands)
    # the new unit's manager gets the case, the registrar a receipt
    [reforward] = world.mailbox("enhetschef.sabbatsberg.norrmalm@stockholm.example.se")
    assert ref in reforward["Subject"]
    [receipt] = world.mailbox(REGISTRAR)
    assert "Utfört: #enhet sabbatsberg" in receipt.get_body(("plain",)).get_content()

    world.deliver(mails.NORRMALM, mails.build(frm=REGISTRAR, to=mails.NORRMALM, subject=f"SV: [{ref}]",
                                             body="#lexsarah\n"), ANSWERED)
    world.deliver(mails.NORRMALM, mails.build(frm=REGISTRAR, to=mails.NORRMALM, subject=f"SV: [{ref}]",
                                             body="#stäng\n", date=datetime(2026, 3, 4, 14, 5, tzinfo=TZ)),
                  datetime(2026, 3, 4, 14, 5, tzinfo=TZ))
    await world.run_once(NOW)
    case = world.case(ref)
    assert "lex_sarah" in case["flags"] and case["manager"] == "lexsarah.norrmalm@stockholm.example.se"
    assert len(world.mailbox("lexsarah.norrmalm@stockholm.example.se")) == 1
    assert case["status"] == "closed" and case["closed_at"]


async def test_a_bad_command_changes_nothing_and_the_sender_is_told_which_line(world: World) -> None:
    ref = await open_case(world)
    before = world.case(ref)
    world.deliver(mails.NORRMALM, mails.build(frm=REGISTRAR, to=mails.NORRMALM, subject=f"[{ref}]",
                                             body="#typ synpunkt\n#enhet finns-inte\n#flytta\n"), ANSWERED)
    await world.run_once(NOW)
    after = world.case(ref)
    for key in ("kind", "unit", "flags", "status", "manager"):
        assert after[key] == before[key]
    [reply] = world.mailbox(REGISTRAR)
    text = reply.get_body(("plain",)).get_content()
    assert "Rad 2 (#enhet finns-inte)" in text and "Rad 3 (#flytta)" in text
    assert "Inget av kommandona i meddelandet har utförts." in text
    assert any(e["kind"] == "command_rejected" for e in after["events"])


async def test_citizen_writing_staff_words_gets_no_power(world: World) -> None:
    ref = await open_case(world)
    # the citizen copies the registrar, quotes the tag and writes a command and an "answer"
    world.deliver(mails.NORRMALM, mails.build(cc=REGISTRAR, subject=f"SV: [{ref}]", body="#stäng\nSvar: klart.\n"),
                  ANSWERED)
    # a look-alike of a staff address on a citizen's domain
    world.deliver(REGISTRAR, answer(frm=f"Anneli Berg <{MANAGER.replace('stockholm.example.se', 'stockholm-example.se')}>",
                                    subject=f"SV: [{ref}]"), ANSWERED)
    await world.run_once(NOW)
    case = world.case(ref)
    assert case["status"] == "open" and case["feedback_at"] is None and case["closed_at"] is None
    assert not [e for e in case["events"] if e["kind"] in ("command", "feedback")]
    purposes = [m["purpose"] for m in case["messages"] if m["direction"] == "in"]
    assert purposes == ["complaint", "reply"]
    cases = world.cases()
    assert len(cases) == 2 and "NM-2026-0001" in (cases[1]["triage"] or "")  # the look-alike: a stranger


async def test_failing_authentication_results_gives_a_staff_from_no_power(make_world) -> None:  # type: ignore[no-untyped-def]
    world: World = make_world({"norrmalm": {"trusted_authserv_id": "mx.stockholm.example.se"}})
    ref = await open_case(world)
    forward_id, subject = the_forward(world)
    failing = {"Authentication-Results": "mx.stockholm.example.se; dkim=fail header.d=stockholm.example.se; "
                                         "dmarc=fail header.from=stockholm.example.se"}
    world.deliver(REGISTRAR, answer(subject="SV: " + subject, in_reply_to=forward_id, headers=failing), ANSWERED)
    await world.run_once(NOW)
    assert world.case(ref)["feedback_at"] is None
    [row] = triage_rows(world)
    assert "not authenticated" in row.reason

    forged = {"Authentication-Results": "mx.attacker.example; dkim=pass header.d=stockholm.example.se"}
    world.deliver(REGISTRAR, answer(subject="SV: " + subject, in_reply_to=forward_id, headers=forged), ANSWERED)
    await world.run_once(NOW)
    assert world.case(ref)["feedback_at"] is None and len(triage_rows(world)) == 2

    passing = {"Authentication-Results": "mx.stockholm.example.se; spf=pass smtp.mailfrom=stockholm.example.se; "
                                         "dkim=pass header.d=stockholm.example.se; dmarc=pass header.from=stockholm.example.se"}
    world.deliver(REGISTRAR, answer(subject="SV: " + subject, in_reply_to=forward_id, headers=passing), ANSWERED)
    await world.run_once(NOW)
    assert world.case(ref)["status"] == "answered"


async def test_after_enhet_pressing_reply_still_answers_the_citizen(world: World) -> None:
    ref = await open_case(world)
    world.deliver(mails.NORRMALM, mails.build(frm=REGISTRAR, to=mails.NORRMALM, subject=f"[{ref}]",
                                             body="#enhet sabbatsberg\n"), ANSWERED)
    await world.run_once(NOW)
    [reforward] = world.mailbox("enhetschef.sabbatsberg.norrmalm@stockholm.example.se")
    reply_to = str(reforward["Reply-To"])
    assert CITIZEN in reply_to and REGISTRAR in reply_to


async def test_a_form_that_cannot_be_registered_is_answered_to_the_staff_member(world: World) -> None:
    staff = "enhetschef.sabbatsberg.norrmalm@stockholm.example.se"
    body = "Kanal: brevduva\nNamn: Greta Lund\nSynpunkt/klagomål:\nHennes man fick ingen hjälp.\n"
    world.deliver(mails.NORRMALM, mails.build(frm=staff, subject="Blankett", body=body), ARRIVAL)
    report = await world.run_once(datetime(2026, 3, 2, 10, 0, tzinfo=TZ))
    assert report.outcomes == {"unmatched_staff": 1} and world.cases() == []
    [reply] = world.mailbox(staff)
    text = reply.get_body(("plain",)).get_content()
    assert "Blanketten kunde inte registreras" in text and "brevduva" in text
    [row] = triage_rows(world)
    assert "registration form not usable" in row.reason
