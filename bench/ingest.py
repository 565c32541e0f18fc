#!/usr/bin/env python3
"""Ingest, delivery and end-to-end throughput against the machine's limit and the peer.

    .venv/bin/python -m bench.ingest --messages N [--repeats 3] [--peer] [--db sqlite|postgresql] [--json]

Starts its own Dovecot and an SMTP listener (aiosmtpd, recording only) on
loopback, generates N messages with ../shared/bench/gen_corpus.py (--seed 1), and
measures, `--repeats` times each (median, min, max):

- limit: what the parts themselves cost: imap-tools bulk fetch, mail-parser, one
  SQLite row and UID MOVE per message, committing each message and per 100;
- smtp limit: raw aiosmtplib over one reused connection, mails of the size of an
  acknowledgment;
- ingest: mailflow from a full mailbox to committed cases with their
  acknowledgments and forwards queued and the messages moved (nothing sent), in a
  child process of its own (its CPU time and peak RSS are its own);
- delivery: that outbox to the listener, mails/s;
- end to end: `mailflow run --once` as a user runs it, from a full mailbox to every
  mail delivered (process start included);
- with --peer, django-helpdesk's get_email on the same corpus
  (../shared/bench/peer/run_peer.sh), which renders its auto-replies but sends nothing.

Prints a table (or with --json one object) and writes it to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from mailflow.testing.dovecot import Dovecot, free_port  # noqa: E402
from mailflow.testing.storm import COMPLAINTS, Recorder, write_config  # noqa: E402

GEN = ROOT.parent / "shared" / "bench" / "gen_corpus.py"
PEER = ROOT.parent / "shared" / "bench" / "peer" / "run_peer.sh"
# where the figures go (MAILFLOW_BENCH_RESULTS: elsewhere, e.g. the smoke test's temporary folder)
RESULTS = Path(os.environ.get("MAILFLOW_BENCH_RESULTS") or ROOT / "bench" / "results")


def corpus(n: int, tmp: Path) -> list[bytes]:
    out = tmp / f"corpus-{n}"
    if not out.exists():
        subprocess.run([sys.executable, str(GEN), "-n", str(n), "--seed", "1", "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
    return [p.read_bytes() for p in sorted(out.glob("*.eml"))]


def fill(dovecot: Dovecot, user: str, messages: list[bytes]) -> None:
    conn = dovecot.connect(user)
    try:
        for raw in messages:
            conn.append("INBOX", "", None, raw)
    finally:
        conn.logout()


def stats(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 1), "min": round(min(values), 1), "max": round(max(values), 1)}


# -- the limit ---------------------------------------------------------------------------------------------

def limit_pass(dovecot: Dovecot, user: str, db: Path, per: int) -> float:
    """Fetch in bulk, parse, one row each, commit every `per` messages, MOVE; messages per second."""
    import sqlite3

    import mailparser
    from imap_tools import MailBoxUnencrypted

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS m (id INTEGER PRIMARY KEY, message_id TEXT UNIQUE, subject TEXT, body TEXT)")
    t0 = time.perf_counter()
    n = 0
    from mailflow.adapters.imap import _refresh_capabilities

    with MailBoxUnencrypted(dovecot.host, dovecot.port).login(user, dovecot.password) as box:
        _refresh_capabilities(box.client)  # MOVE is announced after login
        if not box.folder.exists("Processed"):
            box.folder.create("Processed")
        uids = box.uids("ALL")
        for i in range(0, len(uids), 100):
            chunk = uids[i:i + 100]
            done = []
            for msg in box.fetch(f"{','.join(chunk)}", mark_seen=False, bulk=True, headers_only=False):
                mp = mailparser.parse_from_bytes(msg.obj.as_bytes())
                conn.execute("INSERT OR IGNORE INTO m (message_id, subject, body) VALUES (?, ?, ?)",
                             (mp.message_id or uuid.uuid4().hex, mp.subject, mp.body[:2000]))
                n += 1
                done.append(msg.uid)
                if n % per == 0:
                    conn.commit()
            conn.commit()
            box.move(done, "Processed")
    seconds = time.perf_counter() - t0
    conn.close()
    return n / seconds


async def smtp_limit(port: int, n: int) -> float:
    import aiosmtplib

    payload = (b"From: a@example.se\r\nTo: b@example.se\r\nSubject: x\r\nMessage-ID: <%d@x>\r\n\r\n" +
               b"Tack f\xc3\xb6r ditt klagom\xc3\xa5l.\r\n" * 60)
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await client.connect()
    t0 = time.perf_counter()
    for i in range(n):
        await client.sendmail("a@example.se", ["b@example.se"], payload.replace(b"%d", str(i).encode()))
    seconds = time.perf_counter() - t0
    await client.quit()
    return n / seconds


# -- mailflow, in a child process ------------------------------------------------------------------------------

def child(config: str, mode: str) -> None:
    """ingest (mailboxes only, nothing sent) or deliver (the outbox only); one JSON line."""
    from mailflow import config as config_mod
    from mailflow.adapters.store import Store
    from mailflow.clock import SystemClock
    from mailflow.service import Service

    cfg = config_mod.load(config)
    service = Service(cfg, Store(cfg.service.database_url), SystemClock())
    profile = os.environ.get("MAILFLOW_BENCH_PROFILE")  # a file: cProfile's statistics of this mode
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    count = 0
    if mode == "ingest":
        service.enter_worker("bench")
        for w in service.mailboxes():
            count += sum(service.pass_mailbox(w).outcomes.values())
        service.leave_worker()
    else:
        count = asyncio.run(service.send_outbox()).sent
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{mode}")
    print(json.dumps({"count": count, "seconds": seconds, "cpu": cpu,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_child(config: Path, env: dict[str, str], mode: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.ingest", "--child", mode, str(config)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# A small launcher between the benchmark and the measured process: Linux counts, in a process's peak
# RSS, the memory of the process it was forked from (it carries over the exec); forked from a bare
# Python, the measured process's figure is its own.
_LAUNCH = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[1], sys.argv[1:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "sys.stderr.write('\\nMAILFLOW-BENCH-USAGE %d %.3f\\n' % (usage.ru_maxrss, usage.ru_utime + usage.ru_stime))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def measured(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command; its own wall time, CPU and peak RSS (the process and what it waited for)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        code = subprocess.call([sys.executable, "-S", "-c", _LAUNCH, *cmd], cwd=ROOT, env=env, stdout=out, stderr=err)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        usage = [line.split() for line in stderr.splitlines() if line.startswith("MAILFLOW-BENCH-USAGE")][-1]
        return {"seconds": seconds, "cpu": float(usage[2]), "peak_rss_mb": int(usage[1]) / 1024,
                "exit_code": code, "stdout": out.read().decode(errors="replace"), "stderr": stderr}


def end_to_end(config: Path, env: dict[str, str]) -> dict[str, Any]:
    return measured([sys.executable, "-m", "mailflow", "--config", str(config), "run", "--once"], env)


class World:
    """A fresh database and mailbox namespace per repeat, on the shared servers."""

    def __init__(self, tmp: Path, dovecot: Dovecot, smtp_port: int, db: str, pg_url: str | None) -> None:
        self.ns = "b" + uuid.uuid4().hex[:8]
        self.dir = tmp / self.ns
        self.dir.mkdir()
        if db == "sqlite":
            url = f"sqlite:///{self.dir / 'mailflow.db'}"
        else:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            assert pg_url is not None
            name = f"mf_bench_{self.ns}"
            admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        self.config, self.env = write_config(self.dir, dovecot, smtp_port, url, self.ns)
        subprocess.run([sys.executable, "-m", "mailflow", "--config", str(self.config), "db", "upgrade"], cwd=ROOT,
                       env=self.env, check=True, capture_output=True)
        self.mailbox = f"{self.ns}-{COMPLAINTS}"


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version(), "cores": str(os.cpu_count()), "machine": platform.machine()}
    for pkg in ("mailflow", "imap-tools", "aiosmtplib", "mail-parser", "sqlalchemy", "psycopg"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001
            out[pkg] = "?"
    dv = subprocess.run(["dovecot", "--version"], capture_output=True, text=True)
    out["dovecot"] = dv.stdout.strip()
    return out


def peer(n: int, repeats: int) -> dict[str, Any] | None:
    if not PEER.exists():
        return None
    out = subprocess.run(["bash", str(PEER), str(n), str(repeats)], capture_output=True, text=True)
    for line in reversed(out.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    return {"error": out.stderr[-500:]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "CONFIG"))
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[1], args.child[0])
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    tmp.chmod(0o755)
    dovecot = Dovecot(tmp / "dovecot").start()
    recorder = Recorder()
    sink = Controller(recorder, hostname="127.0.0.1", port=free_port())
    sink.start()
    pg = None
    pg_url = os.environ.get("MAILFLOW_TEST_POSTGRES_URL")
    if args.db == "postgresql" and not pg_url:
        from mailflow.testing.postgres import Postgres

        pg = Postgres(tmp / "postgres").start()
        pg_url = pg.url
    try:
        messages = corpus(args.messages, tmp)
        n = len(messages)
        runs: dict[str, list[float]] = {k: [] for k in (
            "limit_each", "limit_per_100", "smtp_limit", "ingest", "ingest_cpu_ms", "delivery", "end_to_end",
            "end_to_end_cpu_ms", "ingest_rss", "end_to_end_rss")}
        mails = 0
        for _ in range(args.repeats):
            for per, key in ((1, "limit_each"), (100, "limit_per_100")):
                user = f"l{uuid.uuid4().hex[:8]}-{COMPLAINTS}"
                fill(dovecot, user, messages)
                runs[key].append(limit_pass(dovecot, user, tmp / f"limit-{uuid.uuid4().hex[:6]}.db", per))
            runs["smtp_limit"].append(asyncio.run(smtp_limit(sink.port, 2000)))
            w = World(tmp, dovecot, sink.port, args.db, pg_url)
            fill(dovecot, w.mailbox, messages)
            ing = run_child(w.config, w.env, "ingest")
            runs["ingest"].append(ing["count"] / ing["seconds"])
            runs["ingest_cpu_ms"].append(ing["cpu"] / max(ing["count"], 1) * 1000)
            runs["ingest_rss"].append(ing["peak_rss_mb"])
            dl = run_child(w.config, w.env, "deliver")
            mails = dl["count"]
            runs["delivery"].append(dl["count"] / dl["seconds"])
            e = World(tmp, dovecot, sink.port, args.db, pg_url)
            fill(dovecot, e.mailbox, messages)
            ee = end_to_end(e.config, e.env)
            runs["end_to_end"].append(n / ee["seconds"])
            runs["end_to_end_cpu_ms"].append(ee["cpu"] / n * 1000)
            runs["end_to_end_rss"].append(ee["peak_rss_mb"])
        result: dict[str, Any] = {k: stats(v) for k, v in runs.items()}
        peer_result = peer(n, args.repeats) if args.peer else None
        med = {k: v["median"] for k, v in result.items()}
        peer_rate = (peer_result or {}).get("median_msgs_per_s")
        summary = {
            "n": n, "db": args.db, "repeats": args.repeats, "mails_delivered": mails,
            "mailflow_msgs_per_s": med["ingest"], "limit_msgs_per_s": med["limit_each"],
            "limit_per_100_msgs_per_s": med["limit_per_100"], "peer_msgs_per_s": peer_rate,
            "ratio_to_limit": round(med["ingest"] / med["limit_each"], 2),
            "ratio_to_peer": round(med["ingest"] / peer_rate, 2) if peer_rate else None,
            "delivery_mails_per_s": med["delivery"], "smtp_limit_mails_per_s": med["smtp_limit"],
            "ratio_delivery_to_smtp_limit": round(med["delivery"] / med["smtp_limit"], 2),
            "end_to_end_msgs_per_s": med["end_to_end"],
            "end_to_end_ratio_to_peer": round(med["end_to_end"] / peer_rate, 2) if peer_rate else None,
            "cpu_ms_per_msg_ingest": med["ingest_cpu_ms"], "cpu_ms_per_msg_end_to_end": med["end_to_end_cpu_ms"],
            "peak_rss_mb": med["end_to_end_rss"], "peak_rss_mb_ingest": med["ingest_rss"],
            "peer_peak_rss_mb": (peer_result or {}).get("median_peak_rss_mb"),
            "runs": result, "peer": peer_result, "versions": versions(),
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"ingest-{args.db}-{n}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json"
        out.write_text(json.dumps(summary, indent=2) + "\n")
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            for k, v in summary.items():
                if k not in ("runs", "versions", "peer"):
                    print(f"{k:>30}: {v}")
            for k, v in result.items():
                print(f"{k:>30}: median {v['median']}, min {v['min']}, max {v['max']}")
            print(f"{'written':>30}: {out}")
        return 0
    finally:
        sink.stop()
        dovecot.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
