"""Catalogs, plurals, right-to-left, plain Swedish (LIX) and mails whose HTML and text say the same."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from mailflow import config, i18n
from mailflow.adapters.templates import Templates
from mailflow.labels import kind_label

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Templates(ROOT / "templates")
TZ = ZoneInfo("Europe/Stockholm")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def source_messages() -> dict[tuple[str | None, str | tuple[str, ...]], str]:
    """What the code and templates ask to translate, extracted as `scripts/i18n extract` does."""
    found: dict[tuple[str | None, str | tuple[str, ...]], str] = {}
    method_map = [("mailflow/**.py", "python"), ("templates/**.j2", "jinja2")]
    options = {"templates/**.j2": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "_p": ((1, "c"), 2)}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options, keywords=keywords
    ):
        if not filename.startswith(("mailflow/", "templates/")):
            continue
        found[(context, message)] = filename
    return found


def test_extraction_finds_the_mails_texts() -> None:
    found = source_messages()
    assert ((None, "Your case number is %(ref)s.")) in found
    assert (("kind", "complaint")) in found
    assert ((None, ("%(num)d working day", "%(num)d working days"))) in found
    assert len(found) > 200


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_catalog_has_every_message_with_the_same_placeholders(lang: str) -> None:
    po = ROOT / "mailflow" / "locale" / lang / "LC_MESSAGES" / "mailflow.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    problems = []
    for (context, message), where in source_messages().items():
        msgid = message if isinstance(message, str) else message[0]
        entry = catalog.get(msgid, context=context)
        if entry is None or entry.fuzzy:
            problems.append(f"{where}: missing {msgid!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(message, tuple) and len(strings) != catalog.num_plurals:
            problems.append(f"{msgid!r}: {len(strings)} plural forms, the catalog has {catalog.num_plurals}")
        wanted = set(PLACEHOLDER.findall(" ".join(message if isinstance(message, tuple) else (message,))))
        for s in strings:
            if not s:
                problems.append(f"{msgid!r}: empty translation")
            elif set(PLACEHOLDER.findall(s)) != wanted:
                problems.append(f"{msgid!r}: placeholders {sorted(PLACEHOLDER.findall(s))} != {sorted(wanted)}")
    assert not problems, "\n".join(problems[:20])


def test_a_missing_or_changed_placeholder_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a catalog that drops a placeholder is reported."""
    catalog = Catalog(locale="sv")
    catalog.add("Your case number is %(ref)s.", "Ditt ärende har nummer %(nummer)s.")
    assert set(PLACEHOLDER.findall(catalog.get("Your case number is %(ref)s.").string)) != {"ref"}


def test_compiled_catalogs_match_their_sources() -> None:
    """The .mo the build made is the .po of the work tree (scripts/i18n compile after a change)."""
    for lang in i18n.LANGUAGES:
        po = ROOT / "mailflow" / "locale" / lang / "LC_MESSAGES" / "mailflow.po"
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        t = i18n.translations(lang)
        for m in catalog:
            if m.id and isinstance(m.id, str) and not m.context:
                assert t.gettext(m.id) == m.string, f"{lang}: {m.id!r} is stale in the .mo: run scripts/i18n compile"


@pytest.mark.parametrize(("lang", "one", "three"), [
    ("sv", "1 arbetsdag", "3 arbetsdagar"),
    ("en", "1 working day", "3 working days"),
    ("fi", "1 työpäivä", "3 työpäivää"),
])
def test_plural_forms_come_from_the_catalog(lang: str, one: str, three: str) -> None:
    env = TEMPLATES.env(lang)
    tpl = env.from_string('{% import "_staff.j2" as s %}{{ s.days(n) }}')
    assert tpl.render(n=1) == one
    assert tpl.render(n=3) == three


@pytest.mark.parametrize(("lang", "text"), [
    ("sv", "fredag 20 mars 2026"), ("en", "Friday, 20 March 2026"), ("fi", "20. maaliskuuta 2026"),
])
def test_dates_are_babels(lang: str, text: str) -> None:
    assert i18n.format_date(date(2026, 3, 20), lang, i18n.longdate_format(lang)) == text


