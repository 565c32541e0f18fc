#!/usr/bin/env python3
"""A small load run of the citizens' form over loopback: submissions per second and latency.

    .venv/bin/python -m bench.web_load [--submissions 300] [--clients 8] [--db sqlite|URL] [--json]

Starts `mailflow web` (uvicorn) as a user would, on a fresh SQLite database (or
the PostgreSQL URL given) with the shipped organizations, the per-IP limit
raised (every client is 127.0.0.1). Each client fetches the form (its CSRF
token and idempotency key), then posts a complaint with a name, an e-mail
address of its own and åäö text; each submission is a case with its
acknowledgment and forward queued, committed before the receipt returns.
Reports the submissions per second and the p50, p95 and max latency of the
POST, checks that every submission made exactly one case, and writes the
result to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailflow.testing.browser import free_port  # noqa: E402
from mailflow.testing.tomlw import dumps  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TEXT = ("Hemtjänsten kom inte i tisdags och min mamma fick vänta hela dagen på hjälp. Det är inte acceptabelt, "
        "och det har hänt förut. Nummer {n}.")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def config(work: Path, db_url: str) -> Path:
    (work / "organizations").mkdir(parents=True)
    for f in (ROOT / "config" / "organizations").glob("*.toml"):
        shutil.copy(f, work / "organizations" / f.name)
    service = tomllib.loads((ROOT / "config" / "mailflow.toml").read_text(encoding="utf-8"))
    service["service"]["database_url"] = db_url
    service["service"]["templates_dir"] = str(ROOT / "templates")
    service["service"]["ack_limit_per_day"] = 1000
    service["web"] = {"submissions_per_ip_per_hour": 1_000_000, "submissions_per_address_per_day": 1_000_000}
    path = work / "mailflow.toml"
    path.write_text(dumps(service), encoding="utf-8")
    return path


def one(client: httpx.Client, n: int) -> tuple[float, str]:
    page = client.get("/norrmalm/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    key = re.search(r'name="key" value="([^"]+)"', page.text)
    assert csrf and key, page.status_code
    started = time.perf_counter()
    r = client.post("/norrmalm/", data={"csrf": csrf.group(1), "key": key.group(1), "lang": "sv",
                                        "text": TEXT.format(n=n), "name": f"Åsa Öberg {n}",
                                        "email": f"asa.{n}@example.com"},
                    files=[("files", ("", b"", "application/octet-stream"))])
    took = time.perf_counter() - started
    ref = re.search(r"NM-\d{4}-\d{4,}", r.text)
    if r.status_code != 200 or ref is None:
        raise RuntimeError(f"submission {n}: HTTP {r.status_code}")
    return took, ref.group(0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--submissions", type=int, default=300)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--db", default="sqlite", help="sqlite (a fresh file) or a PostgreSQL URL (an empty database)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="mailflow-webload-"))
    db_url = f"sqlite:///{work / 'mailflow.db'}" if args.db == "sqlite" else args.db
    cfg = config(work, db_url)
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "MAILFLOW_DATABASE_URL": db_url, "HOME": str(work)}
    mailflow = [sys.executable, "-m", "mailflow", "--config", str(cfg)]
    subprocess.run([*mailflow, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([*mailflow, "web", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("mailflow web did not start: " + (server.stderr.read().decode()[-2000:]
                                                                   if server.stderr else ""))
            time.sleep(0.1)
        clients = [httpx.Client(base_url=base, timeout=60) for _ in range(args.clients)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(lambda n: one(clients[n % args.clients], n), range(args.submissions)))
        wall = time.perf_counter() - started
        for c in clients:
            c.close()
    finally:
        server.terminate()
        server.wait(30)
    latencies = [t for t, _ in results]
    refs = {r for _, r in results}
    cases = subprocess.run([*mailflow, "cases", "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                           check=True)
    registered = len(json.loads(cases.stdout))
    result = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "database": "sqlite" if args.db == "sqlite" else "postgresql",
        "submissions": args.submissions,
        "clients": args.clients,
        "seconds": round(wall, 2),
        "submissions_per_second": round(args.submissions / wall, 1),
        "requests_per_second": round(2 * args.submissions / wall, 1),  # the form's GET and its POST
        "post_latency_ms": {"p50": round(statistics.median(latencies) * 1000, 1),
                            "p95": round(percentile(latencies, 95) * 1000, 1),
                            "max": round(max(latencies) * 1000, 1)},
        "distinct_case_numbers": len(refs),
        "cases_registered": registered,
    }
    shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"web_load-{result['database']}.json").write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        lat = result["post_latency_ms"]
        print(f"{args.submissions} submissions by {args.clients} clients on {result['database']} in {wall:.1f} s: "
              f"{result['submissions_per_second']} submissions/s ({result['requests_per_second']} requests/s); "
              f"POST p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms; "
              f"{registered} cases, {len(refs)} distinct case numbers")
    return 0 if registered == args.submissions == len(refs) else 1


if __name__ == "__main__":
    sys.exit(main())
