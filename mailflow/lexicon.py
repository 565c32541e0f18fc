"""Built-in Swedish and English lexicons, and the matcher that reads them.

An entry is a word stem (it matches any word that starts with it, so
"missnöj" finds "missnöjd" and "missnöjda"), a phrase of stems ("ingen kom"),
or, with a leading "*", a part of a compound ("*personal" finds
"hemtjänstpersonalen"). Organizations add entries in `[classifier]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

COMPLAINT = (
    # Swedish: dissatisfaction, also when wrapped as a question
    "klagomål", "klaga", "klagar", "missnöj", "besvik", "upprörd", "arg ", "irriterad",
    "oacceptabel", "inte acceptabel", "inte okej", "inte ok", "skandal", "bedrövlig", "dålig",
    "sämre", "sämst", "uselt", "usel", "brist", "fel ", "felaktig", "slarv", "problem ", "problemet", "problemen",
    "försen", "försenad", "för sent", "har väntat", "väntat länge", "väntar fortfarande", "har inte fått",
    "fick inget svar", "inget svar", "ingen svarar", "ingen har hört av sig", "har ingen hört",
    "uteblev", "utebliven", "kom aldrig", "kom inte", "glömde", "glömt", "struntar",
    "otrevlig", "oförskämd", "nonchalant", "respektlös", "kränk", "dåligt bemötande", "ignorer",
    "smutsig", "skitig", "ostädad", "trasig", "farlig", "otrygg", "rädd ", "rädda för", "orolig", "oro ",
    "stängd", "stängt", "inställd", "ställdes in", "nedskräp", "klotter", "stinker", "luktar",
    "varför har", "varför får", "varför kan", "varför är", "varför ska", "hur kan det",
    "hur kommer det sig", "är det rimligt", "är det meningen", "rimligt att", "kräver",
    "vill ha ersättning", "vill ha en förklaring", "begär", "anmäla", "anmälan",
    "tyvärr", "inte fungerar", "fungerar inte", "funkar inte", "saknas", "saknade", "saknar",
    "orimlig", "obegriplig", "kaos", "stökig", "buller", "oväsen", "stök",
    "varför kom", "kom ingen", "ingen kom", "inte nöjd", "inte alls nöjd", "inte särskilt nöjd",
    # English
    "complain", "disappoint", "unacceptable", "not acceptable", "angry", "upset", "poor ",
    "terrible", "awful", "rude", "late ", "delay", "never came", "did not come", "didn't come",
    "no one came", "nobody came", "no answer", "no reply", "still waiting", "waiting for",
    "why has", "why does", "why is", "why was", "how can it be", "broken", "dirty", "unsafe",
    "neglect", "ignored", "problems", "missing", "failed", "failure", "wrong",
)

OPINION = (
    "förslag", "föreslå", "föreslår", "tips", "idé", "önskar", "önskemål", "skulle vilja",
    "vore bra", "vore det bra", "vore fint", "vore trevligt", "borde", "bör ", "kunde ni",
    "skulle ni kunna", "synpunkt", "tycker att", "tänkte på", "fundering", "undrar om",
    "hade varit bra", "hade varit trevligt", "förbättr",
    "suggest", "suggestion", "idea", "would be nice", "would be good", "could you", "should ",
    "proposal", "propose", "wish", "opinion", "improve",
)

PRAISE = (
    "beröm", "berömm", "tack så mycket", "stort tack", "tusen tack", "vill tacka", "vill bara tacka",
    "jättebra", "fantastisk", "underbar", "toppen", "nöjd", "glad över", "så glad", "imponerad",
    "fint bemötande", "gott bemötande", "vänligt bemötande", "vänlig personal", "så vänlig",
    "varm och", "omtänksam", "professionell",
    "hjälpsam", "uppskatt", "ett stort plus", "guldvärd", "eloge", "kudos",
    "thank you", "thanks so much", "many thanks", "grateful", "wonderful", "excellent",
    "fantastic", "great job", "kind ", "helpful", "appreciate", "praise", "happy with",
)

ANONYMOUS = (
    "vill vara anonym", "vill förbli anonym", "önskar vara anonym", "anonymt", "anonym ",
    "vill inte uppge mitt namn", "vill inte lämna mitt namn", "utan att uppge namn",
    "skriver anonymt", "wish to remain anonymous", "want to remain anonymous",
    "stay anonymous", "anonymously", "won't give my name", "will not give my name",
)

ABOUT_EMPLOYEE = (
    "en anställd", "den anställde", "en medarbetare", "hon som heter", "han som heter",
    "hen som heter", "personen som heter", "vid namn", "som hette", "hennes bemötande",
    "hans bemötande", "hens bemötande", "hon var otrevlig", "han var otrevlig", "hen var otrevlig",
    "hon skrek", "han skrek", "hen skrek", "kontaktperson", "min handläggare", "handläggaren",
    "undersköterskan", "vårdbiträdet", "socialsekreteraren", "pedagogen", "läraren",
    "an employee", "a member of staff", "a staff member", "her name is", "his name is",
    "my caseworker", "the caseworker", "named ",
)

# Suspected serious misconduct in care (SoL/LSS) — also in plain words.
LEX_SARAH = (
    "lex sarah", "missförhållande", "vanvård", "försummelse", "misshandel", "övergrepp",
    "slog henne", "slog honom", "slog min", "slagen", "knuffade", "knuffad", "nyp",
    "blåmärke", "låg på golvet", "legat på golvet", "hittades på golvet", "föll och",
    "fick fel medicin", "fel medicin", "fel läkemedel", "fick inte sin medicin",
    "fick ingen medicin", "medicinen glömdes", "glömde ge", "ingen kom när", "kom ingen när",
    "larmade", "larmet", "trygghetslarm", "ingen mat", "fick ingen mat", "svalt", "uttorkad",
    "inte fått dricka", "låg i avföring", "låg i urin", "blöt blöja", "liggsår", "trycksår",
    "inlåst", "låste in", "bältad", "fastspänd", "hot ", "hotade", "kränkande behandling",
    "sexuell", "stöld", "stal pengar", "försvunna pengar", "ensam hela natten",
    "abuse", "neglect", "wrong medication", "wrong medicine", "left on the floor",
    "lying on the floor", "nobody came when", "no one came when", "bruises", "bedsore",
    "locked in", "restrained", "dehydrated",
)

SV_WORDS = frozenset(
    "och att det inte jag är på för med som en har till vi min mitt mina av om hon han hen "
    "den de var ett men så eller från kan ska vill när har hade mycket också här där".split()
)
EN_WORDS = frozenset(
    "the and to is not my of for with have was this that it in on are we our she he they "
    "be has had when would could there here very also".split()
)

_WORD = re.compile(r"[0-9a-zåäöéüæø]+(?:-[0-9a-zåäöéüæø]+)*", re.I)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@dataclass(frozen=True)
class _Entry:
    label: str
    pattern: re.Pattern[str]


@lru_cache(maxsize=512)
def _compile(entries: tuple[str, ...]) -> tuple[_Entry, ...]:
    out = []
    for e in entries:
        e = e.lower()
        if not e.strip():
            continue
        if e.startswith("*"):
            body = re.escape(e[1:].strip())
            pat = rf"{body}"
        else:
            stem = re.escape(e.strip())
            # a trailing blank in an entry means "whole word only"
            tail = r"\b" if e.endswith(" ") else ""
            pat = rf"(?<![0-9a-zåäöéüæø]){stem}{tail}"
        out.append(_Entry(label=e.strip(), pattern=re.compile(pat)))
    return tuple(out)


@lru_cache(maxsize=64)
def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def matches(text: str, entries: Iterable[str]) -> list[str]:
    """The entries found in the text (lower-cased, whitespace folded)."""
    norm = _normalise(text)
    return [e.label for e in _compile(tuple(entries)) if e.pattern.search(norm)]


def language(text: str, default: str) -> tuple[str, str]:
    """'sv' or 'en' by common words, with the cue that decided."""
    ws = words(text)
    sv = sum(1 for w in ws if w in SV_WORDS)
    en = sum(1 for w in ws if w in EN_WORDS)
    if sv == en:
        return default, f"language:{default} (default)"
    lang = "sv" if sv > en else "en"
    return lang, f"language:{lang} ({sv} sv / {en} en common words)"
