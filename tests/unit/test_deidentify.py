"""scrub and its helpers: personal data out of the register's text, the rest left readable."""

from __future__ import annotations

import pytest
from stdnum import luhn

from mailflow.pipeline.deidentify import find_address, find_phone, name_parts, scrub


def samordningsnummer(birth: str = "811218", serial: str = "987") -> str:
    """A valid coordination number: the day of birth plus 60, Luhn check digit."""
    core = birth[:4] + f"{int(birth[4:6]) + 60:02d}" + serial
    return core + luhn.calc_check_digit(core)


# -- personnummer --------------------------------------------------------------------


@pytest.mark.parametrize("pnr", ["19811218-9876", "811218-9876", "8112189876", "198112189876", "811218+9876"])
def test_valid_personnummer_in_every_form_is_replaced(pnr: str) -> None:
    assert scrub(f"Mitt personnummer är {pnr}, ring mig.") == "Mitt personnummer är [personnummer], ring mig."


def test_samordningsnummer_is_replaced_with_and_without_century_and_hyphen() -> None:
    nr = samordningsnummer()
    assert nr[4:6] == "78" and luhn.is_valid(nr)
    for written in (nr, "19" + nr, f"{nr[:6]}-{nr[6:]}", f"19{nr[:6]}-{nr[6:]}"):
        assert scrub(f"Samordningsnummer: {written}.") == "Samordningsnummer: [personnummer].", written


@pytest.mark.parametrize("typo", ["811218-9875", "19811218-9875"])
def test_personnummer_with_a_typo_written_with_hyphen_is_still_removed(typo: str) -> None:
    assert not luhn.is_valid(typo.replace("-", "")[-10:])
    assert scrub(f"Pnr {typo} tack") == "Pnr [personnummer] tack"


@pytest.mark.parametrize(
    "text",
    [
        "Ordernummer 4711 gäller beställningen.",
        "Det hände i januari 2026 och igen i februari.",
        "Priset var 4 995 kr, vilket är mycket.",
        "Besöket den 2026-03-02 kl. 14.30 blev inställt.",
        "OCR-nummer 1234567890 på fakturan.",
        "Tre av 12 boende fick ingen middag under vecka 9.",
    ],
)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert scrub(text) == text


# -- phone numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    ["070-123 45 67", "0701234567", "+46 70 123 45 67", "08-508 09 100", "08/123 45 67", "070-1234567",
     "0046 8 508 09 100"],
)
def test_swedish_phone_numbers_are_replaced(phone: str) -> None:
    assert scrub(f"Ring mig på {phone} efter lunch.") == "Ring mig på [telefon] efter lunch."
    assert scrub(f"Tel: {phone}") == "Tel: [telefon]"


@pytest.mark.parametrize("phone", ["070-123 45 67", "+46 70 123 45 67", "08-508 09 100"])
def test_find_phone_returns_the_number_as_written(phone: str) -> None:
    assert find_phone(f"Hej! Nå mig på {phone}, helst på förmiddagen.") == phone


def test_find_phone_without_a_phone_number_is_empty() -> None:
    assert find_phone("Order 4711 kostade 4 995 kr den 2026-03-02.") == ""


# -- e-mail addresses --------------------------------------------------------------------


def test_email_addresses_are_replaced() -> None:
    text = "Svara till asa.oberg+klagomal@example.com eller ASA_OBERG@Post.Example.SE, inte hit."
    assert scrub(text) == "Svara till [e-post] eller [e-post], inte hit."


# -- street addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, scrubbed, found",
    [
        ("Jag bor på Sveavägen 12.", "Jag bor på [adress].", "Sveavägen 12"),
        ("Jag bor på Sveavägen 12 i Stockholm.", "Jag bor på [adress] i Stockholm.", "Sveavägen 12"),
        ("Skicka till Drottninggatan 5B lgh 1102, tack.", "Skicka till [adress], tack.",
         "Drottninggatan 5B lgh 1102"),
        ("Hämta på Drottninggatan 5 B lgh 1102.", "Hämta på [adress].", "Drottninggatan 5 B lgh 1102"),
        ("Adressen är Storgatan 3, 111 22 Stockholm sedan i fjol.", "Adressen är [adress] sedan i fjol.",
         "Storgatan 3, 111 22 Stockholm"),
    ],
)
def test_street_addresses_are_replaced_and_found(text: str, scrubbed: str, found: str) -> None:
    assert scrub(text) == scrubbed
    assert find_address(text) == found


def test_street_name_without_number_is_kept() -> None:
    text = "Det är stökigt på Drottninggatan om kvällarna."
    assert scrub(text) == text
    assert find_address(text) == ""


# -- the writer's own name ----------------------------------------------------------------


def test_name_parts_gives_full_name_then_its_parts() -> None:
    assert name_parts("Åsa Öberg") == ("Åsa Öberg", "Åsa", "Öberg")
    assert name_parts('"Öberg, Åsa"') == ("Öberg, Åsa", "Öberg", "Åsa")


@pytest.mark.parametrize("display", ["", "asa.oberg@example.com", "  "])
def test_name_parts_of_no_real_name_is_empty(display: str) -> None:
    assert name_parts(display) == ()


def test_writers_name_and_its_parts_are_replaced_case_insensitively() -> None:
    names = name_parts("Åsa Öberg")
    text = "Jag heter Åsa Öberg. Ring ÅSA ÖBERG eller fråga efter åsa.\n\nHälsningar\nÅsa"
    assert scrub(text, names) == "Jag heter [namn]. Ring [namn] eller fråga efter [namn].\n\nHälsningar\n[namn]"


def test_name_inside_other_words_is_left_alone() -> None:
    names = name_parts("Per Ek")
    text = "Eken vid Ekonomienheten har fallit över Ekvägen. Ekström vet. Reklamera! Mvh Per Ek, EK"
    assert scrub(text, names) == (
        "Eken vid Ekonomienheten har fallit över Ekvägen. Ekström vet. Reklamera! Mvh [namn], [namn]"
    )


def test_name_with_swedish_letters_at_word_edge_is_not_cut() -> None:
    names = name_parts("Åsa Ek")
    assert scrub("Åsaka och ekåsen, Ekö och Åsa.", names) == "Åsaka och ekåsen, Ekö och [namn]."


# -- a whole letter ----------------------------------------------------------------------


def test_whole_letter_keeps_its_words_around_the_placeholders() -> None:
    text = (
        "Hej!\n\n"
        "Jag heter Åsa Öberg (811218-9876) och bor på Sveavägen 12. Min mamma fick vänta "
        "i tre timmar den 2026-03-02 på hemtjänsten, order 4711.\n"
        "Nå mig på 070-123 45 67 eller asa.oberg@example.com.\n\n"
        "Med vänliga hälsningar\nÅsa"
    )
    assert scrub(text, name_parts("Åsa Öberg")) == (
        "Hej!\n\n"
        "Jag heter [namn] ([personnummer]) och bor på [adress]. Min mamma fick vänta "
        "i tre timmar den 2026-03-02 på hemtjänsten, order 4711.\n"
        "Nå mig på [telefon] eller [e-post].\n\n"
        "Med vänliga hälsningar\n[namn]"
    )


def test_empty_text_stays_empty() -> None:
    assert scrub("", ("Åsa",)) == ""
