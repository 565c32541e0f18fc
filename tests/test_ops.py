"""Operations over HTTP and files: /healthz and /metrics after a real pass, a stuck outbox told once,
JSON logs, the register exported as JSON Lines, backups of SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import json
import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from mailflow.adapters.tables import OutageRow, OutboxRow
from mailflow.clock import FixedClock
from mailflow.ops import Monitor, OpsServer
from mailflow.ops.logs import JsonFormatter, fields
from mailflow.service import Service
from mailflow.testing.dovecot import free_port
from tests import mails
from tests.conftest import ROOT, World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
CITIZEN = "asa.oberg@example.com"


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture
def ops(world: World) -> Iterator[tuple[World, Monitor, OpsServer]]:
    monitor = Monitor(world.config, world.store)
    server = OpsServer(("127.0.0.1", 0), monitor).start()
    yield world, monitor, server
    server.stop()


async def test_healthz_and_metrics_tell_what_a_real_pass_did(ops: tuple[World, Monitor, OpsServer]) -> None:
    world, monitor, server = ops
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    world.deliver(mails.NORRMALM, mails.build(headers={"Auto-Submitted": "auto-replied"}, subject="Frånvaro"), ARRIVAL)
    world.deliver(mails.NACKA, b"not a mail", ARRIVAL)
    service = Service(world.config, world.store, FixedClock(NOW), env=world.env, reporter=monitor)
    report = await service.run_once()
    assert report.outcomes["registered"] == 1 and report.outcomes["quarantined"] == 1

    status, body = get(server.port, "/metrics")
    assert status == 200
    m = samples(body)
    assert m[("mailflow_messages_total", (("mailbox", "complaints"), ("org", "norrmalm"),
                                          ("outcome", "registered")))] == 1
    assert m[("mailflow_messages_total", (("mailbox", "complaints"), ("org", "norrmalm"),
                                          ("outcome", "auto_reply")))] == 1
    assert m[("mailflow_messages_total", (("mailbox", "complaints"), ("org", "nacka"),
                                          ("outcome", "quarantined")))] == 1
    assert m[("mailflow_sends_total", (("result", "sent"),))] == report.sent >= 2  # the ack and the forward
    sent_rows = sum(v for (name, labels), v in m.items() if name == "mailflow_outbox_mails"
                    and dict(labels)["org"] == "norrmalm" and dict(labels)["status"] == "sent")
    assert sent_rows == report.sent
    assert m[("mailflow_outbox_pending", (("org", "norrmalm"),))] == 0
    assert m[("mailflow_mailbox_pass_seconds_count", (("mailbox", "complaints"), ("org", "norrmalm")))] == 1
    assert m[("mailflow_mailbox_up", (("mailbox", "registrar"), ("org", "nacka")))] == 1
    assert m[("mailflow_smtp_up", ())] == 1 and m[("mailflow_database_up", ())] == 1

    status, body = get(server.port, "/healthz")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["problems"] == []
    assert {(b["org"], b["mailbox"], b["reachable"]) for b in health["mailboxes"]} == {
        ("norrmalm", "complaints", True), ("norrmalm", "registrar", True),
        ("nacka", "complaints", True), ("nacka", "registrar", True)}
    assert all(b["last_pass_at"] for b in health["mailboxes"]) and health["last_pass_at"]
    assert health["outbox"]["norrmalm"] == {"pending": 0, "failed": 0, "oldest_pending_age_seconds": None,
                                           "due_for_seconds": None, "stuck": False}
    assert CITIZEN not in body
    assert get(server.port, "/nothing")[0] == 404


async def test_an_unreachable_mailbox_and_a_stuck_outbox_make_healthz_fail_and_are_told_once(
        make_world: Any, dovecot: Any) -> None:
    from mailflow.adapters.tables import WorkerRow
    from mailflow.adapters.workers import real_now
    from mailflow.testing.smtpsink import SmtpSink

    smtp_port = free_port()  # nothing listens at first
    world: World = make_world({"nacka": {"registrar_imap": {"port": free_port()}}},
                              service={"smtp": {"port": smtp_port}, "outage_notice_minutes": 0,
                                       "outbox_stuck_minutes": 30})
    monitor = Monitor(world.config, world.store)
    server = OpsServer(("127.0.0.1", 0), monitor).start()
    sink = None

    async def run(at: datetime) -> None:
        await Service(world.config, world.store, FixedClock(at), env=world.env, reporter=monitor).run_once()

    try:
        world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
        await run(NOW)  # the ack and the forward wait: SMTP is down (that outage, not a stuck outbox)
        status, body = get(server.port, "/healthz")
        health = json.loads(body)
        assert status == 503 and "SMTP server unusable" in health["problems"]
        assert "mailbox nacka registrar unreachable" in health["problems"]
        assert not [p for p in health["problems"] if p.startswith("outbox")]
        # a worker that is alive holds norrmalm's mails and never sends them; the SMTP server is back
        with world.store.transaction() as reg:
            now = real_now()
            reg.session.add(WorkerRow(id="hung", host="elsewhere", pid=1, role="run", started_at=now,
                                      heartbeat_at=now + timedelta(days=1)))
            for row in reg.session.execute(select(OutboxRow).where(OutboxRow.org_id == "norrmalm")).scalars():
                row.lease_owner, row.lease_until = "hung", now + timedelta(days=1)
        sink = SmtpSink(dovecot, route=world.user, port=smtp_port).start()
        for minutes in (31, 40, 50):
            await run(NOW + timedelta(minutes=minutes))
        status, body = get(server.port, "/healthz")
        health = json.loads(body)
        assert status == 503 and health["status"] == "failing"
        assert health["problems"] == ["mailbox nacka registrar unreachable", "outbox of norrmalm stuck"]
        down = [b for b in health["mailboxes"] if not b["reachable"]]
        assert [(b["org"], b["mailbox"]) for b in down] == [("nacka", "registrar")] and down[0]["error"]
        assert health["outbox"]["norrmalm"]["stuck"] and health["outbox"]["norrmalm"]["pending"] >= 2
        assert health["smtp"]["reachable"] is True
        with world.store.transaction() as reg:
            rows = {r.key: r for r in reg.session.execute(select(OutageRow)).scalars()}
            notices = list(reg.session.execute(select(OutboxRow).where(OutboxRow.purpose == "outage")).scalars())
        assert set(rows) == {"imap:nacka:registrar", "smtp", "outbox:norrmalm"}
        assert rows["smtp"].ended_at is not None and rows["outbox:norrmalm"].ended_at is None
        held = health["outbox"]["norrmalm"]["pending"]  # the ack, the forward, the SMTP outage notice
        assert f"utkorgen: {held} e-brev köade för mer än 30 minuter sedan har inte kunnat skickas" in rows[
            "outbox:norrmalm"].error
        def text(n: OutboxRow) -> str:
            msg = email.message_from_bytes(bytes(n.payload), policy=email.policy.default)
            part = msg.get_body(("plain",))
            return part.get_content() if part is not None else ""  # type: ignore[union-attr]

        told = [n for n in notices if "e-brev köade" in text(n)]
        assert len(told) == 1 and told[0].recipients == [mails.NORRMALM_REGISTRAR]  # once, not once per pass
        status, body = get(server.port, "/metrics")
        assert samples(body)[("mailflow_outbox_stuck", (("org", "norrmalm"),))] == 1
    finally:
        server.stop()
        if sink is not None:
            sink.stop()


# -- logs -----------------------------------------------------------------------------------------


def test_a_key_value_line_becomes_the_same_fields_in_json() -> None:
    assert fields("event=registered mailbox=norrmalm:complaints uid=4 outcome=registered case=NM-2026-0001") == {
        "event": "registered", "mailbox": "norrmalm:complaints", "uid": "4", "outcome": "registered",
        "case": "NM-2026-0001"}
    assert fields("event=mailbox_error mailbox=nacka:registrar error=127.0.0.1:993: ConnectionRefusedError: x y") == {
        "event": "mailbox_error", "mailbox": "nacka:registrar", "error": "127.0.0.1:993: ConnectionRefusedError: x y"}
    assert fields("not a key value line") == {}
    import logging

    record = logging.LogRecord("mailflow.service", logging.INFO, __file__, 1, "event=sent outbox_id=%s purpose=%s",
                               (7, "ack"), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "sent" and line["outbox_id"] == "7" and line["level"] == "INFO"


def test_log_format_json_writes_one_object_per_event_without_personal_data(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    env = {**world.env, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "mailflow", "--config", str(world.config_path), "--log-format",
                             "json", "--log-level", "INFO", "run", "--once", "--now", NOW.isoformat()],
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines and all({"ts", "level", "logger"} <= set(x) for x in lines)
    events = {x.get("event") for x in lines}
    assert {"registered", "sent", "filed"} <= events
    assert CITIZEN not in result.stderr and "Klagomål på hemtjänsten" not in result.stderr
    assert "Hemtjänsten kom inte" not in result.stderr


# -- export and backup ----------------------------------------------------------------------------


async def test_export_writes_the_register_as_json_lines_without_person_records(world: World, tmp_path: Path) -> None:
    world.deliver(mails.NORRMALM, mails.build(body="Hej!\n\nRing mig på 070-123 45 67, jag bor på Storgatan 5.\n"
                                                  "\nÅsa Öberg\n"), ARRIVAL)
    world.deliver(mails.NACKA, mails.build(to=mails.NACKA), ARRIVAL)
    report = await world.run_once(NOW)
    assert len(report.refs) == 2
    out = tmp_path / "norrmalm.jsonl"
    rc, stdout, err = world.cli("export", "--org", "norrmalm", "--out", str(out))
    assert rc == 0, err
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["type"] == "export" and lines[0]["org"] == "norrmalm" and lines[0]["cases"] == 1
    cases = [x for x in lines if x["type"] == "case"]
    assert len(cases) == 1 and cases[0]["ref"].startswith("NM-") and cases[0]["org"] == "norrmalm"
    messages = [x for x in lines if x["type"] == "message"]
    assert {m["direction"] for m in messages} == {"in", "out"} and all(m["case"] == cases[0]["ref"] for m in messages)
    assert [x for x in lines if x["type"] == "event"]
    text = out.read_text(encoding="utf-8")
    for personal in (CITIZEN, "070-123 45 67", "Storgatan 5", "Öberg"):
        assert personal not in text
    assert "[telefon]" in text
    assert "1 cases" in stdout


async def test_sqlite_backup_is_a_working_copy_of_one_moment(make_world: Any, tmp_path: Path) -> None:
    world: World = make_world({})
    world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
    await world.run_once(NOW)
    out = tmp_path / "backup.db"
    rc, stdout, err = world.cli("backup", "--out", str(out))
    assert rc == 0, err
    src = sqlite3.connect(world.store.sqlite_path())
    dst = sqlite3.connect(out)
    for table in ("cases", "messages", "outbox", "people", "case_events"):
        assert src.execute(f"select count(*) from {table}").fetchone() == dst.execute(
            f"select count(*) from {table}").fetchone()
    assert dst.execute("select count(*) from cases").fetchone()[0] == 1
    rc, _, err = world.cli("backup", "--out", str(out))
    assert rc == 1 and "exists already" in err


async def test_postgresql_backup_is_a_pg_dump_that_restores(pg_server: str, dovecot: Any, smtp: Any,
                                                            tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from mailflow.adapters.backup import pg_dump_binary
    from mailflow.adapters.store import make_engine
    from mailflow.migrate import upgrade

    name = f"mf_backup_{os.getpid()}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_restored"'))
        conn.execute(text(f'CREATE DATABASE "{name}_restored"'))
    url = make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    world = World(tmp_path, dovecot, smtp, url)
    try:
        world.deliver(mails.NORRMALM, mails.build(), ARRIVAL)
        await world.run_once(NOW)
        out = tmp_path / "mailflow.dump"
        rc, printed, err = world.cli("backup", "--out", str(out), "--print")
        assert rc == 0 and "--serializable-deferrable" in printed and "--format=custom" in printed
        rc, stdout, err = world.cli("backup", "--out", str(out))
        assert rc == 0, err
        restored = make_url(pg_server).set(database=f"{name}_restored")
        pg_restore = str(Path(pg_dump_binary()).with_name("pg_restore"))
        conninfo = restored.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
        env = {**os.environ, **({"PGPASSWORD": restored.password} if restored.password else {})}
        subprocess.run([pg_restore, "--no-owner", f"--dbname={conninfo}", str(out)], env=env, check=True,
                       capture_output=True)
        check = create_engine(restored.render_as_string(hide_password=False))
        with check.connect() as conn:
            assert conn.execute(text("select count(*) from cases")).scalar() == 1
            assert conn.execute(text("select count(*) from outbox")).scalar() >= 2
        check.dispose()
    finally:
        world.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_restored" WITH (FORCE)'))
        admin.dispose()
