"""Rules that hold on text nobody tuned them on (issue 12): word forms, compounds, longest match,
forwarded own mail, one employee singled out, anonymity, Finnish, and de-identification of persons.

Every example is written for this file, with an organization of its own (other unit names,
keywords and providers than the shipped ones) where routing is concerned.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow import config as config_mod
from mailflow.config import Organization
from mailflow.model import Parsed
from mailflow.nlp import morph, names, staff
from mailflow.pipeline.classify import classify_text, has_reply_address
from mailflow.pipeline.deidentify import name_parts, scrub, third_parties
from mailflow.pipeline.parse import parse_bytes
from mailflow.pipeline.route import route_text, unit_scores
from mailflow.text import own_words

ROOT = Path(__file__).resolve().parents[2]


def _org() -> Organization:
    """A municipality of its own: Storvik, with a home-care provider and a named nursing home."""
    base = config_mod.load(ROOT / "config" / "mailflow.toml", env={}).org("nacka")
    data = base.model_dump()
    data.update(id="storvik", name="Storviks kommun", case_prefix="SV")
    mgr = "chef@storvik.example.se"
    data["departments"] = [{"id": "omsorg", "name": "Omsorg", "head": mgr},
                           {"id": "skola", "name": "Förskola", "head": mgr, "care": False}]
    data["units"] = [
        {"id": "hemtjanst", "name": "Hemtjänsten Storvik", "manager": mgr, "department": "omsorg",
         "keywords": ["hemtjänst", "home care", "kotihoito"]},
        {"id": "plus", "name": "Hemtjänst Plus (extern utförare)", "manager": mgr, "department": "omsorg",
         "keywords": ["hemtjänst"], "provider": {"name": "Hemtjänst Plus AB", "contact": "info@plus.example.se"}},
        {"id": "attendo", "name": "Attendo", "manager": mgr, "department": "omsorg",
         "keywords": [], "provider": {"name": "Attendo Sverige AB", "contact": "k@attendo.example.se"}},
        {"id": "lunden", "name": "Vård- och omsorgsboendet Lunden", "manager": mgr, "department": "omsorg",
         "keywords": ["äldreboende", "boende"]},
        {"id": "boendestod", "name": "Boendestöd", "manager": mgr, "department": "omsorg",
         "keywords": ["boendestöd"]},
        {"id": "forskola", "name": "Förskolorna", "manager": mgr, "department": "skola",
         "keywords": ["förskola", "päiväkoti"]},
    ]
    return Organization.model_validate(data)


ORG = _org()


def unit_of(text: str, language: str = "sv") -> str | None:
    c = classify_text(text, "", ORG)
    if language == "fi":
        from dataclasses import replace

        c = replace(c, language="fi")
    return route_text(text, ORG, c).unit_id


# -- word forms and compounds ------------------------------------------------------------


@pytest.mark.parametrize("word, term", [
    ("förskolans", "förskola"), ("förskolorna", "förskola"), ("boendet", "boende"), ("homes", "home"),
    ("gruppbostäderna", "gruppbostad"), ("sjuksköterskan", "sjuksköterska"),
])
def test_inflected_forms_match_their_lemma(word: str, term: str) -> None:
    assert morph.inflected(word, term)


@pytest.mark.parametrize("word, term", [("insatt", "insats"), ("vuxen", "vuxenenheten"), ("parkering", "park"),
                                        ("kulturella", "kultur")])
def test_a_different_word_that_starts_alike_does_not_match(word: str, term: str) -> None:
    assert morph.word_match(word, term) is None


def test_compound_head_and_first_part_match_but_a_derivation_does_not() -> None:
    assert morph.word_match("nattboendet", "boende") == (4, 11)
    assert morph.word_match("hemtjänstgruppen", "hemtjänst") == (0, 9)
    assert morph.word_match("parkeringen", "park") is None


def test_finnish_case_endings_with_consonant_gradation_only_in_finnish_text() -> None:
    assert morph.word_match("kotihoidosta", "kotihoito", True, True) is not None
    assert morph.word_match("kotihoidosta", "kotihoito", True, False) is None


# -- longest match: a provider's proper name beats the generic word ---------------------------


def test_provider_named_in_the_text_gets_the_case_not_the_generic_home_care_unit() -> None:
    text = "Min mamma har hemtjänst från Hemtjänst Plus och de kommer aldrig i tid."
    assert unit_of(text) == "plus"
    scores = unit_scores(text, ORG)
    assert scores[0][1].id == "plus"
    assert all(u.id != "hemtjanst" or s < scores[0][0] for s, u, _ in scores)


def test_a_provider_named_by_its_distinctive_word_alone() -> None:
    assert unit_of("Pappa får hemtjänst av Attendo sedan i våras. Ingen kom i går kväll.") == "attendo"
    # without the name, two units list "hemtjänst": the registrar decides
    assert unit_of("Pappa har hemtjänst. Ingen kom i går kväll.") is None


def test_a_longer_keyword_wins_over_the_shorter_one_inside_it() -> None:
    assert unit_of("Mitt boendestöd har ställts in tre veckor i rad.") == "boendestod"
    assert unit_of("Pappa bor på äldreboendet och maten är kall.") == "lunden"


def test_finnish_complaint_is_routed_by_finnish_keywords() -> None:
    text = "Äitini kotihoidosta ei ole tullut ketään kahteen päivään. Tämä ei ole hyväksyttävää."
    assert unit_of(text, "fi") == "hemtjanst"
    assert classify_text(text, "", ORG).kind.value == "complaint"


# -- forwarded own mail --------------------------------------------------------------------


def _mail(body: str, sender: str = "Karin Holm <karin.holm@example.com>") -> Parsed:
    raw = (f"From: {sender}\r\nTo: synpunkter@storvik.example.se\r\nSubject: VB: Trappan\r\n"
           "Message-ID: <fw1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    p = parse_bytes(raw)
    assert isinstance(p, Parsed)
    return p


def test_forwarded_own_outlook_mail_is_the_writers_words() -> None:
    p = _mail("Jag har inte fått svar på detta.\n\n/Karin\n\n-----Ursprungligt meddelande-----\n"
              "Från: Karin Holm <karin.holm@example.com>\nSkickat: den 2 mars 2026 10:00\n"
              "Till: synpunkter@storvik.example.se\nÄmne: Trappan\n\n"
              "Hemtjänsten lämnar ytterdörren olåst varje morgon när de går.\n")
    assert "ytterdörren olåst" in p.own_text and "ytterdörren olåst" in p.words
    assert "Från:" not in p.own_text


def test_gmail_forward_and_an_english_forward_from_the_sender_are_kept() -> None:
    gmail = ("Sending this again.\n\n---------- Forwarded message ---------\n"
             "From: Karin Holm <karin.holm@example.com>\nDate: Mon, 2 Mar 2026\nSubject: Stairs\n"
             "To: <synpunkter@storvik.example.se>\n\nThe lift in the care home has been broken for a month.\n")
    assert "lift in the care home" in own_words(gmail, "karin.holm@example.com", "Karin Holm")[1]
    bare = "Här igen.\n\n---------- Vidarebefordrat meddelande ---------\n\nPersonalen glömmer medicinen.\n"
    assert "glömmer medicinen" in own_words(bare, "x@example.com", "X Y")[0]


def test_a_quoted_reply_of_someone_else_stays_out() -> None:
    p = _mail("Tack, men det räcker inte.\n\nKarin\n\n________________________________\n"
              "Från: Olle Chef <olle.chef@storvik.example.se>\nSkickat: den 3 mars 2026\n"
              "Till: Karin Holm <karin.holm@example.com>\nÄmne: SV: Trappan\n\nVi ser över schemat i vår.\n")
    assert "räcker inte" in p.own_text
    assert "schemat" not in p.own_text


# -- one employee singled out --------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Läraren i klass 2B var otrevlig mot min dotter igen i dag.",
    "Vår hemtjänstpersonal är bra, men en av undersköterskorna är alltid kort i tonen mot pappa.",
    "The manager at the day centre was short with me on the phone and does not answer my mails.",
    "Chefen på boendet svarar aldrig när jag ringer, och det har gått tre veckor.",
    "Det gäller Rasmus i personalen. Han himlade med ögonen när mamma bad om hjälp.",
])
def test_a_complaint_about_one_employee_is_flagged(text: str) -> None:
    c = classify_text(text, "", ORG)
    assert "about_employee" in c.flags, c.cues


@pytest.mark.parametrize("text", [
    "Personalen på boendet är stressad och maten kommer sent.",  # a group, not one person
    "Min mamma Gunhild är 90 år och hemtjänsten kommer sent varje dag.",  # a relative, not staff
    "Undersköterskan Rasmus var fantastisk, tack! Men schemat ändras hela tiden och det är kaos.",
])
def test_no_employee_singled_out_with_bad_conduct_is_not_flagged(text: str) -> None:
    assert "about_employee" not in classify_text(text, "", ORG).flags


def test_relatives_and_the_writer_are_not_staff_but_a_named_carer_is() -> None:
    found = staff.mentions("Min dotter Elsa och jag träffade undersköterskan Petra i går.",
                           not_people=("Jonas",))
    texts = {m.text: m.how for m in found}
    assert "Elsa" not in texts
    assert texts.get("Petra") == "role+name"


# -- anonymous -------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", ['"Anonym" <a81@example.com>', "Anonymous <x@example.org>",
                                    "Anonym förälder <foralder.x@example.com>"])
def test_a_display_name_saying_anonymous_makes_an_anonymous_case(sender: str) -> None:
    ok, cue = has_reply_address(_mail("Hej.", sender))
    assert ok is False and "display name" in cue


def test_someone_elses_wish_for_anonymity_does_not_make_the_writer_anonymous() -> None:
    c = classify_text("Grannen vill vara anonym, men jag skriver under med mitt namn.\n\nMvh\nKarin Holm", "", ORG)
    assert "anonymous" not in c.flags


# -- de-identification of every person and only persons -----------------------------------------


def test_writer_name_parts_that_are_everyday_words_survive_as_words() -> None:
    text = "Jag heter Per Bo Lind. Det kostar 90 kr per dag och jag vill bo kvar vid en lind. Mvh Per"
    out = scrub(text, name_parts("Per Bo Lind"))
    assert "90 kr per dag" in out and "vill bo kvar" in out and "vid en lind" in out
    assert "Per" not in out.replace("per dag", "") and "Lind." not in out


def test_third_parties_become_placeholders_and_an_employee_is_marked() -> None:
    text = ("Min granne Sture Alm hittade pappa. Undersköterskan Malin skrek åt honom. "
            "Malin har gjort så förut. Pappa bor på Lunden.")
    people = third_parties(text, ORG, name_parts("Karin Holm"), about_employee=True)
    out = scrub(text, name_parts("Karin Holm"), people)
    assert "Sture" not in out and "Alm" not in out and "Malin" not in out
    assert "[namn:personal] skrek" in out and "Min granne [namn] hittade" in out
    assert "Lunden" in out  # a unit's name is no person


def test_gazetteer_names_need_a_capital_and_common_words_a_place_inside_a_sentence() -> None:
    assert names.is_first_name("Ingrid") and not names.is_first_name("Mamma")
    found = [n.text for n in names.person_names("Inga kom i går. Vi pratade med Inga Berg och Stig.")]
    assert found == ["Inga Berg", "Stig"]


def test_names_with_a_ring_or_dots_are_names_too() -> None:
    # the gazetteer is UTF-8: Swedish names with å, ä and ö must not be lost on the way in
    for name in ("Åsa", "Åke", "Märta", "Göran", "Björn", "Örjan", "Mårten", "Håkan"):
        assert names.is_first_name(name), name
    text = "Min mamma Märta fick vänta. Göran Åström på enheten sa att Åke skulle komma."
    people = third_parties(text, ORG, name_parts("Karin Holm"), about_employee=False)
    out = scrub(text, name_parts("Karin Holm"), people)
    assert not any(n in out for n in ("Märta", "Göran", "Åström", "Åke")), out
    assert "Min mamma [namn] fick vänta" in out
