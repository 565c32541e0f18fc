"""deidentify: personal data out of the register's text, into a person record kept apart.

Personnummer and samordningsnummer (validated with python-stdnum's Luhn and
date checks), phone numbers in Swedish formats, e-mail addresses, street
addresses with numbers and the writer's own name become placeholders.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from functools import lru_cache

from stdnum import luhn
from stdnum.se import personnummer

from mailflow.config import Organization
from mailflow.model import Mail, Person
from mailflow.nlp import morph, staff
from mailflow.nlp import names as names_mod
from mailflow.pipeline import Context
from mailflow.pipeline.ahead import ahead

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# 10 or 12 digits, optional separator before the last four
PNR = re.compile(r"(?<![\d-])((?:19|20)?\d{6})\s?([-+]?)\s?(\d{4})(?![\d-])")
PHONE = re.compile(
    r"(?<![\w+])(?:\+46|0046|\(?0)\s?\(?\d{1,3}\)?(?:[\s\-/]?\d){5,9}(?![\d])|"
    # other countries: "+44 7700 900431", "+49 151 2340 9981", "+358 40 772 1834"
    r"(?<![\w+])\+(?!46)\d{1,3}(?:[\s\-]?\(?\d{1,4}\)?){2,5}(?![\d])"
)
STREET = re.compile(
    r"\b(?:[A-ZÅÄÖ][\wåäöéÅÄÖ]*(?:gatan|vägen|gränd|gränden|torget|stigen|backen|allén|allé|plan|"
    r"leden|gata|väg|liden|slingan|terrassen|promenaden|kajen|esplanaden|street|road|avenue)|"
    # a street name of two words: "Sickla allé 8", "Orminge centrum 3", "Storgatan" written "Stora gatan 2"
    r"[A-ZÅÄÖ][\wåäöé]+\s(?:allé|gata|väg|gränd|torg|backe|centrum|strand|stig|udde))"
    r"\s+\d{1,4}(?:[A-Za-z]|\s[A-Z])?\b(?:,?\s*(?:lgh|lägenhet|tr|trappor)\.?\s*\d{1,4})?"
    r"(?:,?\s*\d{3}\s?\d{2}\s+[A-ZÅÄÖ][a-zåäö]+)?"
)
POSTCODE = re.compile(r"\b\d{3}\s\d{2}\s+[A-ZÅÄÖ][a-zåäö]+\b")
# a street without a number after a comma on a line that starts with a name: "Erik Strand, Tegnérgatan" (where the
# writer lives, said as part of the signature)
SIGNED_STREET = re.compile(
    r"(?m)^([A-ZÅÄÖ\[][\wåäöé:\]-]+(?:\s[A-ZÅÄÖ\[][\wåäöé:\]-]+)*,\s*)[A-ZÅÄÖ][\wåäöé]*(?:gatan|vägen|gränd|"
    r"gränden|torget|stigen|backen|allén|plan|leden|liden|slingan|terrassen|promenaden|kajen)\b")


def _valid_pnr(digits: str, sep: str) -> bool:
    if personnummer.is_valid(digits[:-4] + (sep or "-") + digits[-4:]):
        return True
    # samordningsnummer: the day of birth plus 60
    core = digits[-10:]
    day = int(core[4:6])
    if day <= 60 or not luhn.is_valid(core):
        return False
    year = int(digits[:4]) if len(digits) == 12 else 2000 + int(core[:2])
    try:
        date(year if len(digits) == 12 else 2000, int(core[2:4]), day - 60)
    except ValueError:
        return False
    return True


def _looks_like_pnr(digits: str) -> bool:
    """A birth date plus four digits: treated as personal data even with a typo in it."""
    core = digits[-10:]
    month, day = int(core[2:4]), int(core[4:6])
    return 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)


@ahead("scrub")
def scrub(text: str, names: tuple[str, ...] = (), people: tuple[tuple[str, str], ...] = ()) -> str:
    """The text with personal data replaced by placeholders.

    `names` are the writer's (and the greeted person's) names and their parts: each is
    replaced wherever it stands as a word, except that a part which is also an everyday
    word ("Per", "Bo", "Vik") is replaced only where written with a capital ("50 kr per
    dag" keeps its "per"). `people` are other persons named in the text, each with its
    placeholder (`[namn]`, or `[namn:personal]` for an employee).
    """
    if not text:
        return text

    def pnr(m: re.Match[str]) -> str:
        digits = m.group(1) + m.group(3)
        if _valid_pnr(digits, m.group(2)) or (m.group(2) and _looks_like_pnr(digits)):
            return "[personnummer]"
        return m.group(0)

    text = EMAIL.sub("[e-post]", text)
    text = PNR.sub(pnr, text)
    text = PHONE.sub(lambda m: "[telefon]" if sum(c.isdigit() for c in m.group(0)) >= 8 else m.group(0), text)
    text = STREET.sub("[adress]", text)
    text = POSTCODE.sub("[adress]", text)
    text = SIGNED_STREET.sub(lambda m: m.group(1) + "[adress]", text)
    # every name in one pattern, longest first, also in the genitive ("Öbergs"): one pass over the text
    own = sorted({n for n in names if len(n) >= 2}, key=len, reverse=True)
    if own:
        common = {n.lower() for n in own if " " not in n and names_mod.common_word(n)}

        def own_name(m: re.Match[str]) -> str:
            if m.group(1).lower() in common and not m.group(0)[0].isupper():
                return m.group(0)  # "50 kr per dag" keeps its "per"
            return "[namn]"

        alternatives = "|".join(re.escape(n) for n in own)
        text = re.sub(rf"(?<![\wåäöÅÄÖ])({alternatives})s?(?![\wåäöÅÄÖ])", own_name, text, flags=re.I)
    others = dict(sorted({p for p in people if len(p[0]) >= 2}, key=lambda p: -len(p[0])))
    if others:
        # in a Finnish text a name takes case endings, its double consonant in the weak grade ("Antti" -> "Antille")
        finnish = _finnish(text)
        forms = {p: p for p in others}
        if finnish:
            forms.update({_weak_grade(p): p for p in others if " " not in p and _weak_grade(p) != p})
        alternatives = "|".join(re.escape(p) for p in sorted(forms, key=len, reverse=True))
        tail = _FI_CASE if finnish else "s?"
        text = re.sub(rf"(?<![\wåäöÅÄÖ\[])({alternatives}){tail}(?![\wåäöÅÄÖ\]])",
                      lambda m: others[forms[m.group(1)]], text)
    return text


# Finnish case endings a name takes ("Leenaa", "Antille", "Päivin", "Mikolta")
_FI_CASE = r"(?::?(?:n|a|ä|lle|lla|llä|lta|ltä|sta|stä|ssa|ssä|ksi|na|nä|han|hin|hen|s))?"


@lru_cache(maxsize=64)
def _finnish(text: str) -> bool:
    """Whether a text is Finnish (its first words are enough)."""
    return morph.looks_finnish(morph.tokens(text[:3000]))


def _weak_grade(name: str) -> str:
    """The name's stem in the weak grade: a double consonant before its last vowel made single."""
    m = re.match(r"^(.*?)([kpt])\2([aeiouyäö])$", name)
    return f"{m.group(1)}{m.group(2)}" if m else name


_FI_ENDINGS = ("lle", "lla", "llä", "lta", "ltä", "sta", "stä", "ssa", "ssä", "ksi", "na", "nä", "n", "a", "ä")


def _finnish_name(word: str) -> str | None:
    """The first name a Finnish inflected word is ("Leenaa" -> "Leena", "Antille" -> "Antti"), or None."""
    if names_mod.is_first_name(word):
        return None
    for ending in _FI_ENDINGS:
        if not word.endswith(ending) or len(word) - len(ending) < 3:
            continue
        stem = word[: -len(ending)]
        strong = re.sub(r"([kpt])([aeiouyäö])$", r"\1\1\2", stem)  # the weak grade back to the strong
        for base in (stem, strong):
            if names_mod.is_first_name(base) and not names_mod.common_word(base):
                return base
    return None


# a relative's name right after the word for them ("min dotter Moa", "my son Elias"), in the gazetteer or not
_KIN_NAME = re.compile(
    r"\b(?:dotter|dottern|son|sonen|mamma|pappa|mor|far|mormor|farmor|morfar|farfar|bror|syster|barnbarn|make|"
    r"maken|fru|frun|sambo|daughter|son|mother|father|mum|dad|brother|sister|husband|wife|grandson|granddaughter|"
    r"tytär|tyttäreni|poika|poikani|äiti|äitini|isä|isäni)\s+([A-ZÅÄÖ][a-zåäöéü]{1,})\b")


@ahead("third_parties")
def third_parties(text: str, org: Organization, writer: tuple[str, ...], about_employee: bool) -> tuple[
        tuple[str, str], ...]:
    """The other people named in a text with their placeholders: an employee singled out by role and
    name (and in a complaint about an employee, every staff member named) becomes `[namn:personal]`,
    anyone else `[namn]`. Words of the organization's names are never people."""
    from mailflow.pipeline.classify import org_words

    skip = {w.lower() for w in writer}
    found: dict[str, str] = {}
    staff_names = {m.text for m in staff.mentions(text, exclude=org_words(org), not_people=writer)
                   if m.how == "role+name" or (about_employee and m.how == "name")}
    for person in names_mod.person_names(text, org_words(org)):
        if person.text.lower() in skip:
            continue
        found.setdefault(person.text, "[namn:personal]" if person.text in staff_names else "[namn]")
        if person.first != person.text and person.first.lower() not in skip:
            # the first name alone later in the text ("Lisa" after "Lisa Berg")
            found.setdefault(person.first, found[person.text])
    if _finnish(text):  # a name with a Finnish case ending: "Leenaa", "Antille"
        for word in set(re.findall(r"(?<![\w-])[A-ZÅÄÖ][a-zåäö]{3,}", text)) - set(found):
            base = _finnish_name(word)
            if base and base.lower() not in skip and base.lower() not in org_words(org):
                found[word] = found.get(base, "[namn]")
    for m in _KIN_NAME.finditer(text):
        word = m.group(1)
        if word.lower() not in skip and word not in found and word.lower() not in org_words(org) and \
                not names_mod.common_word(word):
            found[word] = "[namn]"
    return tuple(found.items())


def name_parts(display_name: str) -> tuple[str, ...]:
    """The full name and its parts, for replacing in the text."""
    name = re.sub(r"[\"'()<>]", " ", display_name or "").strip()
    if "@" in name:
        return ()
    parts = [p for p in re.split(r"[\s,]+", name) if len(p) >= 2 and p[0].isalpha()]
    return tuple([name] + parts) if parts else ()


_CLOSING = re.compile(
    r"^\s*(?:med\s+)?(?:vänliga|vänlig|bästa|varma|hjärtliga)?\s*(?:hälsningar|hälsning)[,.!]*\s*$|"
    r"^\s*(?:mvh|m\.v\.h\.?|hälsn|tack på förhand|kind regards|best regards|regards|best wishes|"
    r"sincerely|yours sincerely|cheers)[,.!]*\s*$",
    re.I,
)
_NAME_LINE = re.compile(r"^\s*/?\s*([A-ZÅÄÖÉÜ][\wåäöéüÅÄÖÉÜ'-]+(?:\s+[A-ZÅÄÖÉÜ][\wåäöéüÅÄÖÉÜ'-]+){0,3})\s*$")


def signature_names(text: str) -> tuple[str, ...]:
    """Names written under a closing phrase ("Med vänliga hälsningar" / "Karin Ek"), or as "/Karin"."""
    lines = [line for line in text.split("\n")]
    found: list[str] = []
    for i, line in enumerate(lines):
        if line.strip().startswith("/") and (m := _NAME_LINE.match(line)) and i >= len(lines) - 3:
            found.append(m.group(1))
        if not _CLOSING.match(line):
            continue
        rest = [x for x in lines[i + 1 : i + 4] if x.strip()]
        if rest and (m := _NAME_LINE.match(rest[0])):
            found.append(m.group(1))
    # the last line of the writer's text, above a mail program's footer ("Skickat från min iPhone"), when it is a
    # first name and nothing else: "Kim"
    body = [x for x in lines if x.strip()]
    while body and _FOOTER.match(body[-1]):
        body.pop()
    if body and len(body) < len(lines) and (m := _NAME_LINE.match(body[-1])) and \
            names_mod.is_first_name(m.group(1).split()[0]):
        found.append(m.group(1))
    names: list[str] = []
    for name in found:
        names.extend(name_parts(name))
    return tuple(dict.fromkeys(names))


_FOOTER = re.compile(r"^\s*(?:skickat från|sent from|lähetetty|hämta outlook|get outlook|skickat med|sent with)\b", re.I)

_GREETING = re.compile(
    r"^\s*(?i:hej|hejsan|hallå|god\s+(?:morgon|dag|kväll)|bästa|kära|dear|hello|hi)\s+"
    r"([A-ZÅÄÖÉÜ][\wåäöéüÅÄÖÉÜ'-]+(?:\s+[A-ZÅÄÖÉÜ][\wåäöéüÅÄÖÉÜ'-]+){0,2})\s*[,!.:]?\s*$",
    re.M,
)


def greeting_names(text: str) -> tuple[str, ...]:
    """Names greeted at the start of a line ("Hej Åsa!", "Hej Åsa Öberg,")."""
    names: list[str] = []
    for m in _GREETING.finditer(text):
        names.extend(name_parts(m.group(1)))
    return tuple(dict.fromkeys(names))


def find_phone(text: str) -> str:
    for m in PHONE.finditer(text):
        if sum(c.isdigit() for c in m.group(0)) >= 8:
            return m.group(0).strip()
    return ""


def find_address(text: str) -> str:
    m = STREET.search(text)
    return m.group(0).strip() if m else ""


class Deidentify:
    name = "deidentify"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        p = mail.parsed
        assert p is not None
        if mail.form is not None:  # the citizen is on the form; the sender is staff
            form = mail.form
            names = name_parts(form.person.name) if form.person else ()
            people = third_parties(form.text, ctx.org, names, self._about_employee(mail))
            return replace(mail, person=form.person, clean_subject=scrub(p.subject, names, people),
                           clean_text=scrub(form.text, names, people))
        display = p.from_.name if p.from_ else ""
        own = p.own_text or p.text
        recipients = tuple(n for a in p.to + p.cc for n in name_parts(a.name))
        names = name_parts(display) + signature_names(own) + greeting_names(own) + recipients
        person = None
        if p.from_ is not None:
            person = Person(
                name=display or next(iter(signature_names(own)), ""),
                email=p.from_.email,
                phone=find_phone(own),
                address=find_address(own),
            )
        people = third_parties(own, ctx.org, names, self._about_employee(mail))
        return replace(
            mail,
            person=person,
            clean_subject=scrub(p.subject, names, people),
            clean_text=scrub(own, names, people),
        )

    @staticmethod
    def _about_employee(mail: Mail) -> bool:
        return mail.classification is not None and "about_employee" in mail.classification.flags
