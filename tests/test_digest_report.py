"""The registrar's digest from `run` and the council's statistics from `report`, over real servers."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailflow.service import Service
from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def digests(world: World, registrar: str = mails.NORRMALM_REGISTRAR) -> list:  # type: ignore[type-arg]
    """The digests in the registrar's mailbox (mailflow watches it too and files what it has seen)."""
    seen = world.mailbox(registrar, "Processed") + world.mailbox(registrar)
    return [m for m in seen if m["X-Mailflow-Purpose"] == "digest"]


@pytest.fixture
def world(make_world, request: pytest.FixtureRequest) -> World:  # type: ignore[no-untyped-def]
    return make_world({}, service={"digest_time": "07:30"})  # type: ignore[no-any-return]


async def test_digest_goes_out_once_per_working_day_at_digest_time(world: World) -> None:
    world.deliver(mails.NORRMALM, mails.build(), at(3, 2, 9))  # Monday
    world.deliver(mails.NORRMALM, mails.build(frm="Jörgen Bäckman <jorgen@example.net>", subject="Om mamma på boendet",
                                             body="Min mamma på Sabbatsberg låg på golvet hela natten.\n"),
                  at(3, 2, 9, 30))
    world.deliver(mails.NORRMALM, mails.UNPARSEABLE, at(3, 2, 9, 40))
    await world.run_once(at(3, 2, 10))
    monday = digests(world)
    assert len(monday) == 1  # Monday's own digest went out at the first pass after 07:30

    assert (await world.run_once(at(3, 3, 7, 29))).digests == 0  # before digest_time
    tuesday = await world.run_once(at(3, 3, 7, 31))
    assert tuesday.digests == 2  # both organizations
    assert (await world.run_once(at(3, 3, 12))).digests == 0  # once per day
    # a second worker against the same database queues nothing more
    other = Service(world.config, world.store, world.service(at(3, 3, 13)).clock, env=world.env)
    assert (await other.run_once()).digests == 0
    assert len(digests(world)) == 2

    text = digests(world)[0].get_body(("plain",)).get_content()
    assert "NM-2026-0001" in text and "Klagomål på hemtjänsten" in text  # ref, unit and one line
    assert "NM-2026-0002" in text and "Om mamma på boendet" not in text  # Lex Sarah: ref and unit only
    assert "karantän" in text.lower()  # the unreadable message waits for triage
    html = digests(world)[0].get_body(("html",)).get_content()
    assert "<script" not in html.lower() and "NM-2026-0001" in html

    # Saturday: no digest; the quiet Monday after still gets one that says so
    assert (await world.run_once(at(3, 7, 9))).digests == 0
    await world.run_once(at(3, 9, 8))
    quiet = digests(world)[-1].get_body(("plain",)).get_content()
    assert "Inget nytt har hänt" in quiet, quiet
    assert len(digests(world)) == 3  # Monday 2, Tuesday 3 and (no pass Wednesday to Friday) Monday 9


async def test_digest_command_prints_and_sends_once(world: World) -> None:
    world.deliver(mails.NACKA, mails.html_only_complaint(mails.mid()), at(3, 2, 9))
    await world.run_once(at(3, 2, 7, 0))  # before digest time: the case only
    rc, out, err = world.cli("digest", "--org", "nacka", "--date", "2026-03-02")
    assert rc == 0, err
    assert "NK-2026-0001" in out and "Synpunkt om maten på Sofiero" in out
    rc, out, _ = world.cli("digest", "--org", "nacka", "--date", "2026-03-02", "--send")
    assert rc == 0 and "queued for registrator.valfard@nacka.example.se" in out
    rc, out, _ = world.cli("digest", "--org", "nacka", "--date", "2026-03-02", "--send")
    assert rc == 0 and "already sent" in out
    assert len(digests(world, mails.NACKA_REGISTRAR)) == 1
    rc, _, err = world.cli("digest", "--org", "tyresö")
    assert rc == 1 and "no organization 'tyresö'" in err


async def test_report_command_writes_html_csv_and_json(world: World, tmp_path: Path) -> None:
    world.deliver(mails.NORRMALM, mails.build(), at(3, 2, 9))
    world.deliver(mails.NORRMALM, mails.latin1_complaint(mails.mid()), at(4, 30, 23, 30))  # still T1
    world.deliver(mails.NORRMALM, mails.build(subject="Tack", body="Stort tack för ett fint bemötande!\n",
                                             frm="Karl <karl@example.com>"), at(5, 1, 0, 10))  # T2
    world.deliver(mails.NACKA, mails.html_only_complaint(mails.mid()), at(3, 2, 9))
    await world.run_once(at(5, 4, 7, 0))

    rc, out, err = world.cli("report", "--org", "all", "--period", "2026-T1", "--format", "json")
    assert rc == 0, err
    data = json.loads(out)
    text = json.dumps(data, ensure_ascii=False)
    assert "norrmalm" in text and "nacka" in text

    out_csv = tmp_path / "t1.csv"
    rc, out, err = world.cli("report", "--org", "norrmalm", "--period", "2026-T1", "--format", "csv",
                             "--out", str(out_csv))
    assert rc == 0 and "wrote" in out, err
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["organization", "period", "dimension", "key", "value"]
    assert all(r[0] == "Norrmalms stadsdelsförvaltning" for r in rows[1:])
    # two complaints in T1 (2 March and 30 April 23:30 local): small counts show as "<3"
    kind_rows = [r for r in rows if r[2] == "kind" and r[3] == "klagomål"]
    assert kind_rows and kind_rows[0][4] == "<3"

    out_html = tmp_path / "t1.html"
    rc, _, err = world.cli("report", "--org", "all", "--period", "2026-T1", "--out", str(out_html))
    assert rc == 0, err
    page = out_html.read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page.lower() and "http" not in page
    ET.fromstring(page.split("\n", 1)[1] if page.startswith("<!DOCTYPE") else page)  # well-formed

    rc, _, err = world.cli("report", "--org", "norrmalm", "--period", "2026-T4")
    assert rc == 1 and "--period" in err