def test_language_names_and_direction() -> None:
    assert i18n.language_name("fi", "sv") == "finska"
    assert i18n.language_name("fi", "en") == "Finnish"
    assert i18n.text_direction("ar") == "rtl" and i18n.text_direction("fa") == "rtl"
    assert i18n.text_direction("sv") == "ltr"


def test_a_missing_catalog_is_a_clear_error(tmp_path: Path) -> None:
    from mailflow.errors import ConfigError

    with pytest.raises(ConfigError, match="no compiled catalog"):
        i18n.translations("de", tmp_path)


# -- realistic data -----------------------------------------------------------------


def orgs() -> dict[str, config.Organization]:
    cfg = config.load(ROOT / "config" / "mailflow.toml", env={})
    return {o.id: o for o in cfg.organizations}


ORGS = orgs()
NORRMALM, NACKA = ORGS["norrmalm"], ORGS["nacka"]


def ack_context(org: config.Organization, lang: str, kind: str = "complaint", channel: str = "email",
                provider: str = "", first: date | None = None) -> dict[str, object]:
    return dict(
        ref=f"{org.case_prefix}-2026-0042", org=org, kind=kind, kind_label=kind_label(kind, lang), channel=channel,
        unit_name=org.units[0].name, provider_name=provider, greeting_name="Åsa",
        received_at=datetime(2026, 3, 2, 9, 14, tzinfo=TZ), first_response_due=first,
        feedback_due=date(2026, 3, 20), contact=org.contact,
    )


def delay_context(org: config.Organization, lang: str, role: str, about: str) -> dict[str, object]:
    dept = org.departments[0]
    return dict(
        ref=f"{org.case_prefix}-2026-0042", org=org, contact=org.contact, kind="complaint",
        kind_label=kind_label("complaint", lang), received_at=datetime(2026, 3, 2, 9, 14, tzinfo=TZ), about=about,
        deadline=date(2026, 3, 9), level=1 if role == "department_head" else 2, delay_reason=org.policy.delay_reason,
        handled_by_name=dept.head_name if role == "department_head" else org.director_name,
        handled_by_email=dept.head if role == "department_head" else org.director,
        handled_by_role=role, department_name=dept.name if role == "department_head" else "",
    )


@dataclass(frozen=True)
class Sample:
    name: str
    template: str
    org: config.Organization
    context: dict[str, object]


def citizen_samples(lang: str) -> list[Sample]:
    out = []
    for org in (NORRMALM, NACKA):
        first = date(2026, 3, 9) if org.policy.first_response_working_days else None
        for kind in ("complaint", "opinion", "praise"):
            for channel in ("email", "phone", "visit", "letter", "meeting", "council_question_time", "web"):
                out.append(Sample(f"ack {org.id} {kind} {channel}", "ack", org,
                                  ack_context(org, lang, kind, channel, first=first)))
        out.append(Sample(f"ack {org.id} provider", "ack", org,
                          ack_context(org, lang, provider="Omsorgsgruppen Hemtjänst AB", first=first)))
        for role in ("department_head", "director"):
            for about in ("first_response", "feedback"):
                out.append(Sample(f"delay_notice {org.id} {role} {about}", "delay_notice", org,
                                  delay_context(org, lang, role, about)))
    return out


# -- plain Swedish ------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)")


def lix(text: str) -> float:
    """LIX = words/sentences + 100 * long words/words; long: more than 6 letters.

    A word is a whitespace-separated token with a letter in it; a sentence ends at
    . ! ? or : and at the end of a line that has no such mark (a heading, a signature,
    an address line), as a reader meets it.
    """
    words: list[str] = []
    sentences = 0
    for line in text.splitlines():
        tokens = [t for t in line.split() if re.search(r"[^\W\d_]", t)]
        if not tokens:
            continue
        words += tokens
        ends = len(_SENTENCE_END.findall(line))
        sentences += ends + (0 if _SENTENCE_END.search(line.rstrip() + " ") and line.rstrip()[-1] in ".!?:" else 1)
    long = sum(1 for w in words if sum(ch.isalpha() for ch in w) > 6)
    return len(words) / max(sentences, 1) + 100 * long / max(len(words), 1)


