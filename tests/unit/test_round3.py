"""Round 3 of issue 12: the patterns the second blind corpus showed, each with examples of our own.

The organization is the one of `test_generalize` (Storvik: other units, keywords and providers
than the shipped ones), so that nothing here leans on the shipped configuration's words.
"""

from __future__ import annotations

from mailflow.model import Kind
from mailflow.nlp import staff
from mailflow.pipeline.classify import classify_text
from tests.unit.test_generalize import ORG

# -- praise of the staff's manner is not a complaint about one employee --------------------


def test_thanks_for_a_kind_welcome_is_praise_without_about_employee() -> None:
    c = classify_text("Tack till alla på Lundens vård- och omsorgsboende för ett varmt och fint bemötande "
                      "när pappa kom dit i våras. Ni gör ett underbart jobb!", "Tack", ORG)
    assert c.kind is Kind.PRAISE
    assert "about_employee" not in c.flags


def test_an_unkind_manner_of_one_nurse_is_still_about_an_employee() -> None:
    c = classify_text("Sjuksköterskan på kvällen hade ett otrevligt bemötande mot min mamma och "
                      "suckade när hon bad om hjälp.", "", ORG)
    assert "about_employee" in c.flags


def test_the_stem_of_an_agent_noun_is_no_staff_member() -> None:
    # "vård" (care) after a genitive is a place's name, not "vårdare" (a carer)
    assert staff.mentions("Personalen på Lundens vård och omsorg var snälla.") == []
    assert [m.text for m in staff.mentions("Vårdaren på natten var snäll.")] == ["Vårdaren"]
