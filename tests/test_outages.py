"""Mail servers that go away: SMTP down, refusing for now, refusing for good, refusing the login; IMAP down.

Nothing queued is lost or sent twice, an unusable server is an outage (no mail's
attempt counts, the registrar is told once when it starts and once when it
ends), and a mail the server refuses for good ends as a failed mail in the
digest and `mailflow outbox list`, to be queued again with `outbox retry`.
"""

from __future__ import annotations

import email
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.tables import OutageRow, OutboxRow
from mailflow.testing.dovecot import Dovecot, free_port
from mailflow.testing.smtpsink import SmtpSink
from tests import mails
from tests.conftest import ROOT, World
from tests.test_service import wait_for

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
CITIZEN = "asa.oberg@example.com"


def outbox(world: World) -> list[OutboxRow]:
    with world.store.transaction() as reg:
        return list(reg.session.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars())


def outages(world: World) -> list[OutageRow]:
    with world.store.transaction() as reg:
        return list(reg.session.execute(select(OutageRow).order_by(OutageRow.id)).scalars())


def purposes(sink: SmtpSink) -> Counter[str]:
    return Counter(str(email.message_from_bytes(r.data).get("X-Mailflow-Purpose")) for r in sink.received)


@pytest.fixture
def own_smtp(make_world, dovecot: Dovecot):  # type: ignore[no-untyped-def]
    """A world whose SMTP listener the test starts and stops itself (on a port of its own)."""
    port = free_port()
    world: World = make_world({}, service={"smtp": {"port": port, "retry_base_seconds": 1},
                                           "outage_notice_minutes": 0})
    sinks: list[SmtpSink] = []

    def start() -> SmtpSink:
        sink = SmtpSink(dovecot, route=world.user, port=port).start()
        sinks.append(sink)
        return sink

    yield world, start
    for s in sinks:
        try:
            s.stop()
        except Exception:  # noqa: BLE001  stopped by the test already
            pass


async def test_smtp_down_then_temporary_then_accepting_delivers_everything_once(own_smtp) -> None:  # type: ignore[no-untyped-def]
    world, start = own_smtp
    for n in range(3):
        world.deliver(mails.NORRMALM, mails.build(frm=f"Person {n} <person{n}@example.com>",
                                                 subject=f"Hemtjänsten {n}"), ARRIVAL)
    # 1. nothing listens: an outage; no mail is claimed, no attempt counts
    first = await world.run_once(NOW)
    assert first.outcomes == {"registered": 3}
    assert first.sent == 0 and first.send_failed == 0 and first.smtp_outage
    assert {(r.status, r.attempts) for r in outbox(world)} == {("pending", 0)}
    [outage] = outages(world)
    assert outage.key == "smtp" and outage.ended_at is None
    # an hour of passes against the dead server: still nothing lost, still no attempt spent
    for minutes in (10, 30, 60):
        later = await world.run_once(NOW + timedelta(minutes=minutes))
        assert later.smtp_outage and later.sent == 0
    assert {(r.status, r.attempts) for r in outbox(world)} <= {("pending", 0)}
    assert len(outages(world)) == 1  # one outage, however many passes saw it

    # 2. the server answers 451 to the first DATA commands: those mails are retried later
    sink = start()
    sink.handler.fail_next = 2
    second = await world.run_once(NOW + timedelta(minutes=61))
    assert second.smtp_outage is None and second.send_retried == 2
    assert outages(world)[0].ended_at is not None  # the outage ended with the first success

    # 3. accepting: everything goes out exactly once
    third = await world.run_once(NOW + timedelta(hours=3))
    await world.run_once(NOW + timedelta(hours=4))
    assert {r.status for r in outbox(world)} == {"sent"}
    pairs = Counter((email.message_from_bytes(r.data)["Message-ID"], rc) for r in sink.received for rc in r.rcpt_tos)
    assert pairs and max(pairs.values()) == 1
    for n in range(3):
        assert len(world.mailbox(f"person{n}@example.com")) == 1
    assert third.sent >= 1
    # the registrar of each organization heard of the outage once when it began and once when it ended
    notices = [email.message_from_bytes(r.data) for r in sink.received
               if email.message_from_bytes(r.data).get("X-Mailflow-Purpose") == "outage"]
    to = Counter((m["To"], "Åter i drift" in str(email.header.make_header(email.header.decode_header(m["Subject"]))))
                 for m in notices)
    assert to == Counter({(mails.NORRMALM_REGISTRAR, False): 1, (mails.NORRMALM_REGISTRAR, True): 1,
                          (mails.NACKA_REGISTRAR, False): 1, (mails.NACKA_REGISTRAR, True): 1})


async def test_a_permanent_refusal_is_a_failed_mail_in_the_digest_and_can_be_retried(own_smtp) -> None:  # type: ignore[no-untyped-def]
    world, start = own_smtp
    sink = start()
    sink.handler.fail_next, sink.handler.fail_reply = 2, "554 5.6.0 message refused by policy"
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    report = await world.run_once(NOW)
    assert report.send_failed == 2 and report.send_retried == 0  # a 5xx is no retry loop
    assert {r.status for r in outbox(world)} == {"failed"}
    again = await world.run_once(NOW + timedelta(hours=5))
    assert again.sent == 0 and again.send_failed == 0  # failed stays failed

    rc, out, err = world.cli("outbox", "list", "--json")
    assert rc == 0, err
    listed = json.loads(out)
    assert {i["status"] for i in listed} == {"failed"} and all("554" in i["error"] for i in listed)
    assert all(CITIZEN not in json.dumps(i) for i in listed)  # the citizen's address is not shown
    rc, out, err = world.cli("digest", "--org", "norrmalm", "--date", "2026-03-02")
    assert rc == 0, err
    assert "inte gick att skicka" in out and "554" in out

    rc, out, err = world.cli("outbox", "retry", "--all")
    assert rc == 0 and "2 failed mail" in out, err
    retried = await world.run_once(NOW + timedelta(hours=6))
    assert retried.sent == 2
    assert len(world.mailbox(CITIZEN)) == 1


