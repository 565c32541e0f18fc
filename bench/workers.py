#!/usr/bin/env python3
"""Throughput of 1, 2 and 3 `mailflow run` processes on one PostgreSQL database and the same backlog.

    .venv/bin/python -m bench.workers [--messages 2000] [--workers 1,2,3] [--json]

For each count: a fresh database and mailbox filled with the benchmark corpus,
that many `mailflow run` processes started together, timed from their start
until the mailbox is empty and every acknowledgment and forward has reached the
SMTP listener; then SIGTERM. Checks that every message became one case.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from bench.ingest import RESULTS, World, corpus, fill  # noqa: E402
from mailflow.testing.dovecot import Dovecot, free_port  # noqa: E402
from mailflow.testing.storm import Recorder  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--workers", default="1,2,3")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mailflow-workers-"))
    tmp.chmod(0o755)
    dovecot = Dovecot(tmp / "dovecot").start()
    recorder = Recorder()
    sink = Controller(recorder, hostname="127.0.0.1", port=free_port())
    sink.start()
    pg = None
    pg_url = os.environ.get("MAILFLOW_TEST_POSTGRES_URL")
    if not pg_url:
        from mailflow.testing.postgres import Postgres

        pg = Postgres(tmp / "postgres").start()
        pg_url = pg.url
    rows = []
    try:
        messages = corpus(args.messages, tmp)
        for count in [int(x) for x in args.workers.split(",")]:
            w = World(tmp, dovecot, sink.port, "postgresql", pg_url)
            fill(dovecot, w.mailbox, messages)
            with recorder.lock:
                recorder.deliveries.clear()
            t0 = time.monotonic()
            procs = [subprocess.Popen([sys.executable, "-m", "mailflow", "--config", str(w.config), "run"], cwd=ROOT,
                                      env=w.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(count)]
            expected = None
            while time.monotonic() - t0 < 1800:
                time.sleep(0.5)
                if dovecot.messages(w.mailbox):
                    continue
                if expected is None:
                    from sqlalchemy import create_engine, func, select

                    from mailflow.adapters.tables import CaseRow, OutboxRow

                    engine = create_engine(w.env["MAILFLOW_DATABASE_URL"])
                    with engine.connect() as c:
                        expected = c.execute(select(func.count(OutboxRow.id))).scalar_one()
                        cases = c.execute(select(func.count(CaseRow.id))).scalar_one()
                    engine.dispose()
                with recorder.lock:
                    if len(recorder.deliveries) >= expected:
                        break
            seconds = time.monotonic() - t0
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(timeout=60)
            row = {"workers": count, "messages": len(messages), "seconds": round(seconds, 1),
                   "msgs_per_s": round(len(messages) / seconds, 1), "mails": len(recorder.deliveries),
                   "cases": cases}
            rows.append(row)
            print(json.dumps(row), flush=True)
        result = {"rows": rows, "cores": os.cpu_count(), "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"workers-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json").write_text(json.dumps(result, indent=2))
        if args.json:
            print(json.dumps(result, indent=2))
        return 0
    finally:
        sink.stop()
        dovecot.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
