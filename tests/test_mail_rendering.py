"""Each citizen mail's HTML part in a real headless Chromium: a PNG screenshot kept as a test artifact.

The screenshots land in var/artifacts/mails/ (git-ignored); the test asserts what a
machine can: the page is not blank, has the mail's colours, and its text holds the
case number. Chromium runs with a fresh profile and no network (this machine has none).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from mailflow import i18n
from tests.unit.test_i18n import TEMPLATES, citizen_samples

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "artifacts" / "mails"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--window-size=800,1100"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("MAILFLOW_TEST_SKIP_BROWSER") == "1":
        pytest.skip("MAILFLOW_TEST_SKIP_BROWSER=1")
    pytest.fail("Debian's chromium is needed (scripts/test installs it: apt-get install chromium)")


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="mailflow-chromium-") as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120, check=False)


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of an 8-bit RGB or RGBA PNG (what Chromium writes), unfiltered."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], (prev[i - channels] if i >= channels else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i:i + 3]) for r in rows for i in range(0, stride, channels)]  # type: ignore[misc]


def pick(lang: str) -> list:
    samples = citizen_samples(lang)
    wanted = ("ack norrmalm complaint email", "ack nacka opinion phone", "delay_notice nacka department_head first_response")
    return [s for s in samples if s.name in wanted]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_citizen_mails_render_in_a_real_browser(lang: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for sample in pick(lang):
        _, _, html = TEMPLATES.render(sample.template, lang, **sample.context)
        stem = f"{sample.name.replace(' ', '_')}.{lang}"
        page = ARTIFACTS / f"{stem}.html"
        page.write_text(html, encoding="utf-8")
        shot = ARTIFACTS / f"{stem}.png"
        shot.unlink(missing_ok=True)
        done = run_chromium(f"--screenshot={shot}", page.as_uri())
        assert shot.exists(), f"no screenshot: {done.stderr[-2000:]}"
        width, height, pixels = png_pixels(shot)
        assert (width, height) == (800, 1100)
        colours = set(pixels)
        white = pixels.count(b"\xff\xff\xff")
        assert len(colours) > 50, "the page is blank"
        assert white < 0.9 * len(pixels), "the page is (almost) all white"
        assert b"\x00\x4a\x7f" in colours, "the header bar (#004a7f) is not painted: CSS lost"
        dom = run_chromium("--dump-dom", page.as_uri()).stdout
        assert str(sample.context["ref"]) in dom and str(sample.org.contact.phone) in dom
