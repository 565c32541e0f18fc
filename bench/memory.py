#!/usr/bin/env python3
"""Peak memory of `mailflow run --once` over a backlog with large attachments.

    .venv/bin/python -m bench.memory [--messages 10000] [--large-every 100] [--large-mb 25] [--json]

A corpus from ../shared/bench/gen_corpus.py with every `large-every`-th message
replaced by one carrying a `large-mb` attachment, APPENDed to a throwaway
Dovecot; one `run --once` as a user runs it (SQLite, an SMTP listener that
records only); its peak RSS (the largest of the process and its parsing
process), its wall time, what became of the messages and how large the
manager's forwards were.
"""

from __future__ import annotations

import argparse
import json
import shutil
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

from bench.ingest import RESULTS, corpus, measured  # noqa: E402
from mailflow.testing.dovecot import Dovecot, free_port  # noqa: E402
from mailflow.testing.storm import COMPLAINTS, Recorder, write_config  # noqa: E402
from tests import hostile  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--large-every", type=int, default=100)
    ap.add_argument("--large-mb", type=int, default=25)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mailflow-memory-"))
    tmp.chmod(0o755)
    dovecot = Dovecot(tmp / "dovecot").start()
    recorder = Recorder()
    sink = Controller(recorder, hostname="127.0.0.1", port=free_port(), data_size_limit=100 * 1024 * 1024)
    sink.start()
    try:
        ns = "m" + uuid.uuid4().hex[:8]
        config, env = write_config(tmp, dovecot, sink.port, f"sqlite:///{tmp / 'memory.db'}", ns)
        subprocess.run([sys.executable, "-m", "mailflow", "--config", str(config), "db", "upgrade"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        messages = corpus(args.messages, tmp)
        big = hostile.large(0, megabytes=int(args.large_mb * 4 / 3) + 1)  # an attachment of large_mb, base64-encoded
        conn = dovecot.connect(f"{ns}-{COMPLAINTS}")
        large = 0
        t0 = time.monotonic()
        for i, raw in enumerate(messages):
            if args.large_every and i % args.large_every == args.large_every - 1:
                raw = big.replace(b"Stor bilaga 0", f"Stor bilaga {i}".encode()).replace(
                    b"@hostile.example>", f".{i}@hostile.example>".encode(), 1)
                large += 1
            conn.append("INBOX", "", None, raw)
        conn.logout()
        filled = time.monotonic() - t0
        run = measured([sys.executable, "-m", "mailflow", "--config", str(config), "run", "--once"], env)
        seconds = run["seconds"]
        forwards = [len(d.rcpts) for d in recorder.deliveries if d.purpose == "forward"]
        result = {
            "messages": len(messages), "large": large, "large_mb": args.large_mb,
            "mailbox_bytes_mb": round((sum(len(m) for m in messages) + large * len(big)) / 1e6),
            "fill_seconds": round(filled, 1), "run_seconds": round(seconds, 1),
            "msgs_per_s": round(len(messages) / seconds, 1), "exit_code": run["exit_code"],
            "peak_rss_mb": round(run["peak_rss_mb"], 1), "cpu_s": round(run["cpu"], 1),
            "run_output": run["stdout"].strip().splitlines()[0] if run["stdout"].strip() else run["stderr"][-300:],
            "forwards": len(forwards), "mails_recorded": len(recorder.deliveries),
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"memory-{len(messages)}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json").write_text(
            json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2) if args.json else "\n".join(f"{k:>18}: {v}" for k, v in result.items()))
        return 0
    finally:
        sink.stop()
        dovecot.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
