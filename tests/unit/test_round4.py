"""Round 4 of issue 12: the patterns the third blind corpus showed, each with examples of our own.

The organization is Storvik of `test_generalize` (its own units, keywords and providers), so that
nothing here leans on the shipped configuration's words.
"""

from __future__ import annotations

from mailflow.nlp import districts, sarah
from mailflow.pipeline.classify import classify_text
from mailflow.pipeline.route import elsewhere, own_areas, route_text
from tests.unit.test_generalize import ORG


def _sarah(text: str) -> bool:
    return "lex_sarah" in classify_text(text, "", ORG).flags


# -- Lex Sarah: what is not misconduct toward someone in care --------------------------------


def test_weight_lost_with_a_dietitian_following_it_is_no_lex_sarah() -> None:
    assert not _sarah("Pappa på Lunden har tappat fem kilo i höst. Dietisten följer honom och han väger sig "
                      "varje vecka, men jag önskar godare kvällsmat.")


def test_weight_lost_that_nobody_noticed_is_neglect() -> None:
    assert _sarah("Pappa på boendet har tappat fem kilo på en månad och ingen märkte något förrän jag kom.")


def test_a_meal_moved_without_asking_is_not_a_meal_withheld() -> None:
    assert not _sarah("Boendet ändrade middagen till klockan fyra utan att fråga de boende.")
    assert not _sarah("The carers make her dinner without washing their hands in the home care.")


def test_a_meal_not_given_is_still_neglect() -> None:
    assert _sarah("Mamma har hemtjänst och blev utan middag i går, ingen kom.")


def test_not_being_told_is_information_not_harm() -> None:
    assert not _sarah("Han blev akut inlagd på sjukhus från boendet och jag har inte fått veta något.")


def test_a_dose_that_was_not_missed_is_no_medication_error() -> None:
    assert not _sarah("Dosetten till hemtjänsten kom inte, men sjuksköterskan ordnade medicinen samma dag "
                      "så han missade ingen dos.")
    assert _sarah("Hemtjänsten glömde hans medicin två dagar i rad.")


def test_staff_said_to_have_handled_it_right_leave_only_grave_misconduct() -> None:
    assert sarah.handled("Personalen agerade helt korrekt och ringde ambulans.")
    assert not _sarah("Mamma föll på boendet. Personalen agerade helt korrekt, men ingen ringde mig förrän "
                      "efter fyra timmar.")
    # a theft stays Lex Sarah whatever else went right
    assert _sarah("Personalen agerade korrekt när hon föll, men en vårdare på boendet har stulit hennes pengar.")


def test_handled_right_denied_is_not_reassurance() -> None:
    assert sarah.handled("Ingen tillsyn är dokumenterad efter midnatt.") == ""
    assert sarah.handled("De har inte agerat korrekt.") == ""


def test_a_finnish_storeroom_is_no_theft() -> None:
    assert not _sarah("Poikani on päivätoiminnassa ja hän oli yksin varastossa koko päivän.")
    assert _sarah("Kotihoidon työntekijä varasti äidin rahat.")


def test_remarks_about_a_clients_body_are_sexual_misconduct() -> None:
    assert _sarah("Hans boendestödjare skickar sms till honom på nätterna med kommentarer om hans kropp.")


# -- other_district: another district or municipality named as the one responsible ----------


def _elsewhere(text: str) -> tuple[str | None, list[str]]:
    routing = route_text(text, ORG, classify_text(text, "", ORG))
    routing, cues = elsewhere(text, ORG, routing)
    return routing.unit_id, cues


def test_home_care_from_another_municipality_goes_to_triage_flagged() -> None:
    unit, cues = _elsewhere("Min pappa bor i Huddinge och har hemtjänst från Huddinge kommun. De kommer aldrig "
                            "i tid.")
    assert unit is None and cues and "Huddinge" in cues[0]


def test_a_service_on_another_stockholm_district_in_english() -> None:
    unit, cues = _elsewhere("The preschool on Bromma my son attends has had no teacher for weeks.")
    assert unit is None and cues


def test_a_finnish_case_ending_on_the_area_is_the_area() -> None:
    assert districts.responsible_elsewhere("Poikani koulussa Solnassa ei ole opettajaa.", own_areas(ORG))


def test_where_the_writer_lives_grew_up_or_moved_from_is_not_responsible() -> None:
    own = own_areas(ORG)
    assert districts.responsible_elsewhere("Jag bor på Östermalm och mamma har hemtjänsten i Storvik.", own) == []
    assert districts.responsible_elsewhere("Jag växte upp i Täby. Hemtjänsten är bra.", own) == []
    assert districts.responsible_elsewhere("Vi flyttade från en gruppbostad i Solna till Storvik i maj.", own) == []


