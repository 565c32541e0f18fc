"""Word forms and compounds: does a configured term occur in a text, and where.

A term ("förskola", "home care", "Omsorgsgruppen Hemtjänst AB") is matched word
by word. A word of the text matches a word of the term when it is

- the same word, or an inflected form of it: the Snowball stemmer (Swedish,
  English, Finnish) gives the base and a closed list of inflectional endings
  the rest ("förskola" finds "förskolan", "förskolor", "förskolans"; "home"
  finds "homes"; "kotihoito" finds "kotihoidon", with Finnish consonant
  gradation);
- a compound whose last part is the term word (the head: "äldreboendet" is a
  "boende", "kvällshemtjänsten" a "hemtjänst");
- a compound whose first part is the term word, when what follows is a word of
  its own and not a derivational suffix ("hemtjänstpersonalen", "förskolegården",
  but not "parkering" for "park").

Every match has the span of the text it covers, so that overlapping matches
can be resolved longest first (`longest`): a term inside a longer matched term
("hemtjänst" inside "Hemtjänst Plus AB") does not count on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_SV = snowballstemmer.stemmer("swedish")
_EN = snowballstemmer.stemmer("english")
_FI = snowballstemmer.stemmer("finnish")

TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)

# Swedish inflectional endings of nouns and adjectives (number, definiteness, genitive)
SV_ENDINGS = frozenset(
    ["", "a", "an", "ans", "ar", "arna", "arnas", "ars", "as", "e", "en", "ens", "er", "erna", "ernas", "ers",
     "es", "et", "ets", "n", "na", "nas", "ns", "or", "orna", "ornas", "ors", "s", "t", "ts", "ne", "ena", "es"]
)
# the definite article an inflected keyword may carry in a configuration ("boendet", "parken")
_DEFINITE = ("arna", "erna", "orna", "an", "en", "et", "na")
# Finnish case endings, possessive suffixes and clitics after a stem
_FI_TAIL = re.compile(
    r"^[aäeiouy]?(?:n|t|a|ä|ta|tä|na|nä|ssa|ssä|sta|stä|lla|llä|lta|ltä|lle|ksi|tta|ttä|ine|han|hen|hin|hon|hun|"
    r"hyn|hän|hön|seen|siin|iin|en|in|jen|iden|itten|ja|jä|ita|itä|issa|issä|ista|istä|illa|illä|ilta|iltä|ille|"
    r"iksi|ina|inä|ihin)?(?:ni|si|nsa|nsä|mme|nne|an|en|än)?(?:kin|kaan|kään|ko|kö)?$"
)
# weak grades of Finnish consonants (kotihoito -> kotihoidon, päiväkoti -> päiväkodin)
_FI_GRADES = (("tt", "t"), ("kk", "k"), ("pp", "p"), ("nt", "nn"), ("nk", "ng"), ("lt", "ll"), ("rt", "rr"),
              ("mp", "mm"), ("t", "d"), ("p", "v"), ("k", ""))
# what follows a stem in a derived word, not a compound ("park|ering", "kultur|ell")
_DERIVATIONS = ("ering", "ande", "ende", "else", "ning", "het", "lig", "isk", "ism", "ist", "itet", "ell", "era",
                "are", "eri", "iv", "ant", "ent", "ör", "ös")
_LINKS = ("", "s", "e", "a", "o", "u")  # the letter that may join the parts of a compound


@lru_cache(maxsize=8192)
def sv_bases(word: str) -> tuple[str, ...]:
    """The forms an inflected Swedish word starts with: the word and its stem without the article."""
    stem = _SV.stemWord(word)
    if word == stem + "s":  # a lemma ending in s is not a genitive ("insats", not "insat")
        stem = word
    for ending in _DEFINITE:
        if stem.endswith(ending) and len(stem) - len(ending) >= 4:
            stem = stem[: -len(ending)]
            break
    bases = {word}
    if len(word) - len(stem) <= 3 and len(stem) >= 4:  # the stemmer may take off a derivation too ("vuxenenheten" -> "vuxen")
        bases.add(stem)
    # plural with umlaut: "bostad" -> "bostäder", "stad" -> "städer"
    m = re.match(r"^(.*)([ao])([^aeiouyåäö]+)$", word)
    if m:
        bases.add(m.group(1) + {"a": "ä", "o": "ö"}[m.group(2)] + m.group(3))
    # a short word's last consonant doubles before an ending: "man" -> "mannen", "männen"; "vän" -> "vännen"
    if len(word) <= 4 and re.match(r"^.*[aeiouyåäö][mnlt]$", word):
        bases.update(b + b[-1] for b in list(bases) if b[-1] == word[-1])
    return tuple(b for b in bases if len(b) >= 3)


@lru_cache(maxsize=8192)
def fi_bases(word: str) -> tuple[str, ...]:
    """The forms an inflected Finnish word starts with, in the strong and the weak grade."""
    stem = _FI.stemWord(word)
    bases = {word, stem}
    for base in list(bases):
        for strong, weak in _FI_GRADES:
            i = base.rfind(strong, max(0, len(base) - 4))
            if i > 0:
                bases.add(base[:i] + weak + base[i + len(strong):])
                break
    return tuple(b for b in bases if len(b) >= 3)


@lru_cache(maxsize=16384)
def en_stem(word: str) -> str:
    return str(_EN.stemWord(word))


@lru_cache(maxsize=65536)
def inflected(word: str, term: str, finnish: bool = False) -> bool:
    """Whether `word` is `term` or an inflected form of it (Swedish and English; Finnish case endings
    only in a Finnish text, where they cannot be mistaken for Swedish ones), both lower-case."""
    if word == term:
        return True
    if len(term) < 3 or not word.startswith(term[:2]):
        return False
    for base in sv_bases(term):
        if word.startswith(base) and word[len(base):] in SV_ENDINGS:
            return True
    if en_stem(word) == en_stem(term) and len(en_stem(term)) >= 3:
        return True
    if finnish:
        for base in fi_bases(term):
            if word.startswith(base) and _FI_TAIL.match(word[len(base):]):
                return True
    return False


@lru_cache(maxsize=65536)
def same_lemma(word: str, term: str) -> bool:
    """Whether two Swedish words are forms of one lemma by their stems ("förskola", "förskolorna"): for the
    words of a phrase, which a configuration may write in any form."""
    if word == term:
        return True
    stem = sv_stem(term)
    return len(stem) >= 5 and sv_stem(word) == stem


@lru_cache(maxsize=16384)
def sv_stem(word: str) -> str:
    return str(_SV.stemWord(word))


@lru_cache(maxsize=65536)
def word_match(word: str, term: str, compounds: bool = True, finnish: bool = False) -> tuple[int, int] | None:
    """The part of `word` (start, end) that is `term`: inflected, or a compound's head or first part."""
    if inflected(word, term, finnish):
        return 0, len(word)
    if not compounds or len(term) < 4 or len(word) < len(term) + 2:
        return None
    # the head: the last part of the compound is the term ("äldre|boendet")
    probe = term[:3]
    i = word.find(probe, 2)
    while i >= 2:
        if inflected(word[i:], term, finnish):
            return i, len(word)
        i = word.find(probe, i + 1)
    # the first part: "hemtjänst|personalen", "förskol|e|gården"
    for base in (term,) + sv_bases(term):
        if len(base) < 4 or not word.startswith(base):
            continue
        rest = word[len(base):]
        if rest.startswith(_DERIVATIONS):
            continue
        for link in _LINKS:
            tail = rest[len(link):] if rest.startswith(link) else None
            if tail and len(tail) >= 4 and not tail.startswith(_DERIVATIONS):
                return 0, len(base)
    return None


