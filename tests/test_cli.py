"""The command line as an operator uses it: real processes, clear errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailflow.migrate import head_revision
from mailflow.testing.tomlw import dumps
from tests import mails
from tests.conftest import ROOT, World


@pytest.fixture
def world(make_world) -> World:  # type: ignore[no-untyped-def]
    """The command line is the same on both databases: SQLite is enough here."""
    return make_world({})  # type: ignore[no-any-return]

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")


def mailflow(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailflow", "--config", str(config), *args],
        capture_output=True, text=True, env=env or dict(os.environ), cwd=ROOT, timeout=120,
    )


def test_db_upgrade_creates_the_schema_and_commands_refuse_before_it(tmp_path: Path, world: World) -> None:
    env = {**world.env, "MAILFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    before = mailflow(world.config_path, "cases", env=env)
    assert before.returncode == 1
    assert "mailflow db upgrade" in before.stderr and "Traceback" not in before.stderr

    up = mailflow(world.config_path, "db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    head = head_revision()
    assert f"database at {head} (was empty" in up.stdout

    after = mailflow(world.config_path, "cases", env=env)
    assert after.returncode == 0 and "no cases" in after.stdout
    again = mailflow(world.config_path, "db", "upgrade", env=env)
    assert again.returncode == 0 and f"was {head}" in again.stdout


def test_run_once_with_now_then_case_json_over_the_real_command_line(world: World) -> None:
    world.deliver(mails.NACKA, mails.build(to=mails.NACKA, subject="Kall mat på Sofiero",
                                           body="Maten på Sofiero är kall varje dag. Det är inte okej.\n"),
                  datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    run = mailflow(world.config_path, "run", "--once", "--now", "2026-03-02T10:00", env=world.env)
    assert run.returncode == 0, run.stderr
    assert "1 registered" in run.stdout and "NK-2026-0001" in run.stdout
    assert "mails sent 2" in run.stdout

    case = mailflow(world.config_path, "case", "NK-2026-0001", "--json", env=world.env)
    assert case.returncode == 0, case.stderr
    data = json.loads(case.stdout)
    assert data["ref"] == "NK-2026-0001" and data["unit"] == "sofiero"
    assert data["first_response_due"] == "2026-03-09" and data["feedback_due"] == "2026-03-16"
    assert "marta" not in case.stdout.lower() and "@example.com" not in case.stdout

    listing = mailflow(world.config_path, "cases", "--org", "nacka", env=world.env)
    assert listing.returncode == 0
    assert "NK-2026-0001" in listing.stdout and "sofiero" in listing.stdout

    human = mailflow(world.config_path, "case", "nk-2026-0001", env=world.env)
    assert human.returncode == 0
    assert "timeline:" in human.stdout and "ack" in human.stdout and "forward" in human.stdout
    assert "Maten på Sofiero är kall" in human.stdout


def test_unknown_case_and_bad_now_are_clear_errors(world: World) -> None:
    missing = mailflow(world.config_path, "case", "NM-2099-9999", env=world.env)
    assert missing.returncode == 1
    assert "no case 'NM-2099-9999'" in missing.stderr and "Traceback" not in missing.stderr
    bad = mailflow(world.config_path, "run", "--once", "--now", "igår", env=world.env)
    assert bad.returncode == 1 and "--now" in bad.stderr and "Traceback" not in bad.stderr


def test_bad_config_is_refused_with_file_key_and_reason(tmp_path: Path, world: World) -> None:
    broken = tmp_path / "broken"
    (broken / "organizations").mkdir(parents=True)
    (broken / "mailflow.toml").write_text(world.config_path.read_text(encoding="utf-8"), encoding="utf-8")
    org = (world.dir / "organizations" / "nacka.toml").read_text(encoding="utf-8")
    org = org.replace('manager = "enhetschef.sofiero@nacka.example.se"', 'manager = "enhetschef.sofiero"')
    (broken / "organizations" / "nacka.toml").write_text(org, encoding="utf-8")
    result = mailflow(broken / "mailflow.toml", "check-config", env=world.env)
    assert result.returncode == 1
    assert "nacka.toml" in result.stderr
    assert 'units[0] (id "sofiero").manager' in result.stderr
    assert "not an e-mail address" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_reaches_every_mailbox_and_smtp(world: World, tmp_path: Path) -> None:
    ok = mailflow(world.config_path, "check-config", env=world.env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("ok    IMAP") == 4 and "ok    SMTP" in ok.stdout
    assert "ok    template ack (sv) for norrmalm" in ok.stdout
    assert "ok    template ack (fi) for norrmalm" in ok.stdout  # every language the organization lists

    import tomllib

    cfg = tomllib.loads(world.config_path.read_text(encoding="utf-8"))
    cfg["smtp"]["port"] = 1  # nothing listens there
    cfg["service"]["organizations_dir"] = str(world.dir / "organizations")
    (tmp_path / "bad.toml").write_text(dumps(cfg), encoding="utf-8")
    env = {k: v for k, v in world.env.items() if k != "NACKA_IMAP_PASSWORD"}
    bad = mailflow(tmp_path / "bad.toml", "check-config", env=env)
    assert bad.returncode == 1
    assert "FAIL  SMTP 127.0.0.1:1" in bad.stdout
    assert "NACKA_IMAP_PASSWORD: not set" in bad.stdout
    assert "configuration has problems" in bad.stdout
