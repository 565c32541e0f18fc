"""Exchange Online's IMAP: FETCH items after the body, no answer for some UIDs, no MOVE, non-ASCII folders.

The FETCH shapes are replayed by a scripted server (tests/imap_replay.py), read
by the real ImapMailbox through imaplib; the folders and the MOVE fallback run
against the real Dovecot (a second one that does not announce MOVE).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from mailflow.adapters.imap import ImapMailbox, fetch_items
from mailflow.config import ImapSettings
from mailflow.testing.dovecot import Dovecot
from mailflow.testing.smtpsink import SmtpSink
from tests import mails
from tests.conftest import PASSWORD, World
from tests.imap_replay import ExchangeReplay, Stored

pytestmark = pytest.mark.integration

NO_MOVE = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN "
           "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-STATUS BINARY "
           "SPECIAL-USE")


def test_fetch_items_read_uid_and_internaldate_after_the_literal() -> None:
    # imaplib's own shape of an Exchange answer: (text before the literal, literal), then the rest of the line
    data: list[Any] = [(b'1 (BODY[] {5}', b"Hej!\n"), b' UID 45 INTERNALDATE "02-Mar-2026 09:00:00 +0100")',
                       b"1 (FLAGS (\\Seen))", (b"2 (UID 46 BODY[] {3}", b"abc"), b")"]
    got = fetch_items(data)
    assert [(m.split(b"UID ")[1][:2], lit) for m, lit in got] == [(b"45", b"Hej!\n"), (b"46", b"abc")]


def test_exchange_shaped_fetch_yields_every_message_and_logs_the_uid_without_one(
        caplog: pytest.LogCaptureFixture) -> None:
    first = mails.build(subject="Första")
    second = mails.build(subject="Andra", body="Rad ett.\r\nRad två med {42} klamrar och ) parentes.\r\n")
    replay = ExchangeReplay([
        Stored(45, first, "02-Mar-2026 09:00:00 +0100"),
        Stored(46, second, "02-Mar-2026 09:05:30 +0100"),
        Stored(47, mails.build(subject="Borta"), "02-Mar-2026 09:06:00 +0100", answer=False),
    ]).start()
    try:
        settings = ImapSettings(host="127.0.0.1", port=replay.port, ssl=False, username="synpunkter@kommun.se",
                                password_env="EXCHANGE_PASSWORD")
        box = ImapMailbox(settings, {"EXCHANGE_PASSWORD": "x"})
        box.connect()
        assert box.uidvalidity == 14
        caplog.set_level(logging.WARNING, logger="mailflow.adapters.imap")
        uids = box.uids()
        got = list(box.fetch(uids))
        box.close()
    finally:
        replay.stop()
    assert uids == [45, 46, 47]
    assert [(f.uid, f.raw) for f in got] == [(45, first), (46, second)]
    assert got[0].internaldate == datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    assert got[1].internaldate == datetime(2026, 3, 2, 8, 5, 30, tzinfo=timezone.utc)
    assert [r.getMessage() for r in caplog.records if "fetch_missing" in r.getMessage()] == [
        "event=fetch_missing uid=47"]


def test_a_message_over_the_limit_comes_as_its_header_from_exchange() -> None:
    big = mails.build(subject="Stort", attachment=("bild.jpg", "image/jpeg", b"x" * 200_000))
    replay = ExchangeReplay([Stored(7, big, "02-Mar-2026 09:00:00 +0100")]).start()
    try:
        settings = ImapSettings(host="127.0.0.1", port=replay.port, ssl=False, username="s@k.se", password_env="P")
        box = ImapMailbox(settings, {"P": "x"})
        box.connect()
        got = list(box.fetch([7], max_bytes=100_000))
        box.close()
    finally:
        replay.stop()
    assert len(got) == 1 and got[0].too_large and got[0].size == len(big)
    assert got[0].raw.startswith(b"From:") or b"Subject:" in got[0].raw
    assert len(got[0].raw) < 2000
    assert "UID FETCH 7 (UID INTERNALDATE BODY.PEEK[HEADER])" in replay.commands


@pytest.fixture(scope="module")
def dovecot_without_move() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-nomove-"))
    server = Dovecot(root, password=PASSWORD, capability=NO_MOVE).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


async def test_without_move_messages_are_copied_then_expunged_by_uid(
        tmp_path: Path, dovecot_without_move: Dovecot, smtp: SmtpSink, sqlite_url: str) -> None:
    world = World(tmp_path, dovecot_without_move, smtp, sqlite_url)
    try:
        settings = world.org("norrmalm").imap
        box = ImapMailbox(settings, world.env)
        box.connect()
        assert "MOVE" not in box.capabilities() and "UIDPLUS" in box.capabilities()
        box.close()
        world.deliver(mails.NORRMALM, mails.build())
        world.deliver(mails.NORRMALM, mails.build(subject="Ett till", frm="Bo Ek <bo.ek@example.com>"))
        world.deliver(mails.NORRMALM, b"this is not a mail at all")
        report = await world.run_once()
        assert report.outcomes["registered"] == 2 and report.outcomes["quarantined"] == 1
        assert world.mailbox(mails.NORRMALM) == []
        assert len(world.mailbox(mails.NORRMALM, "Processed")) == 2
        assert len(world.mailbox(mails.NORRMALM, "Quarantine")) == 1
    finally:
        world.close()


async def test_folders_with_swedish_names_travel_in_modified_utf7(make_world: Any, dovecot: Dovecot) -> None:
    folders = {"processed_folder": "Behandlade ärenden", "quarantine_folder": "Karantän ej läsbara"}
    world: World = make_world({"norrmalm": {"imap": folders}})
    world.deliver(mails.NORRMALM, mails.build())
    world.deliver(mails.NORRMALM, b"inte ett mejl")
    report = await world.run_once()
    assert report.outcomes["registered"] == 1 and report.outcomes["quarantined"] == 1
    listed = b"\n".join(dovecot.folders(world.user(mails.NORRMALM)))
    assert b"Behandlade &AOQ-renden" in listed and b"Karant&AOQ-n" in listed
    assert len(world.mailbox(mails.NORRMALM, "Behandlade ärenden")) == 1
    assert len(world.mailbox(mails.NORRMALM, "Karantän ej läsbara")) == 1
    assert world.mailbox(mails.NORRMALM) == []