async def test_a_refused_smtp_login_is_an_outage_told_once_not_a_failure_of_each_mail(
        make_world, dovecot: Dovecot) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    world: World = make_world({}, service={"smtp": {"port": port, "username": "mailflow",
                                                    "password_env": "TEST_SMTP_PASSWORD"},
                                           "outage_notice_minutes": 0})
    world.env["TEST_SMTP_PASSWORD"] = "wrong"
    sink = SmtpSink(dovecot, route=world.user, port=port, login=("mailflow", "right")).start()
    try:
        world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
        for minutes in (0, 5, 10):
            report = await world.run_once(NOW + timedelta(minutes=minutes))
            assert report.smtp_outage and "login refused" in report.smtp_outage
        assert {(r.status, r.attempts) for r in outbox(world) if r.purpose != "outage"} == {("pending", 0)}
        notices = [r for r in outbox(world) if r.purpose == "outage"]
        assert len(notices) == 2  # one per organization's registrar, once for the whole outage
        world.env["TEST_SMTP_PASSWORD"] = "right"
        fixed = await world.run_once(NOW + timedelta(minutes=20))
        assert fixed.smtp_outage is None and fixed.sent >= 4  # ack, forward and both notices
        assert len(world.mailbox(CITIZEN)) == 1
    finally:
        sink.stop()


def test_run_rides_out_an_imap_outage_with_one_line_per_reconnect(tmp_path: Path) -> None:
    """Dovecot stopped while `run` watches with IDLE, then started again: what came meanwhile is registered."""
    root = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-outage-"))
    server = Dovecot(root).start()
    smtp = SmtpSink(server).start()
    try:
        world = World(tmp_path, server, smtp, f"sqlite:///{tmp_path / 'outage.db'}",
                      service_overrides={"outage_notice_minutes": 0, "smtp": {"retry_base_seconds": 1}})
        from mailflow.adapters.store import make_engine
        from mailflow.migrate import upgrade

        engine = make_engine(world.db_url)
        upgrade(engine)
        engine.dispose()
        proc = subprocess.Popen([sys.executable, "-m", "mailflow", "--config", str(world.config_path), "run"],
                                cwd=ROOT, env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            world.deliver(mails.NORRMALM, mails.build())
            assert wait_for(lambda: len(world.cases()) == 1), "first message not registered"
            server.stop()  # an outage: every watcher reconnects with backoff meanwhile
            started = time.monotonic()
            assert wait_for(lambda: any(r.purpose == "outage" for r in outbox(world)), timeout=40), \
                "the registrar was not told of the outage"
            # both of Norrmalm's watchers have met the outage and it has been told (stopping Dovecot can take
            # most of the outage below: a watcher that first met it after the notice must still be told)
            assert wait_for(lambda: {o.key for o in outages(world) if o.notified_at and o.ended_at is None}
                            >= {"imap:norrmalm:complaints", "imap:norrmalm:registrar"}, timeout=40), \
                [(o.key, o.notified_at, o.ended_at) for o in outages(world)]
            time.sleep(max(0.0, 30 - (time.monotonic() - started)))  # Dovecot away for 30 s
            server.start()
            for n in range(3):
                world.deliver(mails.NORRMALM, mails.build(frm=f"Efter {n} <efter{n}@example.com>"))
            assert wait_for(lambda: len(world.cases()) == 4, timeout=60), "mail after the outage not registered"
            assert wait_for(lambda: len(world.mailbox("efter2@example.com")) == 1, timeout=30)
            # every watcher is back within its backoff (at most 30 s), and each outage is told as ended
            assert wait_for(lambda: all(o.ended_at for o in outages(world)), timeout=60)
            assert wait_for(lambda: all(o.resolved_notice_at for o in outages(world) if o.notified_at), timeout=30)
            # the notices queued while the mail store was away go out with the retries
            assert wait_for(lambda: all(r.status == "sent" for r in outbox(world)), timeout=60)
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=60)
            err = proc.stderr.read() if proc.stderr else ""
        assert rc == 0, err[-2000:]
        assert "Traceback" not in err
        unreachable = [line for line in err.splitlines() if "event=mailbox_unreachable mailbox=norrmalm:complaints" in line]
        assert 1 <= len(unreachable) <= 12, unreachable  # one line per failed reconnect, backing off
        assert "event=reconnected mailbox=norrmalm:complaints" in err
        assert all(line.count("\n") == 0 for line in unreachable)
        states = {(o.key, o.ended_at is not None) for o in outages(world)}
        assert ("imap:norrmalm:complaints", True) in states
        # told once when it had lasted outage_notice_minutes (0 here) and once at its end, every outage
        assert all(o.resolved_notice_at for o in outages(world) if o.notified_at), \
            [(o.key, o.started_at, o.ended_at, o.notified_at, o.resolved_notice_at) for o in outages(world)]
        # (mailflow watches the registrar's mailbox too: what it read there lies in Processed)
        notices = [m for folder in ("INBOX", "Processed") for m in world.mailbox(mails.NORRMALM_REGISTRAR, folder)
                   if m.get("X-Mailflow-Purpose") == "outage"]
        about = Counter((str(m["Subject"]).startswith("Åter i drift"), "norrmalm complaints" in str(m["Subject"]))
                        for m in notices)
        assert about[(False, True)] == 1 and about[(True, True)] == 1, [str(m["Subject"]) for m in notices]
        world.close()
    finally:
        smtp.stop()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
