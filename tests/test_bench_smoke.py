"""The benchmark harnesses keep working (their figures are for the closing notes, never asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

KEYS = {"mailflow_msgs_per_s", "limit_msgs_per_s", "peer_msgs_per_s", "ratio_to_limit", "ratio_to_peer",
        "delivery_mails_per_s", "smtp_limit_mails_per_s", "end_to_end_msgs_per_s", "peak_rss_mb", "n"}


def run(*args: str) -> dict:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as results:  # never into bench/results: those are the notes' figures
        done = subprocess.run([sys.executable, "-m", *args, "--json"], cwd=ROOT, capture_output=True, text=True,
                              timeout=600, env={**os.environ, "MAILFLOW_BENCH_RESULTS": results})
        assert done.returncode == 0, done.stderr[-2000:]
        assert list(Path(results).glob("*.json")), "the figures are written down"
    return json.loads(done.stdout[done.stdout.index("{"):])  # type: ignore[no-any-return]


def test_the_ingest_benchmark_measures_every_figure_it_promises() -> None:
    result = run("bench.ingest", "--messages", "20", "--repeats", "1")
    assert set(result) >= KEYS
    assert result["n"] == 20 and result["mails_delivered"] > 20
    assert result["mailflow_msgs_per_s"] > 0 and result["end_to_end_msgs_per_s"] > 0


def test_the_latency_benchmark_sees_every_acknowledgment() -> None:
    result = run("bench.latency", "--mails", "3")
    assert result["acknowledged"] == 3 and result["p95_s"] is not None
