"""The pure steps worked out ahead in a parsing process give exactly what the pipeline computes itself."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mailflow import config as config_mod
from mailflow.config import Organization
from mailflow.model import Mail, Parsed
from mailflow.pipeline import ahead
from mailflow.pipeline.classify import Classify
from mailflow.pipeline.deidentify import Deidentify
from mailflow.pipeline.parse import parse_bytes
from mailflow.pipeline.route import Route

ROOT = Path(__file__).resolve().parent.parent.parent
STEPS = (Classify(), Route(), Deidentify())


@pytest.fixture(scope="module")
def org() -> Organization:
    cfg = config_mod.load(ROOT / "config" / "mailflow.toml")
    return next(o for o in cfg.organizations if o.id == "norrmalm")


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    # as the service starts it: forkserver, so the process hashes strings with a seed of its own
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as p:
        yield p


def raws() -> list[bytes]:
    files = sorted((ROOT / "tests" / "corpus_blind2").glob("*.eml"))[:40]
    return [f.read_bytes() for f in files] + [b"not a mail at all", b""]


def through(parsed: Parsed, org: Organization, **state: Any) -> Mail:
    ctx: Any = ahead._OrgOnly(org)
    mail = replace(Mail(source=None, raw=b"", parsed=parsed), **state)  # type: ignore[arg-type]  (no source needed)
    for step in STEPS:
        mail = step.run(mail, ctx)
    return mail


def outcome(m: Mail) -> tuple[Any, ...]:
    return (m.classification, m.routing, m.clean_subject, m.clean_text, m.person)


def test_results_worked_out_in_another_process_are_the_pipelines_own(org: Organization,
                                                                    pool: ProcessPoolExecutor) -> None:
    batch = raws()
    own = [through(p, org) for p in (parse_bytes(r) for r in batch) if not isinstance(p, str)]
    parsed, entries = pool.submit(ahead.parse_and_work_out, batch, ahead.org_blob(org)).result()
    assert [isinstance(p, str) for p in parsed] == [isinstance(parse_bytes(r), str) for r in batch]
    readable = [p for p in parsed if not isinstance(p, str)]
    assert len(entries) >= 4 * len(readable)  # classify, route, third parties, scrub (subject and text)
    before = ahead.used["results"]
    ahead.install(entries)
    try:
        again = [through(p, org) for p in readable]
    finally:
        ahead.remove(entries)
    assert ahead._READY == {}
    assert ahead.used["results"] - before >= 4 * len(readable)  # taken, not computed again
    assert [outcome(m) for m in again] == [outcome(m) for m in own]


def test_a_call_with_other_arguments_computes_its_own(org: Organization, pool: ProcessPoolExecutor) -> None:
    raw = (ROOT / "tests" / "corpus_blind2" / "001.eml").read_bytes()
    parsed, entries = pool.submit(ahead.parse_and_work_out, [raw], ahead.org_blob(org)).result()
    p = parsed[0]
    assert not isinstance(p, str)
    other = replace(p, subject=p.subject + " (igen)", text=p.text + "\nMin mamma Märta fick vänta.",
                    words=(p.words or p.text) + "\nMin mamma Märta fick vänta.")
    ahead.install(entries)
    try:
        got = through(other, org)
    finally:
        ahead.remove(entries)
    want = through(other, org)
    assert outcome(got) == outcome(want)
    assert "Märta" not in (got.clean_text or "")


def test_settings_changed_since_the_work_was_done_are_never_matched(org: Organization,
                                                                    pool: ProcessPoolExecutor) -> None:
    raw = (ROOT / "tests" / "corpus_blind2" / "002.eml").read_bytes()
    _, entries = pool.submit(ahead.parse_and_work_out, [raw], ahead.org_blob(org)).result()
    changed = org.model_copy(update={"name": org.name + " (ny)"})  # a reloaded config: other settings
    p = parse_bytes(raw)
    assert not isinstance(p, str)
    before = ahead.used["results"]
    ahead.install(entries)
    try:
        got = through(p, changed)
    finally:
        ahead.remove(entries)
    # only the two scrubs (subject, text), which do not read the organization, are taken
    assert ahead.used["results"] - before == 2
    assert outcome(got) == outcome(through(p, changed))
