#!/usr/bin/env python3
"""Throughput of one `run --once` pass over a realistic corpus, against the peer's numbers.

    .venv/bin/python bench/throughput.py [-n 500] [--repeats 3] [--db sqlite|postgresql]

Generates N messages with ../shared/bench/gen_corpus.py, APPENDs them to a throwaway
Dovecot (the Norrmalm complaints mailbox), and times one full pass in a child process:
fetch, parse, dedupe, screen, thread, classify, route, de-identify, act, commit, MOVE, and
sending every acknowledgment and forward to a local SMTP listener. Prints one JSON line
with the median messages per second and peak RSS, and checks that the Swedish canary line
of every message survived into the register. The peer (django-helpdesk 2.6.1 get_email,
../shared/bench/peer) measured about 53 msg/s and 70 MB on this kind of machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailflow.testing.dovecot import Dovecot  # noqa: E402
from mailflow.testing.smtpsink import SmtpSink  # noqa: E402
from mailflow.testing.tomlw import dumps  # noqa: E402

GEN = ROOT.parent / "shared" / "bench" / "gen_corpus.py"
PG = os.environ.get("MAILFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def write_config(tmp: Path, dovecot: Dovecot, smtp_port: int, db_url: str, ns: str) -> Path:
    cfg_dir = tmp / "config"
    (cfg_dir / "organizations").mkdir(parents=True)
    for path in sorted((ROOT / "config" / "organizations").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for section in ("imap", "registrar_imap"):
            data[section].update(host=dovecot.host, port=dovecot.port,
                                 username=f"{ns}-{data[section]['username']}", password_env="BENCH_PW")
        (cfg_dir / "organizations" / path.name).write_text(dumps(data), encoding="utf-8")
    svc = tomllib.loads((ROOT / "config" / "mailflow.toml").read_text(encoding="utf-8"))
    svc["service"].update(database_url=db_url, templates_dir=str(ROOT / "templates"), ack_limit_per_day=10_000)
    svc["smtp"]["port"] = smtp_port
    (cfg_dir / "mailflow.toml").write_text(dumps(svc), encoding="utf-8")
    return cfg_dir / "mailflow.toml"


def child(config: str) -> None:
    """The measured pass, in a process of its own so its peak RSS is its own."""
    import asyncio

    from mailflow import config as config_mod
    from mailflow.adapters.store import Store
    from mailflow.clock import SystemClock
    from mailflow.service import Service

    cfg = config_mod.load(config)
    store = Store(cfg.service.database_url)
    service = Service(cfg, store, SystemClock())
    profile_to = os.environ.get("MAILFLOW_BENCH_PROFILE")
    if profile_to:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    if profile_to:  # the mailboxes in this thread, so that the profiler sees them
        from mailflow.service import PassReport

        report = PassReport()
        for w in service.mailboxes():
            report.merge(service.pass_mailbox(w))
        t1 = time.perf_counter()
        report.sent, report.send_failed = asyncio.run(service.send_outbox())
        print(f"mailboxes {t1 - t0:.2f} s, outbox {time.perf_counter() - t1:.2f} s", file=sys.stderr)
    else:
        async def timed() -> tuple:
            from mailflow.service import PassReport

            rep = PassReport()
            for r in await asyncio.gather(*(asyncio.to_thread(service.pass_mailbox, w) for w in service.mailboxes())):
                rep.merge(r)
            t1 = time.perf_counter()
            rep.sent, rep.send_failed = await service.send_outbox()
            return rep, t1

        report, t1 = asyncio.run(timed())
        print(f"mailboxes {t1 - t0:.2f} s, outbox {time.perf_counter() - t1:.2f} s", file=sys.stderr)
    seconds = time.perf_counter() - t0
    if profile_to:
        prof.disable()
        prof.dump_stats(profile_to)
    print(json.dumps({
        "seconds": seconds,
        "outcomes": dict(report.outcomes),
        "sent": report.sent,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def canaries_kept(db_url: str, manifest: list[dict]) -> tuple[int, int]:
    from sqlalchemy import select

    from mailflow.adapters.store import Store
    from mailflow.adapters.tables import MessageRow

    store = Store(db_url)
    with store.transaction() as reg:
        texts = [t for (t,) in reg.session.execute(select(MessageRow.text).where(MessageRow.direction == "in"))]
    store.dispose()
    blob = "\n".join(texts)
    wanted = [m["canary"] for m in manifest if m.get("canary")]
    return sum(1 for c in wanted if c in blob), len(wanted)


def one_run(n: int, seed: int, db: str, dovecot: Dovecot, sink: SmtpSink) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    corpus = tmp / "corpus"
    subprocess.run([sys.executable, str(GEN), "-n", str(n), "--seed", str(seed), "--out", str(corpus)],
                   check=True, stdout=subprocess.DEVNULL)
    manifest = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    ns = "b" + uuid.uuid4().hex[:8]
    if db == "sqlite":
        db_url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        from sqlalchemy import create_engine, text

        name = f"mf_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        db_url = PG.rsplit("/", 1)[0] + "/" + name
    config = write_config(tmp, dovecot, sink.port, db_url, ns)
    env = {**os.environ, "BENCH_PW": dovecot.password}
    subprocess.run([sys.executable, "-m", "mailflow", "--config", str(config), "db", "upgrade"],
                   check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    mailbox = f"{ns}-synpunkter.norrmalm@stockholm.example.se"
    sink.handler.route = lambda addr: None  # record only: delivering every ack would time Dovecot, not mailflow
    for eml in sorted(corpus.glob("*.eml")):
        dovecot.append(mailbox, eml.read_bytes())
    sent_before = len(sink.received)
    out = subprocess.run([sys.executable, __file__, "--child", str(config)], check=True, env=env, cwd=ROOT,
                         capture_output=True, text=True)
    if out.stderr.strip():
        print(out.stderr.strip()[-2000:], file=sys.stderr)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["kept"], result["canaries"] = canaries_kept(db_url, manifest)
    result["smtp_received"] = len(sink.received) - sent_before
    shutil.rmtree(tmp, ignore_errors=True)
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return 0
    root = Path(tempfile.mkdtemp(prefix="mailflow-bench-dovecot-"))
    dovecot = Dovecot(root).start()
    sink = SmtpSink(dovecot).start()
    runs = []
    try:
        for i in range(args.repeats):
            r = one_run(args.n, args.seed, args.db, dovecot, sink)
            r["msgs_per_s"] = args.n / r["seconds"]
            runs.append(r)
            print(f"run {i + 1}: {r['msgs_per_s']:.1f} msg/s, {r['seconds']:.2f} s, peak {r['peak_rss_mb']:.0f} MB, "
                  f"{r['outcomes']}, sent {r['sent']}, canaries kept {r['kept']}/{r['canaries']}", file=sys.stderr)
    finally:
        sink.stop()
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({
        "n": args.n,
        "db": args.db,
        "repeats": args.repeats,
        "median_msgs_per_s": round(statistics.median(r["msgs_per_s"] for r in runs), 1),
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 2),
        "median_peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
        "mails_sent": runs[-1]["sent"],
        "outcomes": runs[-1]["outcomes"],
        "canaries_kept": f"{runs[-1]['kept']}/{runs[-1]['canaries']}",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
