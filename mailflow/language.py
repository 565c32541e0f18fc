"""The language a citizen wrote in, by lingua (offline models shipped in its wheel), with a confidence floor.

`detect(text, org_language, languages)` -> (language, cue). lingua compares the
text against the shipped catalogs' languages and the organization's (sv, en, fi
...): the most likely one wins when its confidence reaches `CONFIDENCE_FLOOR`
and the text has `MIN_WORDS` words; otherwise the organization's language. A
language the organization does not answer in falls back to English when the
organization lists it, else to the organization's language.

The detector is built once per set of candidate languages, lazily, on first use
(lingua loads only those languages' models), and shared by every thread.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from mailflow import i18n

if TYPE_CHECKING:
    from lingua import LanguageDetector

CONFIDENCE_FLOOR = 0.60
MIN_WORDS = 3
# a long message says what language it is in its first few thousand characters
MAX_CHARS = 1000
# trigrams only: a fifth of the time and memory; a complaint is long enough for them (the corpora agree)
LOW_ACCURACY = True
_WORD = re.compile(r"[^\W\d_]{2,}")

_lock = threading.Lock()
_detectors: dict[frozenset[str], LanguageDetector] = {}


def _lingua(code: str) -> Any:
    from lingua import IsoCode639_1, Language

    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        return None


def detector(candidates: frozenset[str]) -> LanguageDetector:
    """The detector for these language codes, built on first use and kept (lingua is imported then, too)."""
    with _lock:
        found = _detectors.get(candidates)
        if found is None:
            from lingua import Language, LanguageDetectorBuilder

            langs = [x for x in (_lingua(c) for c in sorted(candidates)) if x is not None]
            if len(langs) < 2:  # lingua needs two to choose between
                langs += [x for x in (Language.ENGLISH, Language.SWEDISH) if x not in langs][: 2 - len(langs)]
            builder = LanguageDetectorBuilder.from_languages(*langs)
            found = (builder.with_low_accuracy_mode() if LOW_ACCURACY else builder).build()
            _detectors[candidates] = found
        return found


def candidates_for(languages: tuple[str, ...]) -> frozenset[str]:
    """What lingua chooses between: the organization's languages and the shipped catalogs'."""
    return frozenset(languages) | frozenset(i18n.LANGUAGES)


def detect(text: str, org_language: str, languages: tuple[str, ...] = ()) -> tuple[str, str]:
    """The language to answer in, and the cue that says why."""
    languages = languages or (org_language,)
    sample = text[:MAX_CHARS]
    if len(_WORD.findall(sample)) < MIN_WORDS:
        return org_language, f"language:{org_language} (default: too few words to tell)"
    values = detector(candidates_for(languages)).compute_language_confidence_values(sample)
    if not values:
        return org_language, f"language:{org_language} (default: no language recognised)"
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    confidence = best.value
    if confidence < CONFIDENCE_FLOOR:
        return org_language, f"language:{org_language} (default: {code} only {confidence:.2f} < {CONFIDENCE_FLOOR:.2f})"
    if code not in languages:
        fallback = "en" if "en" in languages else org_language
        return fallback, f"language:{fallback} (wrote {code} {confidence:.2f}, not one of {', '.join(languages)})"
    return code, f"language:{code} (lingua {confidence:.2f})"
