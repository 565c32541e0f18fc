"""Round 3 of issue 12: the patterns the second blind corpus showed, each with examples of our own.

The organization is the one of `test_generalize` (Storvik: other units, keywords and providers
than the shipped ones), so that nothing here leans on the shipped configuration's words.
"""

from __future__ import annotations

from mailflow.config import Organization
from mailflow.model import Kind
from mailflow.nlp import names, staff
from mailflow.pipeline.classify import classify_text
from mailflow.pipeline.deidentify import scrub, signature_names, third_parties
from mailflow.pipeline.route import route_text
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


# -- routing: the background, landmarks and an area's name are not the matter --------------


def _org_with_district() -> Organization:
    """Storvik with a playground unit and benefits run by the neighbouring district of Åsby."""
    data = ORG.model_dump()
    mgr = "chef@storvik.example.se"
    data["units"] = list(data["units"]) + [
        {"id": "lek", "name": "Lekplatserna", "manager": mgr, "department": "skola",
         "keywords": ["lekplats"], "places": ["ekbacksparken"]},
        {"id": "bidrag", "name": "Bidragsenheten (Åsby)", "manager": mgr, "department": "omsorg",
         "keywords": ["ekonomiskt bistånd", "bidrag"], "places": ["åsby"],
         "district": {"name": "Åsby stadsdel", "contact": "bidrag@asby.example.se"}},
    ]
    return Organization.model_validate(data)


DORG = _org_with_district()


def _unit(text: str, org: Organization = DORG) -> str | None:
    return route_text(text, org, classify_text(text, "", org)).unit_id


def test_a_provider_named_only_as_the_former_one_does_not_take_the_case() -> None:
    text = ("Pappa bor kvar hemma. Innan dess hade han hemtjänst från Attendo. Nu kommer Hemtjänsten Storvik "
            "aldrig i tid och ingen ringer.")
    assert _unit(text) == "hemtjanst"
    text = "Dad lives at home. Before that he had home care from Attendo. Now the home care never comes on time."
    assert _unit(text) == "hemtjanst"
    text = ("We picked the municipality's home care instead of Attendo last spring. Now the visits are "
            "late every day.")
    assert _unit(text) == "hemtjanst"


def test_a_provider_said_to_work_well_beside_the_matter_does_not_take_the_case() -> None:
    text = ("Mamma bor på Lunden sedan i höstas och har fått liggsår. Förut hade hon hemtjänst från Attendo, "
            "där fungerade det bra.")
    assert _unit(text) == "lunden"


def test_a_provider_named_as_the_present_one_still_takes_the_case() -> None:
    assert _unit("Min moster har hemtjänst från Attendo och de kommer aldrig i tid.") == "attendo"


def test_a_place_named_to_say_where_another_service_is_is_a_landmark() -> None:
    text = "Förskolan vid Ekbacksparken stänger klockan 16 och ingen har frågat oss föräldrar."
    assert _unit(text) == "forskola"
    assert _unit("Lekplatsen i Ekbacksparken har trasiga gungor.") == "lek"


def test_an_area_where_someone_lives_is_not_the_district_office() -> None:
    text = "Vi bor i Åsby men dottern går på förskolan här. Förskolan har haft stängt fem dagar i år."
    assert _unit(text) == "forskola"


def test_the_district_is_meant_when_its_service_or_its_office_is() -> None:
    assert _unit("Jag har väntat i sex veckor på beslut om ekonomiskt bistånd från Åsby.") == "bidrag"
    assert _unit("Jag skickade papperen till Åsby för en månad sedan och ingen har svarat.") == "bidrag"


# -- Lex Sarah: the kinds of misconduct, and what is not one --------------------------------


def _sarah(text: str) -> bool:
    return "lex_sarah" in classify_text(text, "", ORG).flags


def test_the_writer_humiliated_at_an_office_is_a_complaint_not_lex_sarah() -> None:
    assert not _sarah("Min handläggare på boendestödet var otrevlig i telefon. Jag kände mig förnedrad och la på.")
    assert not _sarah("The officer at the desk laughed at my accent. I felt humiliated in front of everyone.")


def test_a_threatened_decision_is_not_a_threat_to_a_person() -> None:
    assert not _sarah("Boendestödet hotar att dra in mina timmar om jag inte kommer på mötet på måndag.")


def test_degrading_words_said_to_a_person_in_care_are_lex_sarah() -> None:
    assert _sarah("På äldreboendet hånade en av nattpersonalen honom inför de andra boende.")


def test_the_price_of_a_lost_thing_is_no_money_gone() -> None:
    assert not _sarah("Mammas glasögon försvann på äldreboendet förra veckan. De kostade 4 500 kr och hon ser "
                      "nästan ingenting utan dem.")
    assert _sarah("Det saknas 700 kr i pappas plånbok efter hemtjänstens besök i tisdags.")


def test_touching_the_intimate_parts_of_a_body_is_sexual_abuse() -> None:
    assert _sarah("En av männen i hemtjänsten har rört henne mellan benen när han hjälpte henne i duschen.")
    assert _sarah("At the care home one of the night staff touched her breasts while changing her.")