@dataclass(frozen=True)
class Token:
    text: str  # as written
    lower: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """The words of a text with their offsets (letters only; hyphens and digits split words)."""
    return [Token(m.group(0), m.group(0).lower(), m.start(), m.end()) for m in TOKEN.finditer(text)]


@lru_cache(maxsize=4096)
def term_words(term: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in TOKEN.findall(term))


@dataclass(frozen=True)
class Match:
    term: str  # the term as configured
    start: int
    end: int
    words: tuple[int, int]  # the first and last token matched

    @property
    def length(self) -> int:
        return self.end - self.start


class Text:
    """A text's tokens, indexed by word, for finding many terms in it."""

    def __init__(self, text: str) -> None:
        self.toks = tokens(text)
        self.at: dict[str, list[int]] = {}
        for i, tok in enumerate(self.toks):
            self.at.setdefault(tok.lower, []).append(i)
        self.pairs: dict[str, list[str]] = {}  # two letters -> the words that contain them
        for word in self.at:
            for pair in {word[k: k + 2] for k in range(len(word) - 1)}:
                self.pairs.setdefault(pair, []).append(word)

    def where(self, term_word: str, compounds: bool, finnish: bool) -> list[tuple[int, tuple[int, int]]]:
        """The tokens (index, span in the token) that match one word of a term."""
        out: list[tuple[int, tuple[int, int]]] = []
        for word in self.pairs.get(term_word[:2], ()):  # every match has the term's first two letters
            span = word_match(word, term_word, compounds, finnish)
            if span is not None:
                out.extend((i, span) for i in self.at[word])
        return out


