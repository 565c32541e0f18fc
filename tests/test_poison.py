"""No poison message, no poison mail: every failure is recorded where it belongs and the rest goes on.

Over the real Dovecot, SMTP listener and both databases: addresses no server
can take, a server without SMTPUTF8, a recipient refused while the others get
the mail, an original with lines over 998 octets, a mail whose sending kills
the process, a template that fails on one message or one case, a conflict in
the register that is not a duplicate, a watcher that meets a bug.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import shutil
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow import mime
from mailflow.adapters.outbox import OutboxQueue, queue
from mailflow.adapters.tables import CaseEventRow, ImapUidRow, MessageRow, OutboxRow
from mailflow.model import OutMail, Purpose
from mailflow.service import Service
from mailflow.testing.dovecot import Dovecot, free_port
from mailflow.testing.smtpsink import SmtpSink
from tests import mails
from tests.conftest import ROOT, World
from tests.test_flow import rows
from tests.test_service import wait_for

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
CITIZEN = "asa.oberg@example.com"
MANAGER = "enhetschef.hemtjanst.norrmalm@stockholm.example.se"
PROVIDER = "kvalitet@omsorgsgruppen.example.se"


def events(world: World, kind: str) -> list[CaseEventRow]:
    return rows(world, CaseEventRow, kind=kind)


def utf8_from(address: str, name: str = "Jane Döe") -> bytes:
    """An RFC 6532 message: the sender's address itself in UTF-8, as a raw 8-bit header."""
    return (f"From: {name} <{address}>\r\nTo: {mails.NORRMALM}\r\nSubject: Hemtjänsten\r\n"
            f"Date: Mon, 02 Mar 2026 08:30:00 +0100\r\nMessage-ID: <{mails.mid()}>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "Hemtjänsten kom inte i tisdags. Det är inte bra.\r\n").encode()


async def test_a_utf8_sender_is_answered_over_smtputf8_and_blocks_nobody(world: World) -> None:
    world.smtp.handler.route = lambda a: world.user(a) if a.isascii() else None  # Dovecot users are ASCII here
    world.deliver(mails.NORRMALM, utf8_from("jdöe@mächine.example"), ARRIVAL)
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"registered": 2} and report.send_failed == 0
    to_utf8 = [r for r in world.sent() if any(not a.isascii() for a in r.rcpt_tos)]
    idna = "mächine.example".encode("idna").decode()
    assert [r.rcpt_tos for r in to_utf8] == [(f"jdöe@{idna}",)]  # the domain in its IDNA form
    assert len(world.mailbox(CITIZEN)) == 1  # the mail queued behind it went out


async def test_a_server_without_smtputf8_fails_only_that_mail_with_its_reason(make_world, dovecot: Dovecot) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    world: World = make_world({}, service={"smtp": {"port": port}})
    sink = SmtpSink(dovecot, route=world.user, port=port, smtputf8=False).start()
    try:
        world.deliver(mails.NORRMALM, utf8_from("jdöe@example.com"), ARRIVAL)
        world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
        report = await world.run_once(NOW)
        assert report.outcomes == {"registered": 2}
        assert report.send_failed == 1 and report.sent == 3  # two forwards and the other citizen's ack
        [failed] = rows(world, OutboxRow, status="failed")
        assert failed.purpose == "ack" and "SMTPUTF8" in failed.refused[0]["reason"]
        assert len(world.mailbox(CITIZEN)) == 1
        rc, out, err = world.cli("digest", "--org", "norrmalm", "--date", "2026-03-02")
        assert rc == 0 and "inte gick att skicka" in out, err
        assert "jdöe" not in out  # the digest names no citizen
    finally:
        sink.stop()


async def test_an_address_no_server_can_take_gets_no_acknowledgment_but_a_case(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(frm="Åsa <asa..oberg@example.com>"), ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"registered": 1} and report.send_failed == 0
    [skipped] = events(world, "ack_skipped")
    assert "cannot receive mail" in skipped.detail["reason"]
    assert [r.rcpt_tos for r in world.sent()] == [(MANAGER,)]  # the forward only
    forward = email.message_from_bytes(world.sent()[0].data)
    assert "asa..oberg" not in str(forward.get("Reply-To", ""))


