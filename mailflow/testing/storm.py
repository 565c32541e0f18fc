"""A crash storm: `mailflow run` workers SIGKILLed at seeded random moments while complaints arrive.

    python -m mailflow.testing.storm [--db sqlite|postgresql] [--workers 1] [--messages 300]
                                     [--kills 21] [--seed 1] [--json]

Starts its own Dovecot, an SMTP listener that records every delivery with its
arrival time, and (for --db postgresql without MAILFLOW_TEST_POSTGRES_URL) a
throwaway PostgreSQL. Complaints from distinct citizens are APPENDed at random
intervals; a killer thread SIGKILLs a random worker, waits for it to die and
starts it again, `kills` times. When the feed and the kills are done it waits
until the mailbox is drained and every citizen's acknowledgment has arrived,
then stops the workers with SIGTERM and counts: cases, gaps in the case
numbers, acknowledgments delivered within 10 s of the drain, mails delivered
twice. The tests (tests/test_crash_storm.py) assert on the result; the
closing notes report it.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from mailflow.testing.dovecot import Dovecot, free_port
from mailflow.testing.tomlw import dumps

ROOT = Path(__file__).resolve().parent.parent.parent
COMPLAINTS = "synpunkter.norrmalm@stockholm.example.se"
UNITS = ["Hemtjänsten kom inte i tisdags", "Lekplatsen i Vasaparken är trasig", "Förskolan i Vasastan stänger tidigt",
         "Fritidsgården i Vasastan är stängd", "Socialsekreteraren svarar inte på mina samtal"]


@dataclass
class Delivery:
    at: float
    message_id: str
    rcpts: tuple[str, ...]
    purpose: str
    case: str


@dataclass
class Recorder:
    """The SMTP listener's handler: every delivery, with its arrival time."""

    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        head = email.message_from_bytes(data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
        item = Delivery(time.monotonic(), str(head.get("Message-ID", "")).strip(),
                        tuple(a.lower() for a in envelope.rcpt_tos), str(head.get("X-Mailflow-Purpose", "")),
                        str(head.get("X-Mailflow-Case", "")))
        with self.lock:
            self.deliveries.append(item)
        return "250 2.0.0 recorded"


@dataclass
class StormResult:
    db: str
    workers: int
    messages: int
    kills: int
    seed: int
    cases: int = 0
    distinct_case_messages: int = 0
    refs_gap_free: bool = False
    inbox_left: int = -1
    processed: int = 0
    citizens_acknowledged: int = 0
    acks_within_10s_of_drain: int = 0
    ack_max_after_drain_s: float = 0.0
    acks_missing: int = 0
    delivered_twice: int = 0  # (Message-ID, recipient) pairs delivered more than once
    twice_by_purpose: dict[str, int] = field(default_factory=dict)
    twice_apart_ms: list[int] = field(default_factory=list)  # time between the two deliveries
    citizens_with_two_acks: int = 0
    outbox_not_sent: int = 0
    quarantined: int = 0
    feed_seconds: float = 0.0
    drain_seconds: float = 0.0
    total_seconds: float = 0.0
    restarts_refused: int = 0
    errors: list[str] = field(default_factory=list)


def complaint(i: int, rng: random.Random) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Medborgare {i} <medborgare{i}@example.com>"
    msg["To"] = COMPLAINTS
    msg["Subject"] = f"Klagomål nummer {i}"
    msg["Date"] = format_datetime(datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc))
    msg["Message-ID"] = f"<storm-{i}-{uuid.uuid4().hex[:8]}@example.com>"
    what = UNITS[i % len(UNITS)]
    msg.set_content(f"Hej!\n\n{what}. Det här har hänt {rng.randint(2, 9)} gånger nu (ärende {i}).\n"
                    f"Jag vill ha ett svar.\n\nMed vänlig hälsning\nMedborgare {i}\n")
    return msg.as_bytes()


