"""`mailflow run --web`: the service and the web in one process; a form's acknowledgment goes out without a pass."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from mailflow.testing.browser import free_port
from tests.conftest import ROOT, World

pytestmark = pytest.mark.integration


def wait_for(check, seconds: float = 90.0) -> bool:  # type: ignore[no-untyped-def]
    """Poll until `check()` holds; the caller asserts what it found (generous: a shared 2-core machine)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return bool(check())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_run_with_web_sends_the_acknowledgment_of_a_form_by_itself(world: World) -> None:
    port = free_port()
    env = {**os.environ, **world.env}
    proc = subprocess.Popen([sys.executable, "-m", "mailflow", "--config", str(world.config_path), "run", "--web",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return proc.poll() is not None
        assert wait_for(up) and proc.poll() is None
        with httpx.Client(base_url=base, timeout=30) as client:
            page = client.get("/norrmalm/")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            key = re.search(r'name="key" value="([^"]+)"', page.text)
            assert csrf and key
            r = client.post("/norrmalm/", data={"csrf": csrf.group(1), "key": key.group(1), "lang": "sv",
                                                "text": "Hemtjänsten kom inte i tisdags. Det är inte acceptabelt.",
                                                "email": "asa.oberg@example.com"},
                            files=[("files", ("", b"", "application/octet-stream"))])
            assert r.status_code == 200
            ref = re.search(r"NM-\d{4}-\d{4}", r.text)
            assert ref
        assert wait_for(lambda: any("asa.oberg@example.com" in m.rcpt_tos for m in world.sent()))
        acks = [m for m in world.sent() if "asa.oberg@example.com" in m.rcpt_tos]
        assert len(acks) == 1 and ref.group(0).encode() in acks[0].data
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
