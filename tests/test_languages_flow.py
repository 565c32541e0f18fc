"""A citizen who writes in Finnish is answered in Finnish; staff read Swedish and learn the citizen's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import mails
from tests.conftest import World

pytestmark = pytest.mark.integration
TZ = ZoneInfo("Europe/Stockholm")
ARRIVAL = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
CITIZEN = "aino.virtanen@example.fi"
HEMTJANST = "enhetschef.hemtjanst.norrmalm@stockholm.example.se"
FINNISH = mails.build(
    frm=f"Aino Virtanen <{CITIZEN}>",
    subject="Valitus kotihoidosta",
    body="Hei!\n\nKotihoito ei tullut tiistaina, ja äitini joutui odottamaan koko päivän ilman apua. "
         "Tämä ei ole hyväksyttävää. Toivon, että asia korjataan pian ja että joku ottaa minuun yhteyttä.\n\n"
         "Ystävällisin terveisin\nAino Virtanen\n",
)


async def test_finnish_complaint_gets_a_finnish_acknowledgment_and_a_swedish_forward(world: World) -> None:
    world.deliver(mails.NORRMALM, FINNISH, ARRIVAL)
    report = await world.run_once(NOW)
    assert report.outcomes == {"registered": 1}
    case = world.case("NM-2026-0001")
    assert case["language"] == "fi"
    assert any(c.startswith("language:fi (lingua") for c in case["classification_cues"])
    assert case["unit"] == "hemtjanst"  # a Finnish keyword of the unit ("kotihoito")

    [ack] = world.mailbox(CITIZEN)
    assert ack["Subject"] == "[NM-2026-0001] Olemme saaneet valituksesi"
    text = ack.get_body(("plain",)).get_content()
    assert text.startswith("Hei Aino!")
    assert "Asianumerosi on NM-2026-0001. Saimme valituksesi 2. maaliskuuta 2026." in text
    assert "Asiasi käsittelee Hemtjänsten Norrmalm. Saat vastauksen viimeistään 20. maaliskuuta 2026." in text
    assert "Olen pahoillani" in text  # the gift principle's regret, in the first person
    contact = world.org("norrmalm").contact
    for needed in (contact.name, contact.address, f"Puhelin: {contact.phone}", contact.email):
        assert needed in text
    html = ack.get_body(("html",)).get_content()
    assert '<html lang="fi" dir="ltr">' in html and "Asianumerosi on NM-2026-0001." in html

    [forward] = world.mailbox(HEMTJANST)
    assert forward["Subject"] == "[NM-2026-0001] Valitus kotihoidosta"
    ftext = forward.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Ett nytt ärende (klagomål) har kommit in till Norrmalms stadsdelsförvaltning." in ftext
    assert "Medborgarens språk: finska" in ftext
    assert "Återkoppling senast: fredag 20 mars 2026" in ftext  # staff dates stay Swedish
    # an answer template in Finnish, from the catalog, for the manager to start from
    assert "Svarsmall på finska" in ftext
    assert "Hei Aino!" in ftext and "Kiitos, että kirjoitit meille. Asianumerosi on NM-2026-0001." in ftext
    assert "Ystävällisin terveisin\nAnneli Berg" in ftext


async def test_finnish_to_an_organization_without_finnish_is_answered_in_english(make_world) -> None:  # type: ignore[no-untyped-def]
    world: World = make_world({})
    raw = mails.build(to=mails.NACKA, frm=f"Aino Virtanen <{CITIZEN}>", subject="Valitus",
                      body="Hei!\n\nRuoka tarjoiltiin kylmänä koko viikon ajan, eikä kukaan vastannut puhelimeen. "
                           "Tämä ei ole hyväksyttävää.\n\nAino Virtanen\n")
    world.deliver(mails.NACKA, raw, ARRIVAL)
    await world.run_once(NOW)
    [case] = world.cases()
    assert case["language"] == "en"
    assert any("wrote fi" in c for c in case["classification_cues"])
    [ack] = world.mailbox(CITIZEN)
    assert "Your case number is NK-2026-0001." in ack.get_body(("plain",)).get_content()