async def test_a_partly_refused_mail_records_who_did_not_get_it(world: World) -> None:
    world.smtp.handler.refuse = {MANAGER}
    try:
        world.deliver(mails.NORRMALM, mails.build(
            subject="Omsorgsgruppen", body="Omsorgsgruppen hemtjänst kom inte till min mamma i går.\n"), ARRIVAL)
        report = await world.run_once(NOW)
    finally:
        world.smtp.handler.refuse = set()
    assert report.outcomes == {"registered": 1}
    [forward] = rows(world, OutboxRow, purpose="forward")
    assert forward.status == "sent"
    assert [(r["to"], r["code"]) for r in forward.refused] == [(MANAGER, 550)]
    assert len(world.mailbox(PROVIDER)) == 1 and world.mailbox(MANAGER) == []
    rc, out, err = world.cli("outbox", "list", "--status", "refused", "--json")
    assert rc == 0, err
    [listed] = json.loads(out)
    assert listed["refused"][0]["to"] == MANAGER and listed["refused"][0]["code"] == 550
    rc, out, err = world.cli("digest", "--org", "norrmalm", "--date", "2026-03-02")
    assert rc == 0 and "en mottagare inte fick" in out and MANAGER in out, err


async def test_an_original_with_long_lines_is_forwarded_as_a_file_with_no_line_over_998(world: World) -> None:
    long_line = "Hemtjänsten kom inte. " * 120  # about 2,600 octets on one line
    raw = (f"From: Åsa Öberg <{CITIZEN}>\r\nTo: {mails.NORRMALM}\r\nSubject: Hemtjänsten\r\n"
           f"Message-ID: <{mails.mid()}>\r\nDate: Mon, 02 Mar 2026 08:30:00 +0100\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           f"{long_line}\r\n").encode()
    world.deliver(mails.NORRMALM, raw, ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"registered": 1} and report.send_failed == 0
    [forward] = [r for r in world.sent() if MANAGER in r.rcpt_tos]
    assert max(len(line) for line in forward.data.split(b"\r\n")) <= 998
    [got] = world.mailbox(MANAGER)
    [attached] = list(got.iter_attachments())
    assert attached.get_content_type() == "application/octet-stream"
    assert attached.get_content().replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


async def test_a_mail_whose_sending_kills_the_process_gives_up_after_the_attempt_limit(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    service = world.service(NOW)
    for w in service.mailboxes():  # register, queue; send nothing yet
        service.pass_mailbox(w)
    # a worker that claims the mail and dies in the middle, again and again (no heartbeat: it is dead)
    dead = OutboxQueue(world.store, "mailflow-dead-worker", max_attempts=3)
    claimed = [len(dead.claim(NOW)) for _ in range(4)]
    assert claimed == [2, 2, 2, 0]
    assert {(r.status, r.attempts) for r in rows(world, OutboxRow)} == {("failed", 3)}
    assert all("gave up after 3 attempts" in r.last_error for r in rows(world, OutboxRow))
    rc, out, err = world.cli("outbox", "list")
    assert rc == 0 and "gave up after 3 attempts" in out and "outbox retry" in out, err


def failing_templates(tmp: Path, name: str, condition: str) -> Path:
    """The shipped templates, with `name` failing when `condition` holds (an undefined variable)."""
    copy = tmp / "templates"
    shutil.copytree(ROOT / "templates", copy)
    path = copy / f"{name}.txt.j2"
    path.write_text(f"{{% if {condition} %}}{{{{ no_such_variable }}}}{{% endif %}}" + path.read_text())
    return copy


async def test_a_template_that_fails_on_one_message_quarantines_it_and_the_next_goes_on(
        make_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    templates = failing_templates(tmp_path, "ack", 'greeting_name == "Bomb"')
    world: World = make_world({}, service={"templates_dir": str(templates)})
    world.deliver(mails.NORRMALM, mails.build(frm="Bomb Bombsson <bomb@example.com>"), ARRIVAL)
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"quarantined": 1, "registered": 1}
    assert "template" in report.quarantined[0]
    assert len(world.mailbox(CITIZEN)) == 1
    [kept] = world.mailbox(mails.NORRMALM, "Quarantine")
    assert "Bombsson" in str(kept["From"])
    again = await world.run_once(NOW)  # the mailbox is not stuck at that UID
    assert again.outcomes == {}
    rc, out, err = world.cli("quarantine", "--org", "norrmalm")
    assert rc == 0 and "template" in out and "norrmalm:complaints" in out, err
    rc, out, err = world.cli("digest", "--org", "norrmalm", "--date", "2026-03-02")
    assert rc == 0 and "gick att läsa" in out and "template" in out and "UID" in out, err


async def test_a_template_that_fails_on_one_case_leaves_the_other_cases_reminders(make_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    templates = failing_templates(tmp_path, "reminder", 'ref == "NM-2026-0001"')
    world: World = make_world({}, service={"templates_dir": str(templates)})
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    world.deliver(mails.NORRMALM, mails.build(frm="Karl Ek <karl.ek@example.com>"), ARRIVAL)
    await world.run_once(NOW)
    due = datetime(2026, 3, 18, 9, 0, tzinfo=TZ)  # two working days before the feedback deadline
    report = await world.run_once(due)
    assert report.job_errors == 1 and report.deadline_mails == 1
    reminders = [r for r in rows(world, OutboxRow, purpose="reminder")]
    assert len(reminders) == 1
    with world.store.transaction() as reg:
        from mailflow.adapters.tables import CaseRow

        ref = reg.session.execute(select(CaseRow.ref).where(CaseRow.id == reminders[0].case_id)).scalar_one()
    assert ref == "NM-2026-0002"


async def test_a_conflict_that_is_not_a_duplicate_quarantines_instead_of_filing_as_processed(world: World) -> None:
    mid = mails.mid()
    raw = mails.build(message_id=mid)
    # an outbox row already holds the Message-ID this message's acknowledgment will get
    ack_id = mime.make_message_id(f"norrmalm|{mid}|ack||{CITIZEN}", "stockholm.example.se")
    with world.store.transaction() as reg:
        queue(reg.session, OutMail(message_id=ack_id, purpose=Purpose.DIGEST, sender=mails.NORRMALM,
                                   recipients=(mails.NORRMALM_REGISTRAR,), subject="x", record_subject="x",
                                   payload=b"x"), org_id="norrmalm", case_id=None, now=NOW, party_key=None)
    world.deliver(mails.NORRMALM, raw, ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"quarantined": 1}  # never "duplicate": nothing else holds this Message-ID
    assert "register refused" in report.quarantined[0]
    [msg] = rows(world, MessageRow, direction="in")
    assert msg.outcome == "quarantined" and msg.message_id == mid
    assert len(world.mailbox(mails.NORRMALM, "Quarantine")) == 1


async def test_a_watcher_that_meets_a_bug_is_logged_and_carries_on(world: World, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    real = Service.drain_mailbox
    broken = {"left": 1}

    def flaky(self: Service, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if broken["left"] and args and getattr(args[0], "key", "") == "norrmalm:complaints":
            broken["left"] -= 1
            raise RuntimeError("a bug")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Service, "drain_mailbox", flaky)
    monkeypatch.setattr("mailflow.service.RETRY_FIRST", 0.2)
    service = world.service()
    stop = asyncio.Event()
    task = asyncio.create_task(service.run_forever(stop))
    world.deliver(mails.NORRMALM, mails.build())
    ok = await asyncio.to_thread(wait_for, lambda: len(world.cases()) == 1, 30)
    stop.set()
    await asyncio.wait_for(task, 60)
    assert ok
    assert "event=watch_failed mailbox=norrmalm:complaints" in caplog.text
    assert "a bug" not in caplog.text  # the type is logged, never a message that may carry data


async def test_a_changed_uidvalidity_rereads_the_folder_without_registering_anything_twice(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailflow.adapters.imap import ImapMailbox

    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    world.deliver(mails.NORRMALM, mails.UNPARSEABLE, ARRIVAL)
    real_move = ImapMailbox.move
    monkeypatch.setattr(ImapMailbox, "move", lambda self, uids, folder: None)  # the MOVE never happens
    first = await world.run_once(NOW)
    assert first.outcomes == {"registered": 1, "quarantined": 1}
    monkeypatch.setattr(ImapMailbox, "move", real_move)
    user = world.user(mails.NORRMALM)
    doveadm = str(Path(shutil.which("doveadm") or "/usr/bin/doveadm"))
    subprocess.run([doveadm, "-c", str(world.dovecot.conf), "mailbox", "update", "-u", user, "--uid-validity",
                    "4242", "INBOX"], check=True)
    second = await world.run_once(NOW)
    assert second.outcomes == {"duplicate": 1, "quarantined": 1}  # recognised by Message-ID or content
    assert len(world.mailbox(mails.NORRMALM, "Quarantine")) == 1  # quarantine stays quarantine
    assert len(world.cases()) == 1 and len(rows(world, MessageRow, direction="in")) == 2
    assert world.mailbox(mails.NORRMALM) == []
    assert {r.uidvalidity for r in rows(world, ImapUidRow)} >= {4242}
    assert len(world.mailbox(CITIZEN)) == 1  # one acknowledgment


def test_a_second_worker_on_one_sqlite_file_is_refused_with_a_clear_message(make_world) -> None:  # type: ignore[no-untyped-def]
    world: World = make_world({})
    proc = subprocess.Popen([sys.executable, "-m", "mailflow", "--config", str(world.config_path), "run"],
                            cwd=ROOT, env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: Path(f"{world.store.sqlite_path()}.run.lock").exists(), 30)
        assert wait_for(lambda: str(proc.pid) in Path(f"{world.store.sqlite_path()}.run.lock").read_text(), 30)
        done = subprocess.run([sys.executable, "-m", "mailflow", "--config", str(world.config_path), "run", "--once"],
                              cwd=ROOT, env=world.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert "already working on the SQLite database" in done.stderr and "PostgreSQL" in done.stderr
        assert str(proc.pid) in done.stderr
        listed = subprocess.run([sys.executable, "-m", "mailflow", "--config", str(world.config_path), "cases"],
                                cwd=ROOT, env=world.env, capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0  # the other commands work beside the worker
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    after = subprocess.run([sys.executable, "-m", "mailflow", "--config", str(world.config_path), "run", "--once"],
                           cwd=ROOT, env=world.env, capture_output=True, text=True, timeout=60)
    assert after.returncode == 0, after.stderr  # the lock went with the process


def _catches_sigterm(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def test_a_worker_asked_to_stop_while_it_starts_exits_cleanly(make_world) -> None:  # type: ignore[no-untyped-def]
    # a service manager (or a restart in a storm) may stop a worker before it serves: that is a clean stop
    world: World = make_world({})
    proc = subprocess.Popen([sys.executable, "-m", "mailflow", "--config", str(world.config_path), "run"],
                            cwd=ROOT, env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # SIGTERM is caught from the first instant: long before the service has started
        assert wait_for(lambda: _catches_sigterm(proc.pid), 30, step=0.005)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "event=started" not in err  # it was still starting, and left without serving
    assert "Traceback" not in err


def test_check_config_passes_before_the_first_migration_with_a_note(make_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    world: World = make_world({}, db_url=f"sqlite:///{tmp_path / 'fresh' / 'new.db'}")
    rc, out, err = world.cli("check-config")
    assert rc == 0, out + err
    assert "note" in out and "db upgrade" in out and "configuration is fine" in out
    assert "ok    IMAP norrmalm complaints" in out  # every other check still ran


async def test_a_forward_larger_than_the_servers_size_goes_without_the_original(make_world, dovecot: Dovecot) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    world: World = make_world({}, service={"smtp": {"port": port}})
    sink = SmtpSink(dovecot, route=world.user, port=port, size_limit=60_000).start()
    try:
        world.deliver(mails.NORRMALM, mails.build(attachment=("film.bin", "application/octet-stream", b"x" * 80_000)),
                      ARRIVAL)
        report = await world.run_once(NOW)
        assert report.send_failed == 0 and report.sent == 2
        [forward] = world.mailbox(MANAGER)
        note = [p for p in forward.walk() if p.get_content_type() == "text/plain"][-1].get_content()
        assert "för stort" in note and "registret" in note
        assert not [p for p in forward.iter_attachments() if p.get_content_type() == "message/rfc822"]
    finally:
        sink.stop()
