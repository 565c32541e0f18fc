"""`mailflow run` as a service: IDLE pickup, reconnect after a dropped connection, clean SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import mails
from tests.conftest import ROOT, World

pytestmark = pytest.mark.integration


def wait_for(check: Callable[[], bool], timeout: float = 30.0, step: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return False


def case_count(world: World) -> int:
    return len(world.cases())


def test_run_watches_reconnects_and_stops_cleanly_on_sigterm(make_world) -> None:  # type: ignore[no-untyped-def]
    # Norrmalm's complaints mailbox is watched with IDLE, Nacka's by polling (every second here)
    world: World = make_world({"nacka": {"imap": {"idle": False}}})
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailflow", "--config", str(world.config_path), "run"],
        cwd=ROOT, env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        world.deliver(mails.NORRMALM, mails.build())
        assert wait_for(lambda: case_count(world) == 1), "first message not registered"
        assert wait_for(lambda: len(world.mailbox("asa.oberg@example.com")) == 1), "no acknowledgment sent"

        # IDLE: a message arriving while the service waits is picked up promptly
        t0 = time.monotonic()
        world.deliver(mails.NORRMALM, mails.build(frm="Karl Ek <karl.ek@example.com>"))
        assert wait_for(lambda: case_count(world) == 2, timeout=15), "IDLE did not notice new mail"
        picked_up = time.monotonic() - t0

        # polling: the same for a mailbox watched without IDLE
        world.deliver(mails.NACKA, mails.html_only_complaint(mails.mid()))
        assert wait_for(lambda: case_count(world) == 3, timeout=15), "polling did not notice new mail"

        # the server drops every connection; the watcher reconnects and carries on
        world.dovecot.kick(world.user(mails.NORRMALM))
        time.sleep(1.0)
        world.deliver(mails.NORRMALM, mails.latin1_complaint(mails.mid()))
        if not wait_for(lambda: case_count(world) == 4, timeout=40):
            proc.kill()
            pytest.fail("no reconnect after the kick:\n" + (proc.stderr.read() if proc.stderr else "")[-3000:])

        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read() if proc.stderr else ""
    assert rc == 0, err[-2000:]
    assert "event=stopped" in err
    assert "Traceback" not in err
    assert picked_up < 10
    assert len(world.mailbox("goran.lovgren@example.net")) == 1
    assert "event=mailbox_unreachable mailbox=norrmalm:complaints" in err  # it noticed the drop
    year = datetime.now(ZoneInfo("Europe/Stockholm")).year
    refs = sorted(c["ref"] for c in world.cases())
    assert refs == [f"NK-{year}-0001", f"NM-{year}-0001", f"NM-{year}-0002", f"NM-{year}-0003"]
    assert "event=watching mailbox=nacka:complaints idle=False" in err  # offered, but switched off
    assert "event=watching mailbox=norrmalm:complaints idle=True" in err
    assert len(world.mailbox("karl.ek@example.com")) == 1


async def test_a_burst_worked_out_ahead_in_the_parsing_process_registers_what_the_pipeline_computes(
        world: World) -> None:
    """A burst (more than POOL_FROM messages) is parsed, classified, routed and de-identified ahead in the
    parsing process; the register holds exactly what the pipeline computes on its own."""
    import json
    from typing import Any

    from mailflow.model import Mail
    from mailflow.pipeline import ahead
    from mailflow.pipeline.classify import Classify
    from mailflow.pipeline.deidentify import Deidentify
    from mailflow.pipeline.parse import parse_bytes
    from mailflow.pipeline.route import Route
    from mailflow.service import POOL_FROM

    corpus = ROOT / "tests" / "corpus_blind2"
    labels = [json.loads(line) for line in (corpus / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    raws = [(corpus / lab["file"]).read_bytes() for lab in labels if lab["org"] == "norrmalm"][: POOL_FROM + 6]
    for raw in raws:
        world.deliver(mails.NORRMALM, raw)
    org = world.org("norrmalm")
    ctx: Any = ahead._OrgOnly(org)
    expected = {}
    for raw in raws:
        p = parse_bytes(raw)
        assert not isinstance(p, str)
        m = Mail(source=None, raw=raw, parsed=p)  # type: ignore[arg-type]  (no source needed)
        for step in (Classify(), Route(), Deidentify()):
            m = step.run(m, ctx)
        assert m.classification is not None and m.routing is not None
        expected[p.message_id] = (m.classification.kind.value, m.routing.unit_id, m.clean_text)
    before = ahead.used["results"]
    report = await world.run_once()
    assert report.outcomes["registered"] == len(raws), report
    assert ahead.used["results"] - before >= 4 * len(raws)  # the results were taken, not computed again
    got = {}
    for c in world.cases():
        case = world.case(c["ref"])
        first = next(m for m in case["messages"] if m["direction"] == "in")
        got[first["message_id"]] = (case["kind"], case["unit"], first["text"])
    assert got == expected


def test_the_parsing_process_ends_when_the_service_is_killed(tmp_path: Path) -> None:
    """SIGKILL leaves no parsing process (nor its forkserver) behind, waiting for ever."""
    from mailflow.follow import gone

    script = tmp_path / "service.py"
    script.write_text(
        "import os, sys, time\n"
        "from mailflow.service import parser_pool\n"
        "if __name__ == '__main__':\n"
        "    pool = parser_pool(1)\n"
        "    assert pool.submit(abs, -1).result() == 1\n"
        "    print(' '.join(str(p) for p in [os.getpid(), *pool._processes]), flush=True)\n"
        "    time.sleep(120)\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    _service, *helpers = (int(p) for p in proc.stdout.readline().split())
    assert helpers and not any(gone(p) for p in helpers)
    stat = Path(f"/proc/{helpers[0]}/stat").read_bytes()
    server = int(stat.rsplit(b")", 1)[1].split()[1])  # its parent: the forkserver
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert wait_for(lambda: all(gone(p) for p in [*helpers, server]), timeout=15), \
        [(p, gone(p)) for p in [*helpers, server]]