def test_a_comparison_or_a_service_said_to_work_is_not_responsible() -> None:
    own = own_areas(ORG)
    assert districts.responsible_elsewhere("På förskolan i Bromma där min systerson går har de tre pedagoger.",
                                           own) == []
    assert districts.responsible_elsewhere("Hemtjänsten i Solna har fungerat bra för oss.", own) == []
    assert districts.responsible_elsewhere("A playground like the one in Täby would be great.", own) == []


def test_our_unit_named_by_place_keeps_the_case_when_another_area_is_said_once() -> None:
    unit, cues = _elsewhere("Vård- och omsorgsboendet Lunden borde ha terapihundar, vi besöker boenden i Solna.")
    assert unit == "lunden" and cues == []


def test_our_own_area_tied_to_the_service_keeps_the_case() -> None:
    unit, cues = _elsewhere("Varför svarar ingen på hemtjänsten i Storvik? I Solna kommun svarar de direkt.")
    assert cues == []


# -- a provider beside the organization's own service said in so many words -----------------


def test_a_provider_named_as_an_option_beside_the_own_service_does_not_take_the_case() -> None:
    text = "The council's own home care is late every day. We are thinking of switching to Attendo."
    assert route_text(text, ORG, classify_text(text, "", ORG)).unit_id == "hemtjanst"


def test_a_provider_complained_about_keeps_the_case() -> None:
    text = "Hemtjänsten från Attendo kommer aldrig i tid till mamma."
    assert route_text(text, ORG, classify_text(text, "", ORG)).unit_id == "attendo"


def test_the_own_service_in_the_past_does_not_move_a_provider_case() -> None:
    text = ("Mamma har hemtjänst från Attendo sedan i vår och de kommer sent. "
            "When she had the council's own home care last year it worked.")
    assert route_text(text, ORG, classify_text(text, "", ORG)).unit_id == "attendo"


# -- anonymous: said in other words, signed so, or a no-reply sender who gives an address ---------


def _anon(text: str) -> bool:
    return "anonymous" in classify_text(text, "", ORG).flags


def test_keep_it_anonymous_and_writing_without_a_name_are_wishes_for_anonymity() -> None:
    assert _anon("Could you keep my name anonymous, please? The home care is late every day.")
    assert _anon("Jag skriver utan mitt namn eftersom mamma bor kvar på boendet.")
    assert _anon("Gör något åt nattpersonalen. Jag kommer inte att svara på frågor om detta.")


def test_signed_with_a_word_of_anonymity() -> None:
    assert _anon("Hej,\nmaten på boendet är kall varje dag.\n\nEn anonym anhörig")


def test_a_form_field_answered_no_is_no_wish_for_anonymity() -> None:
    assert not _anon("Namn: Greta Holm\nTelefon: 070-000 00 00\nVill vara anonym: nej\n\nMaten är kall.")
    assert not _anon("Name: Greta Holm\nAnonymous? No\n\nThe food is cold.")


def test_a_no_reply_sender_who_gives_an_address_in_the_text_can_be_answered() -> None:
    from mailflow.pipeline.classify import reply_address
    from tests.unit.test_classify_route import parsed

    ok, cue = reply_address(parsed("noreply-intranet@arbetsgivare.example.com",
                                   "Skicka svaret till min privata adress: greta.holm@example.org\nMaten är kall."))
    assert ok and "reply address in the text" in cue
    assert reply_address(parsed("noreply-intranet@arbetsgivare.example.com", "Maten är kall."))[0] is False


# -- about_employee: a relative who sees someone is not that person's kin; Finnish words are no names --


def test_a_worker_named_after_a_relative_saw_her_is_staff_not_kin() -> None:
    from mailflow.nlp import staff

    text = ("Mormor har hemtjänst. En ny tjej som heter Felicia började i maj, och sedan dess saknas pengar. "
            "Mormor har sett Felicia i byrålådan.")
    assert "Felicia" in [m.text for m in staff.mentions(text)]
    assert "about_employee" in classify_text(text, "", ORG).flags


def test_a_name_after_kin_and_a_preposition_is_kin() -> None:
    from mailflow.nlp import staff

    assert staff.mentions("Jag är mamma och god man till Vera, som har boendestöd.") == []


def test_a_finnish_verb_at_the_start_of_a_sentence_is_no_name() -> None:
    text = "Olen soittanut kotihoitoon kolme kertaa, kukaan ei vastaa."
    assert "about_employee" not in classify_text(text, "", ORG).flags


