"""The access rule: one table of role × case × action, and the same rule as SQL; the `#åtgärd` mail command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

from mailflow.adapters.store import Store
from mailflow.adapters.tables import CaseRow
from mailflow.config import load
from mailflow.pipeline import commands
from mailflow.web.access import ACTIONS, Actor, allowed, visible
from tests.conftest import ROOT


@dataclass
class Case:
    org_id: str = "norrmalm"
    unit_id: str | None = "hemtjanst"
    flags: list[str] = field(default_factory=list)
    handler_role: str = "unit"


REGISTRAR = Actor(1, "reg@x.se", "registrar", "norrmalm")
MANAGER = Actor(2, "chef@x.se", "manager", "norrmalm", ("hemtjanst",))
OFFICER = Actor(3, "ls@x.se", "lex_sarah", "norrmalm")
ADMIN = Actor(4, "it@x.se", "admin", None)
OTHER_REGISTRAR = Actor(5, "reg@nacka.se", "registrar", "nacka")

ORDINARY = Case()
OTHER_UNIT = Case(unit_id="sabbatsberg")
LEX_SARAH = Case(flags=["lex_sarah"], handler_role="lex_sarah")
ABOUT_EMPLOYEE = Case(flags=["about_employee"])
TRIAGE = Case(unit_id=None, handler_role="triage")

#                      view   identity change answer   for: ordinary, other unit, Lex Sarah, about employee, triage
TABLE: dict[str, dict[str, tuple[bool, bool, bool, bool]]] = {
    "registrar": {"ordinary": (True, True, True, True), "other_unit": (True, True, True, True),
                  "lex_sarah": (True, True, True, True), "about_employee": (True, True, True, True),
                  "triage": (True, True, True, True)},
    "manager": {"ordinary": (True, True, True, True), "other_unit": (False, False, False, False),
                "lex_sarah": (False, False, False, False), "about_employee": (False, False, False, False),
                "triage": (False, False, False, False)},
    "lex_sarah": {"ordinary": (False, False, False, False), "other_unit": (False, False, False, False),
                  "lex_sarah": (True, True, True, True), "about_employee": (True, True, True, True),
                  "triage": (False, False, False, False)},
    "admin": {"ordinary": (True, False, True, True), "other_unit": (True, False, True, True),
              "lex_sarah": (True, False, True, True), "about_employee": (True, False, True, True),
              "triage": (True, False, True, True)},
    "other_registrar": {k: (False, False, False, False)
                        for k in ("ordinary", "other_unit", "lex_sarah", "about_employee", "triage")},
}
ACTORS = {"registrar": REGISTRAR, "manager": MANAGER, "lex_sarah": OFFICER, "admin": ADMIN,
          "other_registrar": OTHER_REGISTRAR}
CASES = {"ordinary": ORDINARY, "other_unit": OTHER_UNIT, "lex_sarah": LEX_SARAH, "about_employee": ABOUT_EMPLOYEE,
         "triage": TRIAGE}


@pytest.mark.parametrize("who", list(TABLE))
@pytest.mark.parametrize("what", list(CASES))
def test_role_by_case_by_action(who: str, what: str) -> None:
    expected = TABLE[who][what]
    got = tuple(allowed(ACTORS[who], action, CASES[what]) for action in ACTIONS)
    assert got == expected


def test_the_query_filter_selects_exactly_what_the_function_allows(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    try:
        with store.transaction() as reg:
            for n, (name, c) in enumerate(CASES.items(), start=1):
                reg.session.add(CaseRow(ref=f"NM-2026-{n:04d}", org_id=c.org_id, year=2026, number=n, kind="complaint",
                                        flags=c.flags, unit_id=c.unit_id, handler_role=c.handler_role,
                                        received_at=now, triage=name))
            reg.session.add(CaseRow(ref="NK-2026-0001", org_id="nacka", year=2026, number=1, kind="complaint",
                                    flags=[], unit_id="hemtjanst", received_at=now, triage="nacka"))
        for who, actor in ACTORS.items():
            with store.transaction(readonly=True) as reg:
                rows: list[Any] = list(reg.session.execute(select(CaseRow).where(visible(actor))).scalars())
            assert {r.triage for r in rows if r.org_id == "norrmalm"} == {
                what for what in CASES if TABLE[who][what][0]}, who
            assert all(allowed(actor, "view", r) for r in rows)
    finally:
        store.dispose()


def test_action_commands_are_read_in_swedish_and_english() -> None:
    org = load(ROOT / "config" / "mailflow.toml", env={}).org("norrmalm")
    cmds, errors = commands.parse("#åtgärd Samtal med personalen\n#preventive New routine for keys\n", org)
    assert not errors
    assert [(c.verb, c.arg) for c in cmds] == [("action", "Samtal med personalen"),
                                               ("preventive_action", "New routine for keys")]
    cmds, errors = commands.parse("#åtgärd\n", org)
    assert not cmds and errors and "skriv vad som gjorts" in errors[0].reason


async def test_the_action_mail_command_records_an_action_counted_by_the_statistics(world: Any) -> None:
    import json

    from tests import mails

    arrival = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    world.deliver(mails.NORRMALM, mails.build(), arrival)
    report = await world.run_once(arrival)
    ref = report.refs[0]
    world.deliver(mails.NORRMALM, mails.build(frm=f"Registrator <{mails.NORRMALM_REGISTRAR}>", to=mails.NORRMALM,
                                             subject=f"[{ref}]",
                                             body="#åtgärd Vi ringde Åsa Öberg på 070-123 45 67 och bad om ursäkt.\n"),
                  arrival)
    await world.run_once(arrival)
    events = [e for e in world.case(ref)["events"] if e["kind"] == "action"]
    assert len(events) == 1 and events[0]["actor"] == mails.NORRMALM_REGISTRAR
    assert "070-123" not in events[0]["detail"]["text"] and "bad om ursäkt" in events[0]["detail"]["text"]
    import email
    import email.policy

    receipts = [email.message_from_bytes(m.data, policy=email.policy.default) for m in world.sent()
                if mails.NORRMALM_REGISTRAR in m.rcpt_tos]
    told = [r.get_body(("plain",)).get_content() for r in receipts if r["X-Mailflow-Purpose"] == "command"]
    assert any("Registrerat: åtgärd" in t for t in told), told
    rc, out, err = world.cli("report", "--org", "norrmalm", "--period", "2026", "--format", "json")
    assert rc == 0, err
    assert json.loads(out)["reports"][0]["actions"]["cases_with_action"] == 1
