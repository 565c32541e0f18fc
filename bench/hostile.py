#!/usr/bin/env python3
"""Hostile mail through `mailflow run --once`, counted per kind of breakage.

    .venv/bin/python -m bench.hostile [--messages 5000] [--seed 1] [--json]

Generates mutated messages (tests/hostile.py: NUL bytes, broken boundaries,
unknown and lying charsets, raw 8-bit headers, truncation, CR-only lines, bad
base64 and quoted-printable, duplicated headers, broken addresses, injection,
10-deep nesting, garbage, empty), APPENDs them to a throwaway Dovecot (noting
what the server refuses), adds one well-formed complaint at the end, runs one
`mailflow run --once` as a user would, and counts for each kind: offered,
refused by the server, registered or threaded, screened (auto-reply, bounce,
bulk), quarantined, and lost (accepted but on no record: must be 0). The last
line says whether the well-formed complaint after the batch was acknowledged.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from mailflow.testing.dovecot import Dovecot, free_port  # noqa: E402
from mailflow.testing.storm import COMPLAINTS, Recorder, write_config  # noqa: E402
from tests import hostile, mails  # noqa: E402

_APPENDUID = re.compile(rb"APPENDUID (\d+) (\d+)")


def append(conn: imaplib.IMAP4, raw: bytes) -> int | None:
    try:
        typ, data = conn.append("INBOX", "", None, raw)
    except imaplib.IMAP4.error:
        return None
    if typ != "OK":
        return None
    m = _APPENDUID.search(b" ".join(d for d in data if isinstance(d, bytes)))
    return int(m.group(2)) if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mailflow-hostile-"))
    tmp.chmod(0o755)
    dovecot = Dovecot(tmp / "dovecot").start()
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        ns = "h" + uuid.uuid4().hex[:8]
        config, env = write_config(tmp, dovecot, controller.port, f"sqlite:///{tmp / 'hostile.db'}", ns)
        subprocess.run([sys.executable, "-m", "mailflow", "--config", str(config), "db", "upgrade"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        conn = dovecot.connect(f"{ns}-{COMPLAINTS}")
        kinds: dict[int, list[str]] = {}
        offered: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        for n in range(args.messages):
            raw, done = hostile.mutated(args.seed, n)
            for k in done:
                offered[k] += 1
            uid = append(conn, raw)
            if uid is None:
                for k in done:
                    refused[k] += 1
            else:
                kinds[uid] = done
        canary = f"kanarie-{uuid.uuid4().hex[:6]}@example.com"
        append(conn, mails.build(frm=f"Kanarie <{canary}>", subject="Hemtjänsten kom inte"))
        conn.logout()
        t0 = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "mailflow", "--config", str(config), "run", "--once"], cwd=ROOT,
                             env=env, capture_output=True, text=True)
        seconds = time.monotonic() - t0
        from sqlalchemy import create_engine, select

        from mailflow.adapters.tables import ImapUidRow

        engine = create_engine(f"sqlite:///{tmp / 'hostile.db'}")
        with engine.connect() as c:
            outcome = {uid: out for uid, out in c.execute(
                select(ImapUidRow.uid, ImapUidRow.outcome).where(ImapUidRow.mailbox == "norrmalm:complaints"))}
        engine.dispose()
        per: dict[str, Counter[str]] = defaultdict(Counter)
        for uid, done in kinds.items():
            got = outcome.get(uid, "lost")
            group = {"registered": "registered", "threaded": "registered", "duplicate": "duplicate",
                     "quarantined": "quarantined", "lost": "lost"}.get(got, "screened")
            for k in done:
                per[k][group] += 1
        left = len(dovecot.messages(f"{ns}-{COMPLAINTS}"))
        acked = any(canary in d.rcpts for d in recorder.deliveries)
        result = {
            "messages": args.messages, "seed": args.seed, "accepted_by_server": len(kinds),
            "run_exit_code": run.returncode, "run_seconds": round(seconds, 1), "left_in_inbox": left,
            "lost": sum(c["lost"] for c in per.values()), "canary_acknowledged": acked,
            "traceback_in_log": "Traceback" in run.stderr,
            "per_kind": {k: {"offered": offered[k], "refused_by_server": refused[k], **per[k]} for k in sorted(offered)},
        }
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(f"{'kind':<20} {'offered':>8} {'refused':>8} {'registered':>10} {'screened':>9} "
                  f"{'quarantined':>11} {'duplicate':>9} {'lost':>5}")
            for k, c in sorted(result["per_kind"].items()):
                print(f"{k:<20} {c['offered']:>8} {c['refused_by_server']:>8} {c.get('registered', 0):>10} "
                      f"{c.get('screened', 0):>9} {c.get('quarantined', 0):>11} {c.get('duplicate', 0):>9} "
                      f"{c.get('lost', 0):>5}")
            print({k: v for k, v in result.items() if k != "per_kind"})
        return 0 if result["lost"] == 0 and acked and left == 0 and run.returncode in (0, 3) else 1
    finally:
        controller.stop()
        dovecot.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
