"""classify and route on the shipped organizations: kind, flags, language, unit, handler, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow import config as config_mod
from mailflow.config import Config, Organization
from mailflow.model import Classification, Kind, Parsed
from mailflow.pipeline.classify import classify_text, has_reply_address
from mailflow.pipeline.parse import parse_bytes
from mailflow.pipeline.route import route_text

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def cfg() -> Config:
    return config_mod.load(ROOT / "config" / "mailflow.toml", env={})


@pytest.fixture(scope="module")
def norrmalm(cfg: Config) -> Organization:
    return cfg.org("norrmalm")


@pytest.fixture(scope="module")
def nacka(cfg: Config) -> Organization:
    return cfg.org("nacka")


def parsed(from_line: str | None, body: str = "Hej.") -> Parsed:
    head = f"From: {from_line}\r\n" if from_line is not None else ""
    raw = (
        head + "To: synpunkter.norrmalm@stockholm.example.se\r\n"
        "Subject: Synpunkt\r\nMessage-ID: <p1@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
    ).encode()
    p = parse_bytes(raw)
    assert isinstance(p, Parsed), p
    return p


def complaint_cues(c: Classification) -> list[str]:
    return [cue for cue in c.cues if cue.startswith("complaint:") and "default" not in cue]


# -- kind -----------------------------------------------------------------------------


def test_plain_complaint_is_a_complaint_with_its_cues(norrmalm: Organization) -> None:
    c = classify_text(
        "Jag är mycket missnöjd med hemtjänsten. Personalen kom två timmar för sent igen.",
        "Hemtjänsten",
        norrmalm,
    )
    assert c.kind is Kind.COMPLAINT
    assert "complaint:missnöj" in c.cues
    assert "complaint:för sent" in c.cues
    assert c.flags == ()
    assert c.language == "sv"


def test_complaint_phrased_as_question_is_a_complaint(norrmalm: Organization) -> None:
    c = classify_text("Varför kom ingen från hemtjänsten i går?", "", norrmalm)
    assert c.kind is Kind.COMPLAINT


def test_complaint_phrased_as_question_is_recognised_by_a_cue_not_the_fallback(
    norrmalm: Organization,
) -> None:
    # Without a cue of its own the question only wins by default, and any opinion word beside it
    # (below) would turn it into an opinion.
    c = classify_text("Varför kom ingen från hemtjänsten i går?", "", norrmalm)
    assert complaint_cues(c), c.cues


def test_complaint_question_beside_a_wondering_word_stays_a_complaint(norrmalm: Organization) -> None:
    c = classify_text(
        "Varför kom ingen från hemtjänsten i går? Jag undrar om ni har för lite personal.", "", norrmalm
    )
    assert c.kind is Kind.COMPLAINT, c.cues


def test_complaint_phrased_with_why_has_is_recognised(norrmalm: Organization) -> None:
    c = classify_text("Varför har ingen ringt tillbaka till mig?", "", norrmalm)
    assert c.kind is Kind.COMPLAINT
    assert "complaint:varför har" in c.cues


def test_suggestion_is_an_opinion(norrmalm: Organization) -> None:
    c = classify_text("Jag skulle vilja föreslå fler parkbänkar i Vasaparken.", "Förslag", norrmalm)
    assert c.kind is Kind.OPINION
    assert "opinion:skulle vilja" in c.cues
    assert "about_employee" not in c.flags


def test_view_is_an_opinion(norrmalm: Organization) -> None:
    c = classify_text("Jag tycker att ni borde ha längre öppettider på fritidsgården.", "", norrmalm)
    assert c.kind is Kind.OPINION
    assert "opinion:tycker att" in c.cues


def test_praise_is_praise(norrmalm: Organization) -> None:
    c = classify_text(
        "Stort tack till personalen på Sabbatsberg, de är så omtänksamma mot min pappa.", "Tack", norrmalm
    )
    assert c.kind is Kind.PRAISE
    assert "praise:stort tack" in c.cues
    assert not complaint_cues(c)


def test_english_praise_is_praise_in_english(norrmalm: Organization) -> None:
    c = classify_text("Thank you so much, the staff were wonderful with my father.", "", norrmalm)
    assert c.kind is Kind.PRAISE
    assert c.language == "en"


def test_praise_carrying_a_complaint_is_a_complaint(nacka: Organization) -> None:
    c = classify_text(
        "Stort tack till personalen, de är fantastiska. Men tyvärr kom maten kall igen och "
        "ingen svarar i telefon.",
        "Tack, men",
        nacka,
    )
    assert c.kind is Kind.COMPLAINT
    assert "praise carrying a complaint counts as a complaint" in c.cues
    assert "complaint:ingen svarar" in c.cues


def test_thanks_for_a_kind_reception_is_praise(nacka: Organization) -> None:
    # "fint bemötande" is in the praise lexicon, but the complaint stem "bemötande" also fires
    c = classify_text("Jag vill tacka personalen på Ektorp för ett fint bemötande.", "Tack", nacka)
    assert c.kind is Kind.PRAISE, c.cues


def test_not_satisfied_is_a_complaint(nacka: Organization) -> None:
    # "nöjd" is a praise stem; the negation must not turn dissatisfaction into praise
    c = classify_text("Jag är inte nöjd med städningen hos min mamma.", "", nacka)
    assert c.kind is Kind.COMPLAINT, c.cues


@pytest.mark.parametrize(
    "text",
    [
        "Personalen räddade mitt liv när jag föll i badrummet. Stort tack!",  # "rädd" (afraid)
        "Flytten till boendet gick problemfritt, stort tack.",  # "problem"
        "Hjälpen kom snabbare än väntat, tack så mycket.",  # "väntat"
        "I will write again later. Thank you for the wonderful care.",  # "late"
    ],
)
def test_praise_is_not_a_complaint_because_of_a_word_that_merely_starts_like_one(
    nacka: Organization, text: str
) -> None:
    c = classify_text(text, "Tack", nacka)
    assert c.kind is Kind.PRAISE, c.cues


def test_message_without_any_cue_is_a_complaint_by_default_and_says_so(norrmalm: Organization) -> None:
    c = classify_text("Hej. Ring mig.", "", norrmalm)
    assert c.kind is Kind.COMPLAINT
    assert any("default" in cue for cue in c.cues)


# -- flags ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, cue",
    [
        ("Mamma låg på golvet hela natten innan någon hittade henne.", "lex_sarah:låg på golvet"),
        ("Pappa fick fel medicin i morse av personalen.", "lex_sarah:fel medicin"),
        ("Ingen kom när hon larmade i natt.", "lex_sarah:ingen kom när"),
    ],
)
def test_lex_sarah_is_flagged_from_plain_words(nacka: Organization, text: str, cue: str) -> None:
    c = classify_text(text, "Min mamma", nacka)
    assert "lex_sarah" in c.flags
    assert any(fired.startswith(cue) for fired in c.cues), c.cues
    assert c.kind is Kind.COMPLAINT


def test_ordinary_complaint_is_not_lex_sarah(norrmalm: Organization) -> None:
    c = classify_text("Lekplatsen i parken är smutsig och gungorna är trasiga.", "", norrmalm)
    assert "lex_sarah" not in c.flags
    assert not any(cue.startswith("lex_sarah:") for cue in c.cues)


def test_complaint_about_named_employee_is_flagged(norrmalm: Organization) -> None:
    c = classify_text("Undersköterskan var otrevlig mot min mamma.", "", norrmalm)
    assert c.kind is Kind.COMPLAINT
    assert "about_employee" in c.flags
    assert any(cue.startswith("about_employee:") for cue in c.cues)


def test_english_message_gets_language_en(norrmalm: Organization) -> None:
    c = classify_text(
        "The home care staff did not come yesterday and nobody answered the phone. "
        "This is not acceptable.",
        "Home care",
        norrmalm,
    )
    assert c.language == "en"
    assert c.kind is Kind.COMPLAINT
    assert any(cue.startswith("language:en") for cue in c.cues)


def test_swedish_message_gets_language_sv(nacka: Organization) -> None:
    c = classify_text("Det är inte okej att vi har väntat så länge på ett svar från er.", "", nacka)
    assert c.language == "sv"
    assert any(cue.startswith("language:sv") for cue in c.cues)


def test_writer_asking_for_anonymity_is_anonymous(norrmalm: Organization) -> None:
    c = classify_text("Jag vill vara anonym. Lekplatsen vid skolan är smutsig.", "", norrmalm)
    assert "anonymous" in c.flags
    assert "anonymous:vill vara anonym" in c.cues


def test_signed_message_is_not_anonymous(norrmalm: Organization) -> None:
    c = classify_text("Lekplatsen är smutsig.\n\nMed vänlig hälsning\nAnna Svensson", "", norrmalm)
    assert "anonymous" not in c.flags


def test_ordinary_sender_has_a_reply_address() -> None:
    assert has_reply_address(parsed("Anna Svensson <anna.svensson@example.com>")) == (True, "")


@pytest.mark.parametrize(
    "sender", ["noreply@formular.example.com", "No-Reply <no-reply@example.com>", "donotreply@example.com"]
)
def test_noreply_sender_has_no_reply_address(sender: str) -> None:
    ok, cue = has_reply_address(parsed(sender))
    assert ok is False
    assert cue.startswith("anonymous:no-reply")


def test_message_without_from_has_no_reply_address() -> None:
    ok, cue = has_reply_address(parsed(None))
    assert ok is False
    assert cue == "anonymous:no From address"


def test_anonymizing_service_has_no_reply_address() -> None:
    ok, cue = has_reply_address(parsed("x@mailinator.com"))
    assert ok is False
    assert "anonymizing" in cue


@pytest.mark.parametrize(
    "text, subject",
    [
        ("Jag är missnöjd med hemtjänsten.", ""),
        ("Varför kom ingen från hemtjänsten i går?", ""),
        ("Jag skulle vilja föreslå fler bänkar.", "Förslag"),
        ("Stort tack!", "Tack"),
        ("Hej.", ""),
        ("Thank you.", ""),
    ],
)
def test_every_decision_records_why(norrmalm: Organization, text: str, subject: str) -> None:
    c = classify_text(text, subject, norrmalm)
    assert any(cue.startswith(f"{c.kind.value}:") for cue in c.cues)
    assert any(cue.startswith(f"language:{c.language}") for cue in c.cues)


# -- routing --------------------------------------------------------------------------


def route(org: Organization, text: str, subject: str = "") -> tuple[Classification, object]:
    c = classify_text(text, subject, org)
    return c, route_text(f"{subject}\n{text}", org, c)


def test_place_name_beats_generic_keyword(norrmalm: Organization) -> None:
    _, r = route(norrmalm, "Förskolan på Skeppsholmen har för få pedagoger i barngruppen.", "Förskolan")
    assert r.unit_id == "forskola-city"
    assert r.handler == "forskolechef.city.norrmalm@stockholm.example.se"
    assert r.handler_role == "unit"
    assert r.department_id == "forskola"
    assert "place:skeppsholmen" in r.cues


def test_vasastan_preschool_goes_to_vasastan(norrmalm: Organization) -> None:
    _, r = route(norrmalm, "Förskolan i Vasastan stängde utan förvarning.", "")
    assert r.unit_id == "forskola-vasastan"


def test_park_by_its_name_goes_to_parkmiljo(norrmalm: Organization) -> None:
    _, r = route(norrmalm, "Det är nedskräpat överallt i Vasaparken.", "Skräp")
    assert r.unit_id == "parkmiljo"
    assert r.handler == "enhetschef.park.norrmalm@stockholm.example.se"
    assert r.manager == r.handler
    assert r.handler_role == "unit"
    assert "place:vasaparken" in r.cues


def test_welfare_benefit_goes_to_the_other_district(norrmalm: Organization) -> None:
    _, r = route(norrmalm, "Min utbetalning av försörjningsstöd är försenad igen.", "Försörjningsstöd")
    assert r.unit_id == "forsorjningsstod"
    assert r.handler_role == "district"
    assert r.handler == "enhetschef.forsorjningsstod.ostermalm@stockholm.example.se"
    assert r.manager == "enhetschef.vuxen.norrmalm@stockholm.example.se"


def test_nacka_home_care_goes_to_the_external_provider(nacka: Organization) -> None:
    _, r = route(nacka, "Hemtjänsten kom inte med matlådan till min pappa i dag.", "Hemtjänst")
    assert r.unit_id == "hemtjanst-extern"
    assert r.handler_role == "provider"
    assert r.handler == "kvalitet@omsorgsbolaget.example.se"
    assert r.manager == "enhetschef.ektorp@nacka.example.se"


def test_norrmalm_own_home_care_goes_to_its_manager(norrmalm: Organization) -> None:
    _, r = route(norrmalm, "Hemtjänsten kom inte med matlådan till min pappa i dag.", "Hemtjänst")
    assert r.unit_id == "hemtjanst"
    assert r.handler_role == "unit"
    assert r.handler == "enhetschef.hemtjanst.norrmalm@stockholm.example.se"


def test_lex_sarah_goes_to_the_handler_and_keeps_the_unit(nacka: Organization) -> None:
    c, r = route(nacka, "Hemtjänsten kom inte i går och mamma låg på golvet hela natten.", "Hemtjänsten")
    assert "lex_sarah" in c.flags
    assert r.handler_role == "lex_sarah"
    assert r.handler == "lexsarah@nacka.example.se"
    assert r.unit_id == "hemtjanst-extern"
    assert r.department_id == "aldre"
    assert r.handler != "kvalitet@omsorgsbolaget.example.se"


def test_lex_sarah_without_a_unit_still_goes_to_the_handler(nacka: Organization) -> None:
    c, r = route(nacka, "Ingen kom när hon larmade i natt.", "")
    assert r.handler_role == "lex_sarah"
    assert r.handler == "lexsarah@nacka.example.se"
    assert r.unit_id is None


def test_nothing_matching_goes_to_registrar_for_triage(norrmalm: Organization) -> None:
    _, r = route(norrmalm, "Jag är missnöjd med hur det sköts.", "Klagomål")
    assert r.unit_id is None
    assert r.department_id is None
    assert r.handler_role == "triage"
    assert r.handler == "registrator.norrmalm@stockholm.example.se"
    assert r.manager is None
    assert "unit:no unit matched" in r.cues


def test_tie_between_units_goes_to_triage(norrmalm: Organization) -> None:
    # "parken" (parkmiljo: park, parken) against "fritidsgården" (fritid: fritidsgård, fritidsgården)
    _, r = route(norrmalm, "Det är dåligt på fritidsgården och i parken.", "")
    assert r.handler_role == "triage"
    assert r.unit_id is None
    assert r.handler == "registrator.norrmalm@stockholm.example.se"
    tie = [cue for cue in r.cues if cue.startswith("unit:tie between")]
    assert tie and "parkmiljo" in tie[0] and "fritid" in tie[0]


def test_routing_records_the_cues_that_chose_the_unit(norrmalm: Organization) -> None:
    _, r = route(norrmalm, "Gungorna på lekplatsen i Vasaparken är trasiga.", "")
    assert r.cues[0].startswith("unit:parkmiljo score ")
    assert "keyword:lekplats" in r.cues