def test_lix_of_known_texts() -> None:
    # 10 words, 2 sentences, 2 long words ("ärendenummer", "registrerat"): 5 + 20
    assert lix("Vi har registrerat ditt ärende. Det har fått ett ärendenummer.") == pytest.approx(25.0)
    # one heavy official sentence scores far above 40
    assert lix("Handläggningstiden för inkommande synpunktsärenden beräknas överstiga förvaltningens "
               "servicedeklarationsbestämmelser avseende återkopplingsskyldighet.") > 60


@pytest.mark.parametrize("sample", citizen_samples("sv"), ids=lambda s: s.name)
def test_swedish_citizen_mail_is_plain_swedish(sample: Sample) -> None:
    _, text, _ = TEMPLATES.render(sample.template, "sv", **sample.context)
    assert sample.context["ref"] in text.split("\n\n")[1], "the case number comes first"
    score = lix(text)
    assert score <= 40, f"LIX {score:.1f} for {sample.name}:\n{text}"


def test_acknowledgment_keeps_the_gift_principle_and_the_person_to_turn_to() -> None:
    _, text, _ = TEMPLATES.render("ack", "sv", **ack_context(NORRMALM, "sv"))
    paragraphs = text.split("\n\n")
    assert paragraphs[1].startswith("Ditt ärende har nummer NM-2026-0042. Vi fick ditt klagomål måndag 2 mars 2026.")
    assert "Tack för att du berättar" in text  # thank
    assert "Vi vill veta när något har blivit fel" in text  # say why
    assert "Jag beklagar" in text  # regret, first person
    assert "tar hand om ditt ärende. Du får svar senast fredag 20 mars 2026." in text  # promise
    assert "Vill du berätta mer?" in text  # ask for what is missing
    c = NORRMALM.contact
    for needed in (c.name, c.address, c.phone, c.email):  # Norrmalm: name, address and phone to turn to
        assert needed in text


# -- HTML and text --------------------------------------------------------------------