def test_other_tenses_and_words_between_still_say_neglect() -> None:
    assert _sarah("På korttidshemmet lämnar personalen barnen ensamma i badet fast två av dem har epilepsi.")
    assert _sarah("På äldreboendet fick pappa ligga kvar på golvet i en timme innan någon kom.")
    assert _sarah("Mamma har demens och gick ut från dagverksamheten. Ingen i personalen hade märkt att hon var "
                  "borta förrän polisen ringde.")


def test_finnish_words_in_their_weak_grade_are_found() -> None:
    assert _sarah("Äiti vietiin hoivakodista sairaalaan nestehukan takia. Hän ei ollut saanut juotavaa moneen "
                  "päivään.")


# -- one employee: described, named after "en man som heter", spoken of as "han"/"hon" ------


def _about(text: str) -> bool:
    return "about_employee" in classify_text(text, "", ORG).flags


def test_a_staff_member_described_in_apposition_is_singled_out() -> None:
    assert _about("Det mesta i hemtjänsten fungerar. Men en av dem, en ung kille med keps, pratar i telefon "
                  "under hela besöket hos mormor.")
    assert _about("I found the night staff, a woman with a blue cardigan, asleep on the sofa in the staff room.")


def test_a_man_called_by_name_is_no_husband() -> None:
    assert _about("En av personalen på Lunden, en man som heter Sixten, röker på pappas balkong varje kväll.")
    assert not _about("Min man Sixten är sjuk och personalen på Lunden gör ett bra jobb.")


def test_a_client_described_in_apposition_is_not_staff() -> None:
    assert not _about("I går gick en av våra besökare, en kvinna med demens, ut genom dörren och personalen "
                      "letade länge.")


def test_the_doubled_consonant_finds_the_definite_role() -> None:
    assert _about("På Lunden säger pappa att mannen på kvällspasset skällde på honom för att han spillde.")


def test_the_sentences_after_a_name_that_speak_of_han_or_hon_are_about_them() -> None:
    assert _about("Jag har en handläggare på boendestödet som heter Vilgot. Vi skulle ses i fredags. "
                  "Han kom inte och han svarar aldrig när jag ringer.")


def test_a_request_that_the_person_no_longer_come_is_about_them() -> None:
    assert _about("Samma vårdbiträde från Attendo har varit hos mamma varje gång smycket försvann. Jag vill att hon "
                  "inte skickas till mamma igen.")
    assert _about("Our carer, the tall one, shouts at Dad. I want to ask that he no longer comes to his flat.")


def test_what_nobody_did_is_not_the_act_of_the_nurse_who_came() -> None:
    text = ("Mamma på Lunden hade trycksår på hälen. Sjuksköterskan har nu lagt om såren, men hur kunde det gå "
            "så långt utan att någon märkte något?")
    assert not _about(text)


def test_the_hanging_up_said_verb_first_is_conduct() -> None:
    assert _about("Jag ringde Lunden om pappas mediciner. Sjuksköterskan, hon heter Irma, svarade kort. Sedan "
                  "lade hon på mitt i en mening.")


def test_a_feeling_of_humiliation_is_a_complaint_not_lex_sarah() -> None:
    c = classify_text("At the care home one of the staff talks to my mother like a small child. She felt "
                      "humiliated and cried.", "", ORG)
    assert c.kind is Kind.COMPLAINT
    assert "about_employee" in c.flags and "lex_sarah" not in c.flags


# -- de-identification: every person, and only persons; anonymity asked for -----------------


def _clean(text: str, writer: tuple[str, ...] = ()) -> str:
    return scrub(text, writer, third_parties(text, ORG, writer, about_employee=False))


def test_names_with_a_ring_or_dots_are_in_the_gazetteer() -> None:
    assert names.is_first_name("Björn") and names.is_first_name("Åsa") and names.is_first_name("Päivi")
    assert "Åsa" not in _clean("Vi vill tacka Åsa på Lunden för allt hon gör för mamma.")


def test_a_double_name_is_one_name() -> None:
    assert "Karin" not in _clean("Min kontaktperson Ann-Karin har slutat och ingen har ersatt henne.")


def test_a_relatives_name_after_the_word_for_them_goes_even_outside_the_gazetteer() -> None:
    out = _clean("Min dotter Lovisa-Majken bor på Lunden. Min son Zorvan hälsar på varje vecka.")
    assert "Zorvan" not in out and "Lovisa" not in out


def test_a_country_after_in_is_no_person() -> None:
    assert "France" in _clean("From 3 to 9 May my aunt was staying with us in France, yet the visits were billed.")


def test_finnish_case_endings_on_a_name_are_the_name() -> None:
    out = _clean("Äitini asuu Lundenissa. Haluan kiittää erityisesti Marjattaa, joka soitti Jukalle heti kun "
                 "äiti kaatui. Kiitos Jukan puolesta.")
    assert "Marjatta" not in out and "Jukalle" not in out and "Jukan" not in out


