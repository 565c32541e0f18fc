#!/usr/bin/env python3
"""Cost per message as the register grows, and the yearly report and the digest over a full year.

    .venv/bin/python -m bench.growth [--db sqlite|postgresql] [--sizes 1000,10000,50000] [--messages 500] [--json]

For each size, a fresh register is filled with that many cases of 2026 (written
directly, in bulk: cases, their people, messages in and out, events, UID
records, as the pipeline leaves them), then a pass of `--messages` new messages
from the benchmark corpus is timed (ingest: committed and moved, nothing sent),
and at the largest size `mailflow report --org all --period 2026` and `mailflow
digest` are timed as a user runs them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from bench.ingest import RESULTS, World, corpus, fill, measured, run_child  # noqa: E402
from mailflow.testing.dovecot import Dovecot, free_port  # noqa: E402
from mailflow.testing.storm import Recorder  # noqa: E402

UNITS = {"norrmalm": ["hemtjanst", "sabbatsberg", "forskola-vasastan", "parkmiljo", "fritid", "barn-ungdom"],
         "nacka": ["sofiero", "ektorp", "gruppbostad", "boendestod"]}


def seed(db_url: str, n: int, rnd: random.Random) -> float:
    """Fill the register with `n` cases of 2026 in bulk; seconds taken."""
    from sqlalchemy import create_engine, insert

    from mailflow.adapters.tables import CaseCounter, CaseEventRow, CaseRow, ImapUidRow, MessageRow, PersonRow

    t0 = time.perf_counter()
    engine = create_engine(db_url)
    start = datetime(2026, 1, 2, 8, 0, tzinfo=timezone.utc)
    numbers = {"norrmalm": 0, "nacka": 0}
    with engine.begin() as conn:
        for base in range(0, n, 5000):
            cases, people, msgs, events, uids = [], [], [], [], []
            for i in range(base, min(n, base + 5000)):
                org = "norrmalm" if i % 3 else "nacka"
                numbers[org] += 1
                at = start + timedelta(minutes=int(i * (330 * 24 * 60) / max(n, 1)))
                status = rnd.choices(["closed", "answered", "open"], [60, 35, 5])[0]
                prefix = "NM" if org == "norrmalm" else "NK"
                people.append({"id": i + 1, "org_id": org, "email_key": uuid.uuid4().hex[:24], "name": f"Person {i}",
                               "email": f"p{i}@example.com", "phone": "", "address": "", "created_at": at,
                               "updated_at": at})
                cases.append({"id": i + 1, "ref": f"{prefix}-2026-{numbers[org]:04d}", "org_id": org, "year": 2026,
                              "number": numbers[org], "kind": rnd.choice(["complaint", "complaint", "opinion", "praise"]),
                              "flags": [], "channel": "email", "language": "sv", "unit_id": rnd.choice(UNITS[org]),
                              "department_id": None, "manager": "m@example.se", "handler": "m@example.se",
                              "handler_role": "unit", "status": status, "triage": None, "received_at": at,
                              "first_response_due": None, "feedback_due": (at + timedelta(days=20)).date(),
                              "feedback_at": at + timedelta(days=rnd.randint(1, 25)) if status != "open" else None,
                              "report_due": None, "report_at": None,
                              "closed_at": at + timedelta(days=30) if status == "closed" else None,
                              "received_by": None, "escalation_level": 0, "classification_cues": ["complaint:x"],
                              "person_id": i + 1, "created_at": at, "updated_at": at})
                mid = f"seed-{i}-{uuid.uuid4().hex[:8]}@example.com"
                msgs.append({"org_id": org, "message_id": mid, "case_id": i + 1, "direction": "in", "role": "citizen",
                             "purpose": "complaint", "outcome": "registered", "reason": "", "subject": f"Ärende {i}",
                             "text": "Hemtjänsten kom inte. " * 8, "at": at, "mailbox": f"{org}:complaints",
                             "party_key": None, "attachment_count": 0, "fingerprint": uuid.uuid4().hex[:32],
                             "created_at": at})
                for purpose in ("ack", "forward"):
                    msgs.append({"org_id": org, "message_id": f"out-{purpose}-{mid}", "case_id": i + 1,
                                 "direction": "out", "role": "system", "purpose": purpose, "outcome": "sent",
                                 "reason": "", "subject": f"[{prefix}] Tack", "text": "", "at": at,
                                 "mailbox": None, "party_key": uuid.uuid4().hex[:24], "attachment_count": 0,
                                 "fingerprint": None, "created_at": at})
                for kind in ("registered", "routed", "acknowledged", "forwarded"):
                    events.append({"case_id": i + 1, "at": at, "kind": kind, "actor": "mailflow", "detail": {}})
                uids.append({"mailbox": f"{org}:complaints", "uidvalidity": 1, "uid": i + 1, "message_id": mid,
                             "outcome": "registered", "processed_at": at, "worker_id": None})
            conn.execute(insert(PersonRow.__table__), people)  # type: ignore[attr-defined]
            conn.execute(insert(CaseRow.__table__), cases)  # type: ignore[attr-defined]
            conn.execute(insert(MessageRow.__table__), msgs)  # type: ignore[attr-defined]
            conn.execute(insert(CaseEventRow.__table__), events)  # type: ignore[attr-defined]
            conn.execute(insert(ImapUidRow.__table__), uids)  # type: ignore[attr-defined]
        for org, last in numbers.items():
            conn.execute(insert(CaseCounter.__table__), {"org_id": org, "year": 2026, "last_number": last})  # type: ignore[attr-defined]
    if db_url.startswith("postgresql"):
        from sqlalchemy import text

        with engine.begin() as conn:
            for table in ("cases", "people", "messages", "case_events", "imap_uids"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--sizes", default="1000,10000,50000")
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="mailflow-growth-"))
    tmp.chmod(0o755)
    dovecot = Dovecot(tmp / "dovecot").start()
    sink = Controller(Recorder(), hostname="127.0.0.1", port=free_port())
    sink.start()
    pg = None
    pg_url = os.environ.get("MAILFLOW_TEST_POSTGRES_URL")
    if args.db == "postgresql" and not pg_url:
        from mailflow.testing.postgres import Postgres

        pg = Postgres(tmp / "postgres").start()
        pg_url = pg.url
    rows: list[dict[str, Any]] = []
    try:
        messages = corpus(args.messages, tmp)
        rnd = random.Random(1)
        for size in sizes:
            w = World(tmp, dovecot, sink.port, args.db, pg_url)
            seeded = seed(w.env["MAILFLOW_DATABASE_URL"], size, rnd)
            fill(dovecot, w.mailbox, messages)
            ing = run_child(w.config, w.env, "ingest")
            row: dict[str, Any] = {"stored_cases": size, "seed_seconds": round(seeded, 1),
                                   "ms_per_message": round(ing["seconds"] / max(ing["count"], 1) * 1000, 2),
                                   "cpu_ms_per_message": round(ing["cpu"] / max(ing["count"], 1) * 1000, 2),
                                   "messages": ing["count"]}
            if size == max(sizes):
                report = measured([sys.executable, "-m", "mailflow", "--config", str(w.config), "report", "--org",
                                   "all", "--period", "2026", "--out", str(tmp / "report.html")], w.env)
                digest = measured([sys.executable, "-m", "mailflow", "--config", str(w.config), "digest",
                                   "--date", date(2026, 11, 30).isoformat()], w.env)
                row["report_year_seconds"] = round(report["seconds"], 2)
                row["report_exit"] = report["exit_code"]
                row["digest_seconds"] = round(digest["seconds"], 2)
                row["digest_exit"] = digest["exit_code"]
            rows.append(row)
            print(json.dumps(row), flush=True)
        first, last = rows[0]["ms_per_message"], rows[-1]["ms_per_message"]
        result = {"db": args.db, "rows": rows, "growth_ratio": round(last / first, 2),
                  "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"growth-{args.db}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json").write_text(
            json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2) if args.json else f"growth ratio {result['growth_ratio']}")
        return 0
    finally:
        sink.stop()
        dovecot.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
