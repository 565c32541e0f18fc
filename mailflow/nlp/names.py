"""People's names in a text: a gazetteer of first names, and the places in a sentence where a word is a name.

The first names come from the name dictionary that the PyPI package
`gender-guesser` ships (`gender_guesser/data/nam_dict.txt`, Jörg Michael,
2007-2008, GNU Free Documentation License 1.2 or later; read, never changed):
about 48,000 first names with their frequency in each of 55 countries. We take
the names used in the Nordic countries, Britain, Ireland and the USA, and the
more frequent ones of every other country (the names of people who live in a
Swedish municipality come from everywhere).

A word is taken for a name where it is written as one: with a capital letter.
A first name that is also a common word ("Inga", "Per", "Bo", "Stig", "Dag")
counts only inside a sentence, never as its first word, unless a surname
follows it. The words right after a first name that are written with a
capital are its surnames ("Anna Lindqvist").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_NEAR = {"Great Britain", "Ireland", "U.S.A.", "Iceland", "Denmark", "Norway", "Sweden", "Finland"}

# first names that are also common Swedish, English or Finnish words: names only inside a sentence
COMMON_WORDS = frozenset(
    """inga per bo dag stig sten vide vid ask rut siv hem mark bill will may june april august sol rose
    björn lo liv ros gun eli ella tor berg alla mina hans vår dagny kim jan man ann else ali sara ebba
    all an and art as at ben bo can dean don ever faith grace guy hope ivy jack joy lane mark max miles
    page rich rock sky summer sunny vera violet win
    ja se on ei kun vain mutta tuula aino ilta satu""".split()  # noqa: SIM905  (word lists read best as text)
)
# surnames that are also common words ("Vik", "Ström", "Bäck"): replaced only where written as names
COMMON_SURNAMES = frozenset(
    """vik ström bäck ask hem sund berg lund dahl holm strand ek björk lind gran fors sjö sten falk lilja ros
    blom örn svan hjort lax kvist nord öst väst hall dal mark skog äng rask glad frisk stark bro torp by
    ljung lövgren hed mo ås nyström kron hjelm lejon fält bergs hage rosen""".split()  # noqa: SIM905  (word lists read best as text)
)


def common_word(word: str) -> bool:
    """Whether a name is also an everyday word ("Per", "Bo", "Vik"): then it is a name only when
    written as one."""
    low = word.lower()
    return low in COMMON_WORDS or low in COMMON_SURNAMES or low in _NOT_NAMES
# words written with a capital that are never a person's name here
_NOT_NAMES = frozenset(
    """jag vi hon han hen de det den och men som när där här hej hejsan tack mvh hälsningar vänliga
    mamma pappa mormor farmor morfar farfar min mitt mina er ert ni du dig the she he they and but when our my
    your his her it we you i hi dear hello thanks regards kind best love yours sincerely monday tuesday
    wednesday thursday friday saturday sunday måndag tisdag onsdag torsdag fredag lördag söndag januari februari
    mars april maj juni juli augusti september oktober november december january february march june july
    october lex sarah kan ska vill var är har men nu så om att för med till från efter innan under vid
    hos mot utan genom inte aldrig alltid också även bara redan sedan då sen nej ja okej ok visst kanske
    hur vad vem vilken varför vart skulle kunde måste borde får fick tycker tror vet känner
    can will may must should would could shall did does was were has have had not never also only just
    then now yes no why what who how where which there here this that these those if as so en ett on to in at of
    a an is it
    olen olet olemme olette ovat ei en et emme ette eivät minä sinä hän te se ne tämä tuo mutta ja kun jos
    koska nyt myös vain jo hei kiitos terveisin ystävällisin""".split()  # noqa: SIM905  (word lists read best as text)
)


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """The gazetteer, lower-case."""
    # the file as gender-guesser ships it is UTF-8 ("Märta", "Åsa", "Björn"): read as Latin-1, every name
    # with å, ä or ö would be lost and its line shifted by a column
    text = resources.files("gender_guesser").joinpath("data/nam_dict.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    columns: dict[int, str] = {}
    for above, line in zip(lines, lines[1:], strict=False):
        if line.startswith("#") and line.rstrip("$ \n").endswith("|") and line.count("|") == 1:
            columns[line.index("|")] = above.strip("#$ \n")
    near = [c for c, country in columns.items() if country in _NEAR]
    first, last = min(columns), max(columns) + 1
    frequent = re.compile(r"[3-9A-D]")  # class 3 or more (a near country's any class counts too)
    names: set[str] = set()
    for line in lines:
        if len(line) < last or line.startswith("#") or line[29] == "+":
            continue  # '+' in column 30: the same name again, sorted with expanded umlauts (the file's note)
        name = line[3:29].strip()
        if not name or " " in name or "+" in name or not name.isalpha():
            continue
        if any(line[c] != " " for c in near) or frequent.search(line, first, last):
            names.add(name.lower())
    return frozenset(names)


def is_first_name(word: str) -> bool:
    return word.lower() in first_names() and word.lower() not in _NOT_NAMES


@dataclass(frozen=True)
class Name:
    start: int
    end: int
    text: str  # as written: "Anna Lindqvist", "Lisa"
    first: str  # the first name ("" for a surname found after a title)


_SENTENCE_END = re.compile(r"[.!?:;\n]\s*$|^\s*$")


# first names that are also months: not a name after a word of time ("since August", "sedan April")
_MONTHS = frozenset(["april", "may", "june", "august", "maj", "juni"])
_TIME_BEFORE = re.compile(r"\b(?:since|in|until|till|during|before|after|from|early|late|last|next|of|i|sedan|sen|"
                          r"från|till|under|före|efter|om|början|slutet|mitten)\s+$", re.I)
# where a place stands, never a person: "in France", "i Florens" (a person is "hos Anna", "with Anna")
_PLACE_BEFORE = re.compile(r"\b(?:in|i|vid|near|nära)\s+$", re.I)
_CAPITALIZED = re.compile(r"(?<![\w'’-])[A-ZÅÄÖÉÜÆØ][a-zåäöéüæøß'’-]+(?:(?<=-)[A-ZÅÄÖÉÜÆØ][a-zåäöéüæøß'’]+)?")
_SURNAME = re.compile(r"[ -]([A-ZÅÄÖÉÜÆØ][a-zåäöéüæøß'’-]+)")


def person_names(text: str, exclude: Iterable[str] = ()) -> list[Name]:
    """The people's names written in a text, each with its surnames; never a word in `exclude`
    (the organization's unit, place and provider names)."""
    skip = {w.lower() for w in exclude}
    gazetteer = first_names()
    found: list[Name] = []
    pos = 0
    for m in _CAPITALIZED.finditer(text):
        if m.start() < pos:
            continue
        word = m.group(0)
        low = word.lower()
        if "-" in low and all(part in gazetteer for part in low.split("-")):
            pass  # a double name: "Anna-Karin", "Per-Olof"
        elif low not in gazetteer or low in _NOT_NAMES or low in skip:
            continue
        initial = bool(_SENTENCE_END.search(text[max(0, m.start() - 3): m.start()]))
        end, surnames = m.end(), 0
        while surnames < 2 and (s := _SURNAME.match(text, end)) and s.group(1).lower() not in skip \
                and s.group(1).lower() not in _NOT_NAMES:
            end, surnames = s.end(), surnames + 1
        if low in _MONTHS and _TIME_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue  # "since August", "i april"
        if not surnames and _PLACE_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue  # "staying with us in France", "bor i Florens": a place, not a person
        if low in COMMON_WORDS and not surnames and (
                initial or text[m.end(): m.end() + 1] not in (" ", ",", ".", "!", "?", "\n", ")", "")):
            continue
        found.append(Name(m.start(), end, text[m.start(): end], word))
        pos = end
    return found
