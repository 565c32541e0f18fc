"""Rules added for precision: conduct near a named employee, Lex Sarah only in care under SoL/LSS."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow import config as config_mod
from mailflow.model import Kind
from mailflow.pipeline.classify import classify_text
from mailflow.pipeline.route import route_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cfg() -> config_mod.Config:
    return config_mod.load(ROOT / "config" / "mailflow.toml", env={})


def test_a_named_employee_with_bad_conduct_is_about_employee(cfg: config_mod.Config) -> None:
    c = classify_text("Det gäller undersköterskan Birgitta på Talliden. Hon pratar till mamma som om hon vore "
                      "ett barn.", "", cfg.org("nacka"))
    assert "about_employee" in c.flags
    assert any(cue.startswith("about_employee:Birgitta") for cue in c.cues)
    # the same person named, with nothing said against her: no flag
    kind = classify_text("Undersköterskan Birgitta ringde mig i går. Maten på Talliden är ofta kall.", "",
                         cfg.org("nacka"))
    assert kind.kind is Kind.COMPLAINT and "about_employee" not in kind.flags


def test_a_caseworker_mentioned_without_bad_conduct_is_not_about_employee(cfg: config_mod.Config) -> None:
    c = classify_text("Min handläggare sa att pengarna skulle komma i fredags, men de har inte kommit. "
                      "Varför har utbetalningen inte kommit?", "", cfg.org("norrmalm"))
    assert c.kind is Kind.COMPLAINT and "about_employee" not in c.flags


def test_rough_handling_at_a_preschool_is_not_lex_sarah(cfg: config_mod.Config) -> None:
    org = cfg.org("norrmalm")
    text = "En av fröknarna på förskolan drog honom i armen över gården medan han skrek. Jag vill anmäla det."
    c = classify_text(text, "", org)
    assert "lex_sarah" not in c.flags
    assert any("not care under SoL/LSS" in cue for cue in c.cues)
    routing = route_text(text + " förskolan i Vasastan", org, c)
    assert routing.handler_role == "unit" and routing.unit_id == "forskola-vasastan"


def test_the_same_rough_handling_in_elderly_care_is_lex_sarah(cfg: config_mod.Config) -> None:
    org = cfg.org("norrmalm")
    text = "På äldreboendet drog undersköterskan upp pappa ur rullstolen så att han skrek. Han har blåmärken."
    c = classify_text(text, "", org)
    assert "lex_sarah" in c.flags and c.kind is Kind.COMPLAINT
    routing = route_text(text + " Sabbatsberg", org, c)
    assert routing.handler_role == "lex_sarah" and routing.unit_id == "sabbatsberg"


def test_a_fall_handled_well_is_praise_not_lex_sarah(cfg: config_mod.Config) -> None:
    c = classify_text("Mamma ramlade i korridoren på boendet men personalen var där direkt. Hon fick bara ett "
                      "litet blåmärke. Tack för att ni tar så väl hand om henne!", "", cfg.org("nacka"))
    assert c.kind is Kind.PRAISE and "lex_sarah" not in c.flags
