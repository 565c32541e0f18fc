"""The README's demo command works: the sample mail becomes cases and acknowledgments."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_demo_registers_the_samples_and_shows_acknowledgments() -> None:
    result = subprocess.run([sys.executable, "-m", "mailflow.testing.demo"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 auto_reply, 1 quarantined, 8 registered" in out
    assert out.count("[ack    ]") == 7  # eight cases; the anonymous writer gets no acknowledgment
    assert "[ack    ] to noreply@anonymous.example.org" not in out
    assert "Vi har fått ditt klagomål" in out and "We have received your complaint" in out
    assert "lex_sarah" in out and "lexsarah@nacka.example.se" in out
    assert "Min mor på Ektorp" in out  # raw UTF-8 subject read correctly
    assert "Ni når mig på [telefon]." in out  # de-identified in the register
    assert "Traceback" not in result.stderr
