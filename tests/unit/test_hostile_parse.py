"""Property: whatever bytes arrive, parse and the pure steps answer (a message or a reason), never raise.

Seeded (derandomized) and bounded: thousands of mutated messages per run, the
same ones each time, plus the heavy shapes (a 1 MB header line, 10,000 parts,
10-deep nesting) once each.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow import config as config_mod
from mailflow.model import Parsed, text_fingerprint
from mailflow.pipeline.classify import classify_text
from mailflow.pipeline.deidentify import scrub
from mailflow.pipeline.parse import parse_bytes
from mailflow.pipeline.route import route_text
from mailflow.pipeline.screen import classify_automatic
from tests import hostile
from tests.conftest import ROOT

CFG = config_mod.load(ROOT / "config" / "mailflow.toml", env={})
ORG = CFG.org("norrmalm")
OWN = CFG.own_addresses()


def read_all_the_way(raw: bytes) -> Parsed | str:
    parsed = parse_bytes(raw)
    if isinstance(parsed, str):
        assert parsed  # a quarantine always has a reason
        return parsed
    assert "\r" not in parsed.subject and "\n" not in parsed.subject  # never a header break downstream
    classify_automatic(parsed, OWN, raw)
    cls = classify_text(parsed.words or parsed.text, parsed.subject, ORG)
    route_text(f"{parsed.subject}\n{parsed.words or parsed.text}", ORG, cls)
    scrub(parsed.text, ())
    text_fingerprint(parsed.text)
    return parsed


@settings(max_examples=3000, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31), n=st.integers(min_value=0, max_value=10_000))
def test_any_mutated_message_is_read_or_given_a_reason(seed: int, n: int) -> None:
    raw, _ = hostile.mutated(seed, n)
    read_all_the_way(raw)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_are_read_or_given_a_reason(raw: bytes) -> None:
    read_all_the_way(raw)


def test_a_one_megabyte_header_line_is_read_with_the_body() -> None:
    parsed = read_all_the_way(hostile.huge_header_line())
    assert isinstance(parsed, Parsed) and "Hemtjänsten kom inte" in parsed.text


def test_ten_thousand_parts_are_read() -> None:
    parsed = read_all_the_way(hostile.many_parts())
    assert isinstance(parsed, Parsed) and "del 0" in parsed.text


def test_ten_deep_nested_messages_are_read() -> None:
    raw = hostile.deep_nesting(hostile.plain(1), random.Random(1), depth=10)
    assert isinstance(read_all_the_way(raw), (Parsed, str))


def test_empty_and_blank_messages_are_quarantined_with_a_reason() -> None:
    for raw in (b"", b"\r\n", b"   \r\n\r\n"):
        assert parse_bytes(raw) == "empty message"