class _Visible(HTMLParser):
    """The text a reader sees in the mail's main cell (the header bar and <head> left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.depth = 0  # inside td.main
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.depth:
            self.depth += tag != "br" and tag not in ("meta",)
            if tag == "br":
                self.parts.append("\n")
        elif tag == "td" and "font-size:15px" in (a.get("style") or "").replace(" ", ""):
            self.depth = 1
        if tag in ("style", "script", "title"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self.skip -= 1
        if self.depth:
            self.depth -= 1
            if tag in ("p", "tr", "div", "li"):
                self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)


def visible_words(html: str) -> list[str]:
    p = _Visible()
    p.feed(html)
    return "".join(p.parts).split()


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_html_and_text_parts_say_the_same(lang: str) -> None:
    for sample in citizen_samples(lang)[::3]:
        _, text, html = TEMPLATES.render(sample.template, lang, **sample.context)
        assert visible_words(html) == text.split(), sample.name


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_html_is_outlook_safe(lang: str) -> None:
    for sample in citizen_samples(lang)[::5]:
        _, _, html = TEMPLATES.render(sample.template, lang, **sample.context)
        assert "<style" not in html, "inline CSS only"
        for tag in re.findall(r"<\w+[^>]*\bclass=[^>]*>", html):
            assert "style=" in tag, f"styled by a class only: {tag}"
        assert "<img" not in html and "url(" not in html and "@import" not in html, "no external images"
        assert re.findall(r'href="([^"]+)"', html) and all(
            h.startswith("mailto:") for h in re.findall(r'href="([^"]+)"', html))
        assert "<div" not in html or all("white-space" in d for d in re.findall(r"<div[^>]*>", html))
        assert 'role="presentation"' in html, "tables for layout"
        assert f'lang="{lang}"' in html and 'dir="ltr"' in html
        for tag in re.findall(r"<p\b[^>]*>", html):
            assert "margin" in tag, f"a paragraph without its inline style: {tag}"


# -- right to left --------------------------------------------------------------------


def test_an_arabic_catalog_renders_right_to_left_html(tmp_path: Path) -> None:
    catalog = Catalog(locale="ar", domain="mailflow")
    catalog.add("Hello %(name)s!", "مرحبا %(name)s!")
    catalog.add("Your case number is %(ref)s.", "رقم قضيتك هو %(ref)s.")
    catalog.add("We have received your complaint", "لقد تلقينا شكواك")
    catalog.add(("%(num)d working day", "%(num)d working days"),
                ("%(num)d يوم عمل", "يوم عمل واحد", "يوما عمل", "%(num)d أيام عمل", "%(num)d يوم عمل", "%(num)d يوم عمل"))
    mo = tmp_path / "ar" / "LC_MESSAGES" / "mailflow.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as fh:
        write_mo(fh, catalog)
    templates = Templates(ROOT / "templates", locale_dir=tmp_path)
    assert templates.languages == ("ar",)
    subject, text, html = templates.render("ack", "ar", **ack_context(NORRMALM, "ar"))
    assert subject == "لقد تلقينا شكواك"
    assert "رقم قضيتك هو NM-2026-0042." in text and "مرحبا Åsa!" in text
    assert '<html lang="ar" dir="rtl">' in html
    assert "رقم قضيتك هو NM-2026-0042." in html
    env = templates.env("ar")
    days = env.from_string('{% import "_staff.j2" as s %}{{ s.days(n) }}')
    assert days.render(n=1) == "يوم عمل واحد" and days.render(n=2) == "يوما عمل" and days.render(n=5) == "5 أيام عمل"


# -- the organization's languages and the detection --------------------------------


def org_with(**changes: object) -> config.Organization:
    data = NORRMALM.model_dump()
    data.update(changes)
    return config.Organization.model_validate(data)


def test_languages_default_to_the_organization_language_and_english() -> None:
    data = NORRMALM.model_dump()
    del data["languages"]
    assert config.Organization.model_validate(data).languages == ("sv", "en")
    assert NORRMALM.languages == ("sv", "en", "fi") and NACKA.languages == ("sv", "en")


def test_a_language_without_a_catalog_or_without_the_staff_language_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="no catalog for language 'de'"):
        org_with(languages=("sv", "de"))
    with pytest.raises(ValidationError, match="must include the organization's language 'sv'"):
        org_with(languages=("en", "fi"))


FINNISH_TEXT = ("Hei! Kotihoito ei tullut tiistaina, ja äitini joutui odottamaan koko päivän. "
                "Tämä ei ole hyväksyttävää.")


def test_finnish_is_detected_where_the_organization_answers_in_finnish() -> None:
    from mailflow.language import detect

    lang, cue = detect(FINNISH_TEXT, "sv", ("sv", "en", "fi"))
    assert lang == "fi" and cue.startswith("language:fi (lingua")
    assert detect("Hemtjänsten kom inte i tisdags och min mamma fick vänta hela dagen.", "sv",
                  ("sv", "en", "fi"))[0] == "sv"
    assert detect("The home help did not come on Tuesday and my mother waited all day.", "sv",
                  ("sv", "en", "fi"))[0] == "en"


def test_a_language_the_organization_does_not_list_falls_back() -> None:
    from mailflow.language import detect

    lang, cue = detect(FINNISH_TEXT, "sv", ("sv", "en"))
    assert lang == "en" and "wrote fi" in cue
    assert detect(FINNISH_TEXT, "sv", ("sv",))[0] == "sv"  # no English either: the organization's language


def test_too_little_text_or_too_little_confidence_means_the_organization_language() -> None:
    from mailflow import language

    assert language.detect("Hej", "sv", ("sv", "en", "fi")) == ("sv", "language:sv (default: too few words to tell)")
    lang, cue = language.detect("OK OK OK 12345 ok ok", "sv", ("sv", "en", "fi"))
    assert lang == "sv" and "default" in cue
    assert language.detector(language.candidates_for(("sv", "en"))) is language.detector(
        language.candidates_for(("sv", "en", "fi")))  # built once per candidate set
