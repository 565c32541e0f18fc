#!/usr/bin/env python3
"""How long a citizen waits: APPEND to the acknowledgment arriving at the SMTP listener, with `run` watching.

    .venv/bin/python -m bench.latency [--mails 200] [--seed 1] [--json]

Starts its own Dovecot and an SMTP listener that records arrival times, runs
`mailflow run` (IDLE on the complaints mailbox) as a user would, waits until it
watches, then APPENDs complaints from distinct citizens at random intervals of
0.1–2 s and reports, per mail, the time from the APPEND returning to its
acknowledgment arriving: p50, p95, max. Writes the result to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from mailflow.testing.dovecot import Dovecot, free_port  # noqa: E402
from mailflow.testing.storm import COMPLAINTS, Recorder, complaint, write_config  # noqa: E402

# where the figures go (MAILFLOW_BENCH_RESULTS: elsewhere, e.g. the smoke test's temporary folder)
RESULTS = Path(os.environ.get("MAILFLOW_BENCH_RESULTS") or ROOT / "bench" / "results")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mails", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rnd = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="mailflow-latency-"))
    tmp.chmod(0o755)
    dovecot = Dovecot(tmp / "dovecot").start()
    recorder = Recorder()
    sink = Controller(recorder, hostname="127.0.0.1", port=free_port())
    sink.start()
    proc = None
    try:
        ns = "l" + uuid.uuid4().hex[:8]
        config, env = write_config(tmp, dovecot, sink.port, f"sqlite:///{tmp / 'latency.db'}", ns)
        subprocess.run([sys.executable, "-m", "mailflow", "--config", str(config), "db", "upgrade"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        log = open(tmp / "run.log", "wb")  # noqa: SIM115  (the child keeps it)
        proc = subprocess.Popen([sys.executable, "-m", "mailflow", "--config", str(config), "run"], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while b"event=watching mailbox=norrmalm:complaints" not in (tmp / "run.log").read_bytes():
            if time.monotonic() > deadline:
                raise RuntimeError("mailflow run did not start watching")
            time.sleep(0.1)
        time.sleep(1.0)
        appended: dict[str, float] = {}
        conn = dovecot.connect(f"{ns}-{COMPLAINTS}")
        for i in range(args.mails):
            raw = complaint(i, rnd)
            conn.append("INBOX", "", None, raw)
            appended[f"medborgare{i}@example.com"] = time.monotonic()
            time.sleep(rnd.uniform(0.1, 2.0))
        conn.logout()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with recorder.lock:
                got = {r for d in recorder.deliveries if d.purpose == "ack" for r in d.rcpts}
            if set(appended) <= got:
                break
            time.sleep(0.2)
        first: dict[str, float] = {}
        with recorder.lock:
            for d in recorder.deliveries:
                if d.purpose == "ack":
                    for r in d.rcpts:
                        first.setdefault(r, d.at)
        waits = [first[c] - t for c, t in appended.items() if c in first]
        result = {
            "mails": args.mails, "acknowledged": len(waits),
            "p50_s": round(statistics.median(waits), 3) if waits else None,
            "p95_s": round(percentile(waits, 0.95), 3) if waits else None,
            "max_s": round(max(waits), 3) if waits else None,
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"latency-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2) if args.json else
              f"{result['acknowledged']}/{args.mails} acknowledged; APPEND to acknowledgment: p50 {result['p50_s']} s, "
              f"p95 {result['p95_s']} s, max {result['max_s']} s")
        return 0
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        sink.stop()
        dovecot.stop()
        if (tmp / "run.log").exists():
            shutil.copy(tmp / "run.log", "/tmp/latency-run.log")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