def test_a_first_name_above_a_mail_programs_footer_is_the_writer() -> None:
    text = "Hej. Boendestödet har ställt in tre gånger i rad.\nSixten\n\nSkickat från min iPhone"
    assert "Sixten" in signature_names(text)
    assert signature_names("Hej. Boendestödet ställde in.\nTack på förhand för svar") == ()


def test_a_request_to_treat_the_matter_anonymously_is_anonymous() -> None:
    assert "anonymous" in classify_text("My support hours were cut. Please handle my complaint anonymously, "
                                        "I am afraid of the staff.", "", ORG).flags
    assert "anonymous" in classify_text("Jag vill att ni behandlar det här anonymt.", "", ORG).flags


# -- kind: "not a complaint", a label in quotes, a suggestion beside a compliment ------------


def _kind(text: str) -> Kind:
    return classify_text(text, "", ORG).kind


def test_a_complaint_denied_is_not_one() -> None:
    assert _kind("Ett förslag: kunde boendestödet komma en timme senare på lördagar? Det är inget klagomål, "
                 "jag trivs bra.") is Kind.OPINION
    assert _kind("I'm not complaining, but could you ask the home care to send a text message before each visit?") \
        is Kind.OPINION


def test_a_complaint_said_plainly_still_is_one() -> None:
    assert _kind("Jag vill klaga på att hemtjänsten inte kom i går.") is Kind.COMPLAINT


def test_a_label_in_quotes_is_no_complaint() -> None:
    assert _kind('Maybe add a "Complaints and suggestions" link to the start page of the website?') is Kind.OPINION


def test_a_suggestion_beside_one_compliment_is_an_opinion() -> None:
    assert _kind("Boendestödet fungerar jättebra. Jag skulle önska att det gick att få stöd på kvällen "
                 "också.") is Kind.OPINION
    assert _kind("Tack för ett fantastiskt bemötande, ni är underbara!") is Kind.PRAISE


def test_a_wish_in_finnish_is_an_opinion() -> None:
    assert _kind("Hei, käyn päivätoiminnassa. Toiveeni on, että meillä olisi suomenkielinen lauluryhmä.") \
        is Kind.OPINION


# -- routing: the subject, what the text comes back to, a unit's own place, an area, a phrase's forms


def _org_with_areas() -> Organization:
    """Storvik with two preschool areas (Norrby and Söderby, each also served by another unit), a day
    activity and a nursing home in the same district (Lunden is a place of the home, Ekbacken of the day
    activity)."""
    data = ORG.model_dump()
    mgr = "chef@storvik.example.se"
    data["units"] = list(data["units"]) + [
        {"id": "forskola-norrby", "name": "Förskolorna i Norrby", "manager": mgr, "department": "skola",
         "keywords": ["förskola", "preschool"], "places": ["förskolorna i norrby"]},
        {"id": "forskola-soderby", "name": "Förskolorna i Söderby", "manager": mgr, "department": "skola",
         "keywords": ["förskola", "preschool"], "places": ["förskolorna i söderby"]},
        {"id": "fritid-norrby", "name": "Fritidsgården i Norrby", "manager": mgr, "department": "skola",
         "keywords": ["fritidsgård"]},
        {"id": "fritid-soderby", "name": "Fritidsgården i Söderby", "manager": mgr, "department": "skola",
         "keywords": ["fritidsgård"]},
        {"id": "daglig", "name": "Daglig verksamhet", "manager": mgr, "department": "omsorg",
         "keywords": ["sysselsättning"], "places": ["daglig verksamhet"]},
        {"id": "korttid", "name": "Korttidsvistelse för barn", "manager": mgr, "department": "omsorg",
         "keywords": ["korttidsvistelse"]},
        {"id": "bad", "name": "Badhuset", "manager": mgr, "department": "skola", "keywords": ["simning"]},
    ]
    return Organization.model_validate(data)


AORG = _org_with_areas()


def test_the_subject_line_decides_between_two_services_named_once() -> None:
    text = "Brännskada efter korttidsvistelse\nVår son kom hem med en brännskada. Simning är han van vid."
    routing = route_text(text, AORG, classify_text(text, "", AORG), subject_end=text.index("\n"))
    assert routing.unit_id == "korttid"


def test_a_service_the_text_keeps_coming_back_to_is_the_matter() -> None:
    text = ("Korttidsvistelsen ställdes in igen. Simning hade han sett fram emot. Nu är det tredje gången "
            "korttidsvistelsen ställs in, och korttidsvistelsen är beviljad enligt LSS.")
    assert _unit(text, AORG) == "korttid"


def test_an_area_several_units_serve_tells_which_preschool() -> None:
    assert _unit("Our daughter goes to a preschool in Söderby and nobody told us about her injury.", AORG) \
        == "forskola-soderby"


def test_a_phrase_of_a_place_matches_in_another_form_of_its_words() -> None:
    assert _unit("Vår förskola i Norrby har haft stängt sex dagar den här terminen.", AORG) == "forskola-norrby"


def test_a_units_own_place_before_another_units_place_is_where_it_is() -> None:
    assert _unit("Min son har daglig verksamhet i Lunden. Ersättningen har inte betalats ut.", AORG) == "daglig"
