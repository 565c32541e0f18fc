"""The registrar's corrections over the real servers: a case registered from mail, corrected by a staff mail
command, counted in `report` and written by `corrections --export` (issue 12)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
REGISTRAR = mails.NORRMALM_REGISTRAR
PERSONNUMMER = "19410527-2464"


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ)


async def test_a_corrected_case_is_counted_in_the_report_and_exported_without_identity(
        world: World, tmp_path: Path) -> None:
    # three cases from citizens; the registrar corrects the unit and the kind of one, and confirms the kind of another
    body = (f"Hej!\n\nMitt personnummer är {PERSONNUMMER}. Jag vill bara säga att hemtjänsten kunde ringa "
            "innan de kommer, det vore bra.\n\nÅsa Öberg\n070-123 45 67\n")
    world.deliver(mails.NORRMALM, mails.build(frm="Åsa Öberg <asa.oberg@example.com>", subject="Hemtjänsten",
                                             body=body), at(3, 2, 9))
    world.deliver(mails.NORRMALM, mails.build(frm="Karl Ek <karl.ek@example.com>", subject="Parken",
                                             body="Gungorna i parken är trasiga sedan i vintras.\n"), at(3, 2, 9))
    world.deliver(mails.NORRMALM, mails.build(frm="Lena Sund <lena.sund@example.com>", subject="Maten",
                                             body="Maten på boendet är kall varje dag. Det är oacceptabelt.\n"),
                  at(3, 2, 9))
    report = await world.run_once(at(3, 2, 10))
    refs = sorted(report.refs)
    assert len(refs) == 3
    by_subject = {world.case(ref)["messages"][0]["subject"]: ref for ref in refs}
    home, park = by_subject["Hemtjänsten"], by_subject["Parken"]
    first = world.case(home)
    assert first["unit"] != "sabbatsberg"

    world.deliver(mails.NORRMALM, mails.build(frm=f"Registrator <{REGISTRAR}>", to=mails.NORRMALM,
                                             subject=f"[{home}] korrigering",
                                             body="#enhet sabbatsberg\n#typ klagomål\n"), at(3, 3, 9))
    world.deliver(mails.NORRMALM, mails.build(frm=f"Registrator <{REGISTRAR}>", to=mails.NORRMALM,
                                             subject=f"[{park}] korrigering", body="#typ klagomål\n"), at(3, 3, 9))
    await world.run_once(at(3, 3, 10))
    after = world.case(home)
    assert after["unit"] == "sabbatsberg"

    out = tmp_path / "rattelser.jsonl"
    rc, printed, err = world.cli("corrections", "--export", str(out))
    assert rc == 0, err
    assert "1 corrected cases" in printed and "unit 1" in printed
    [line] = out.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["ref"] == home and record["org"] == "norrmalm"
    assert record["first_decision"]["unit"] == first["unit"] and record["corrected"]["unit"] == "sabbatsberg"
    assert record["first_decision"]["kind"] == first["kind"] and record["corrected"]["kind"] == "complaint"
    want = ["unit"] if first["kind"] == "complaint" else ["kind", "unit"]
    assert record["corrected_decisions"] == want
    assert "ringa innan de kommer" in " ".join(record["text"].split())  # the writer's words, de-identified
    for secret in (PERSONNUMMER, "Öberg", "070-123 45 67", "asa.oberg"):
        assert secret not in line
    assert record["classification_cues"]

    rc, printed, err = world.cli("report", "--org", "norrmalm", "--period", "2026-T1", "--format", "json")
    assert rc == 0, err
    [stats] = json.loads(printed)["reports"]
    corrections = stats["corrections"]
    assert corrections["cases"] == 3 and corrections["corrected_cases"] == 1
    assert corrections["unit"] == {"count": 1, "share": round(1 / 3, 4)}
    assert corrections["kind"]["count"] == (1 if "kind" in want else 0)
    assert corrections["lex_sarah"]["count"] == 0 and corrections["anonymous"]["count"] == 0

    page = tmp_path / "t1.html"
    rc, _, err = world.cli("report", "--org", "norrmalm", "--period", "2026-T1", "--out", str(page))
    assert rc == 0, err
    html = page.read_text(encoding="utf-8")
    assert "Rättat av registrator" in html and "enhet &lt;3" in html  # one case of three: hidden as "<3"

    rc, _, err = world.cli("corrections", "--export", str(out), "--org", "tyresö")
    assert rc == 1 and "no organization 'tyresö'" in err