def write_config(tmp: Path, dovecot: Dovecot, smtp_port: int, db_url: str, ns: str) -> tuple[Path, dict[str, str]]:
    cfg_dir = tmp / "config"
    (cfg_dir / "organizations").mkdir(parents=True)
    env = {**os.environ, "MAILFLOW_DATABASE_URL": db_url}
    for path in sorted((ROOT / "config" / "organizations").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for section in ("imap", "registrar_imap"):
            data[section].update(host=dovecot.host, port=dovecot.port, username=f"{ns}-{data[section]['username']}")
            env[data[section]["password_env"]] = dovecot.password
        (cfg_dir / "organizations" / path.name).write_text(dumps(data), encoding="utf-8")
    svc = tomllib.loads((ROOT / "config" / "mailflow.toml").read_text(encoding="utf-8"))
    svc["service"].update(database_url=db_url, templates_dir=str(ROOT / "templates"), ack_limit_per_day=1000,
                          poll_interval_seconds=1, digest_time="23:59")
    svc["smtp"]["port"] = smtp_port
    (cfg_dir / "mailflow.toml").write_text(dumps(svc), encoding="utf-8")
    return cfg_dir / "mailflow.toml", env


class Workers:
    """The `mailflow run` processes, each restartable."""

    def __init__(self, n: int, config: Path, env: dict[str, str], logdir: Path) -> None:
        self.config, self.env, self.logdir = config, env, logdir
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * n
        self.logs: list[Path | None] = [None] * n
        self.started = 0
        self.refused = 0
        self.lock = threading.Lock()

    def start(self, i: int) -> None:
        for _ in range(50):
            self.started += 1
            path = self.logdir / f"worker{i}-{self.started}.log"
            log = open(path, "wb")  # noqa: SIM115  (the child keeps it)
            proc = subprocess.Popen([sys.executable, "-m", "mailflow", "--config", str(self.config), "run"],
                                    cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            try:
                rc = proc.wait(timeout=0.3)  # a refused start (the lock of a worker still dying) ends at once
            except subprocess.TimeoutExpired:
                self.procs[i], self.logs[i] = proc, path
                return
            self.refused += 1
            if rc not in (1,):
                raise RuntimeError(f"worker {i} exited with {rc}; see {self.logdir}")
            time.sleep(0.1)
        raise RuntimeError(f"worker {i} could not be started; see {self.logdir}")

    def wait_started(self, i: int, timeout: float = 20.0) -> None:
        """Until worker i has started its service (so that a kill hits it at work, not while importing)."""
        deadline = time.monotonic() + timeout
        path = self.logs[i]
        while path is not None and time.monotonic() < deadline:
            if b"event=started" in path.read_bytes():
                return
            time.sleep(0.05)

    def kill(self, i: int) -> None:
        with self.lock:
            proc = self.procs[i]
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()

    def stop_all(self) -> list[int]:
        codes = []
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is None:
                continue
            try:
                codes.append(proc.wait(timeout=60))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes


def storm(*, db: str = "sqlite", workers: int = 1, messages: int = 300, kills: int = 21, seed: int = 1,
          pg_url: str | None = None, dovecot: Dovecot | None = None, keep: Path | None = None,
          feed_seconds: float | None = None, wait_seconds: float = 180.0) -> StormResult:
    """Run one storm; `pg_url` a PostgreSQL server URL (its database `postgres` is used to create one)."""
    rng = random.Random(seed)
    if feed_seconds is None:  # the feed lasts about as long as the kills: every kill meets arriving mail
        feed_seconds = max(5.0, kills * (1.2 + 0.7 * workers))
    result = StormResult(db=db, workers=workers, messages=messages, kills=kills, seed=seed)
    tmp = Path(tempfile.mkdtemp(prefix="mailflow-storm-"))
    os.chmod(tmp, 0o755)  # Dovecot's unprivileged mail user must reach its mail under it
    own_dovecot = dovecot is None
    if dovecot is None:
        dovecot = Dovecot(tmp / "dovecot").start()
    pg_server = None
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    ns = "s" + uuid.uuid4().hex[:8]
    try:
        if db == "sqlite":
            db_url = f"sqlite:///{tmp / 'storm.db'}"
        else:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            if pg_url is None:
                from mailflow.testing.postgres import Postgres

                pg_server = Postgres(tmp / "postgres").start()
                pg_url = pg_server.url
            name = f"mf_storm_{uuid.uuid4().hex[:8]}"
            admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            db_url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        config, env = write_config(tmp, dovecot, controller.port, db_url, ns)
        subprocess.run([sys.executable, "-m", "mailflow", "--config", str(config), "db", "upgrade"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        mailbox = f"{ns}-{COMPLAINTS}"
        logdir = tmp / "logs"
        logdir.mkdir()
        pool = Workers(workers, config, env, logdir)
        t0 = time.monotonic()
        for i in range(workers):
            pool.start(i)
        sent_at: dict[str, float] = {}

        def feed() -> None:
            for i in range(messages):
                for attempt in range(5):
                    try:
                        dovecot.append(mailbox, complaint(i, rng_feed))
                        break
                    except Exception as exc:  # noqa: BLE001  counted, the feed goes on
                        if attempt == 4:
                            result.errors.append(f"APPEND of message {i} failed: {type(exc).__name__}: {exc}")
                        time.sleep(0.2)
                sent_at[f"medborgare{i}@example.com"] = time.monotonic()
                time.sleep(rng_feed.uniform(0, 2 * feed_seconds / messages))

        rng_feed = random.Random(seed + 1)
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        # the kills: each at a random moment while a started worker is at work, the feed still running
        for i in range(workers):
            pool.wait_started(i)
        for _ in range(kills):
            victim = rng.randrange(workers)
            pool.wait_started(victim)
            time.sleep(rng.uniform(0.1, 1.2))
            pool.kill(victim)
            time.sleep(rng.uniform(0.0, 0.3))
            pool.start(victim)
        feeder.join()
        result.feed_seconds = round(time.monotonic() - t0, 2)
        # drained: nothing left in INBOX
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and dovecot.messages(mailbox):
            time.sleep(0.25)
        drained = time.monotonic()
        result.drain_seconds = round(drained - t0, 2)
        citizens = {f"medborgare{i}@example.com" for i in range(messages)}

        def acked() -> set[str]:
            with recorder.lock:
                return {r for d in recorder.deliveries if d.purpose == "ack" for r in d.rcpts}

        while time.monotonic() < deadline and not citizens <= acked():
            time.sleep(0.25)
        time.sleep(1.0)  # the forwards of the last messages
        result.total_seconds = round(time.monotonic() - t0, 2)
        codes = pool.stop_all()
        if any(c != 0 for c in codes):
            result.errors.append(f"worker exit codes at SIGTERM: {codes}")
        result.restarts_refused = pool.refused
        _count(result, recorder, citizens, drained, db_url, dovecot, mailbox)
    finally:
        controller.stop()
        if own_dovecot:
            dovecot.stop()
        if pg_server is not None:
            pg_server.stop()
        if keep is not None:
            shutil.copytree(tmp / "logs", keep, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _count(result: StormResult, recorder: Recorder, citizens: set[str], drained: float, db_url: str,
           dovecot: Dovecot, mailbox: str) -> None:
    from sqlalchemy import create_engine, func, select

    from mailflow.adapters.tables import CaseRow, MessageRow, OutboxRow

    engine = create_engine(db_url)
    with engine.connect() as conn:
        refs = [r for (r,) in conn.execute(select(CaseRow.ref).where(CaseRow.org_id == "norrmalm"))]
        numbers = sorted(int(r.rsplit("-", 1)[1]) for r in refs)
        result.cases = len(refs)
        result.refs_gap_free = numbers == list(range(1, len(numbers) + 1))
        result.distinct_case_messages = conn.execute(
            select(func.count(func.distinct(MessageRow.message_id))).where(
                MessageRow.direction == "in", MessageRow.case_id.is_not(None))).scalar_one()
        result.outbox_not_sent = conn.execute(
            select(func.count(OutboxRow.id)).where(OutboxRow.status != "sent")).scalar_one()
        result.quarantined = conn.execute(
            select(func.count(MessageRow.id)).where(MessageRow.outcome == "quarantined")).scalar_one()
    engine.dispose()
    result.inbox_left = len(dovecot.messages(mailbox))
    result.processed = len(dovecot.messages(mailbox, "Processed"))
    pairs: Counter[tuple[str, str]] = Counter()
    first_ack: dict[str, float] = {}
    acks_per_citizen: Counter[str] = Counter()
    for d in recorder.deliveries:
        for r in d.rcpts:
            pairs[(d.message_id, r)] += 1
        if d.purpose == "ack":
            for r in d.rcpts:
                acks_per_citizen[r] += 1
                first_ack.setdefault(r, d.at)
    result.delivered_twice = sum(n - 1 for n in pairs.values() if n > 1)
    twice = {k for k, n in pairs.items() if n > 1}
    by_purpose: Counter[str] = Counter()
    times: dict[tuple[str, str], list[float]] = {}
    for d in recorder.deliveries:
        for r in d.rcpts:
            if (d.message_id, r) in twice:
                times.setdefault((d.message_id, r), []).append(d.at)
                by_purpose[d.purpose] += 1
    result.twice_by_purpose = dict(by_purpose)
    result.twice_apart_ms = sorted(int((max(t) - min(t)) * 1000) for t in times.values())
    result.citizens_with_two_acks = sum(1 for c, n in acks_per_citizen.items() if n > 1)
    result.citizens_acknowledged = len(citizens & set(first_ack))
    result.acks_missing = len(citizens - set(first_ack))
    result.acks_within_10s_of_drain = sum(1 for c in citizens if c in first_ack and first_ack[c] <= drained + 10)
    late = [first_ack[c] - drained for c in citizens if c in first_ack]
    result.ack_max_after_drain_s = round(max([0.0, *late]), 2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="crash storm: mailflow run killed while complaints arrive")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--kills", type=int, default=21)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--feed-seconds", type=float, default=None)
    ap.add_argument("--keep-logs", help="copy the workers' logs here")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = storm(db=args.db, workers=args.workers, messages=args.messages, kills=args.kills, seed=args.seed,
                   pg_url=os.environ.get("MAILFLOW_TEST_POSTGRES_URL"), feed_seconds=args.feed_seconds,
                   keep=Path(args.keep_logs) if args.keep_logs else None)
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        for k, v in asdict(result).items():
            print(f"{k:>28}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