def test_sedatives_given_without_anyone_prescribing_them() -> None:
    assert _sarah("En undersköterska på boendet ger de boende lugnande utan att någon läkare ordinerat det.")


# -- the writer's address: a street of two words, a street named in the signature without a number ----


def test_a_street_name_of_two_words_with_a_number_is_an_address() -> None:
    from mailflow.pipeline.deidentify import scrub

    out = scrub("Hälsningar\nGreta Holm\nLinné allé 14\n", ("Greta", "Holm"))
    assert "Linné allé 14" not in out and "[adress]" in out
    assert "Storviks torg 3" not in scrub("Jag bor på Storviks torg 3.")


def test_a_street_after_the_name_in_the_signature_is_an_address_and_words_stay() -> None:
    from mailflow.pipeline.deidentify import scrub

    out = scrub("Parken är fin men bänkarna är trasiga.\n\nGreta Holm, Lindvägen\n", ("Greta", "Holm"))
    assert "Lindvägen" not in out and "bänkarna är trasiga" in out
    assert "Lindvägen" in scrub("Vi gick längs Lindvägen till parken.")


# -- triage: a general view names no unit ------------------------------------------------------


def test_a_general_view_on_policy_goes_to_triage() -> None:
    text = "En allmän synpunkt: kommunen borde inte låta privata bolag driva hemtjänst. Jag är inte brukare."
    assert route_text(text, ORG, classify_text(text, "", ORG)).unit_id is None


def test_a_general_view_about_a_named_unit_stays_with_it() -> None:
    text = "En allmän synpunkt om Vård- och omsorgsboendet Lunden: fler utflykter vore bra."
    assert route_text(text, ORG, classify_text(text, "", ORG)).unit_id == "lunden"


# -- kind: "wrong" as the writer's view or a generality; thanks said the everyday way ---------------


def test_wrong_as_the_writers_view_is_an_opinion() -> None:
    from mailflow.model import Kind

    c = classify_text("Jag anser att det är fel att boendestödet flyttas till video. Förslag: låt oss välja själva.",
                      "", ORG)
    assert c.kind is Kind.OPINION


def test_wrong_in_a_generality_inside_thanks_is_praise() -> None:
    from mailflow.model import Kind

    c = classify_text("Folk hör av sig om något är fel, så jag vill tacka för en fin höst på Lunden.", "", ORG)
    assert c.kind is Kind.PRAISE


def test_wrong_said_of_what_happened_is_still_a_complaint() -> None:
    from mailflow.model import Kind

    c = classify_text("Jag tycker hemtjänsten är bra. Men i går gav de mamma fel mat.", "", ORG)
    assert c.kind is Kind.COMPLAINT


def test_tack_ska_ni_ha_is_thanks() -> None:
    from mailflow.model import Kind

    assert classify_text("Hemtjänsten kommer alltid i tid. Tack ska ni ha!", "", ORG).kind is Kind.PRAISE


# -- about_employee: the driver of a hired taxi is not the unit's; "den mannen ska inte in igen" -------


def test_the_driver_of_a_hired_taxi_late_is_not_about_one_employee() -> None:
    text = "Min dotter åker taxi till boendet. Chauffören kommer ofta en timme för sent."
    assert "about_employee" not in classify_text(text, "", ORG).flags


def test_a_hired_drivers_conduct_is_about_an_employee() -> None:
    text = "Chauffören på färdtjänsten till boendet skriker åt de boende och kör vårdslöst."
    assert "about_employee" in classify_text(text, "", ORG).flags


def test_that_man_must_not_come_again_singles_out_one_employee() -> None:
    text = ("Hemtjänsten skickade en lång kille med keps i går och han var otrevlig mot pappa. "
            "Den killen får inte komma in till pappa igen.")
    assert "about_employee" in classify_text(text, "", ORG).flags


# -- where the writer lives is an address, not a preschool's or a park's place ----------------------


def test_where_the_writer_lives_is_not_a_preschool_place() -> None:
    from mailflow.config import Organization

    data = ORG.model_dump()
    data["units"] = [dict(u, places=["ekudden"]) if u["id"] == "forskola" else u for u in data["units"]]
    org = Organization.model_validate(data)
    text = "Jag bor på Ekudden och har fått avslag på mitt boendestöd utan motivering."
    assert route_text(text, org, classify_text(text, "", org)).unit_id == "boendestod"
    text = "Förskolan på Ekudden har stängt tre dagar i rad."
    assert route_text(text, org, classify_text(text, "", org)).unit_id == "forskola"