def find(term: str, text: Text, *, compounds: bool = True, capitalized: bool = False,
         finnish: bool = False) -> list[Match]:
    """Every occurrence of a term in a text.

    A one-word term may match a part of a compound (unless `compounds` is off); a
    longer term matches word by word, its last word also as a compound's first part.
    With `capitalized`, a one-word term counts only where it is written with a
    capital letter (a proper name, not the common word it may also be).
    """
    words = term_words(term)
    if not words:
        return []
    toks = text.toks
    n = len(words)
    found: list[Match] = []
    if n == 1:
        for i, span in text.where(words[0], compounds, finnish):
            if capitalized and not toks[i].text[span[0]].isupper():
                continue
            found.append(Match(term, toks[i].start + span[0], toks[i].start + span[1], (i, i)))
        return found
    firsts = {i for i, _span in text.where(words[0], False, finnish)}
    firsts.update(i for word in text.pairs.get(words[0][:2], ()) if same_lemma(word, words[0]) for i in text.at[word])
    for i in sorted(firsts):
        if i + n > len(toks):
            continue
        if not all(inflected(toks[i + j].lower, words[j], finnish) for j in range(1, n - 1)):
            continue
        last = word_match(toks[i + n - 1].lower, words[-1], compounds, finnish)
        if last is None or last[0] != 0:
            continue
        found.append(Match(term, toks[i].start, toks[i + n - 1].start + last[1], (i, i + n - 1)))
    return found


def longest(matches: Iterable[Match]) -> list[Match]:
    """The matches not inside a longer match of another term (longest first, ties kept)."""
    ordered = sorted(matches, key=lambda m: -m.length)
    kept: list[Match] = []
    for m in ordered:
        if any(k.length > m.length and k.start <= m.start and m.end <= k.end for k in kept):
            continue
        kept.append(m)
    return kept


# common Finnish words that Swedish and English never use
_FI_WORDS = frozenset(
    ["ja", "on", "ei", "että", "se", "hän", "minä", "minun", "olen", "oli", "ovat", "mutta", "kun", "myös", "ole",
     "ollut", "tämä", "tässä", "niin", "kuin", "hänen", "äiti", "isä", "kanssa", "vain", "jo", "nyt", "joka",
     "mitä", "miksi", "koska", "eikä", "hei", "kiitos", "ystävällisin", "terveisin", "meidän", "teidän", "siitä"]
)


def looks_finnish(toks: Sequence[Token]) -> bool:  # noqa: D103
    """Whether a text is Finnish enough for Finnish word endings (a cue for morphology, not the
    language of the case, which `lexicon.language` decides)."""
    hits = sum(1 for t in toks[:400] if t.lower in _FI_WORDS)
    return hits >= 3 and hits * 12 >= min(len(toks), 400)
