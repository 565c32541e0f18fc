"""One employee singled out in a text: by role noun made specific, by name, or by title and name.

A role noun ("undersköterska", "teacher", "hoitaja") names one person when
something makes it specific: the Swedish definite singular ("läraren",
"undersköterskan"), a possessive ("min handläggare", "mammas kontaktperson",
"our carer"), a determiner or numeral ("den nya pedagogen", "en av
fröknarna", "the teacher", "one of the carers", "eräs hoitaja"), or a place
or clause after it ("the manager at the day centre"). A name counts when it
stands beside a role ("undersköterskan Lisa", "rektor Svensson"), or alone
when it is no relative, neighbour or friend of the writer ("min mamma Ingrid"
is not staff) and not the writer or the person greeted.

Collective words ("personalen", "the staff") single out nobody unless one of
them is meant ("en i personalen", "a member of staff").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from mailflow.nlp import morph, names

# staff roles, as lemmas (the stemmer and the compound rules find their forms)
ROLES_SV = (
    "undersköterska", "sköterska", "sjuksköterska", "vårdbiträde", "vårdare", "biträde", "personlig assistent",
    "assistent", "chef", "enhetschef", "avdelningschef", "rektor", "förskolechef", "biträdande rektor",
    "lärare", "förskollärare", "pedagog", "stödpedagog", "barnskötare", "fröken", "fröknar", "handläggare",
    "biståndshandläggare", "socialsekreterare", "kurator", "boendestödjare", "kontaktperson", "kontaktman",
    "vikarie", "timvikarie", "chaufför", "förare", "kock", "fritidsledare", "ledare", "handledare",
    "aktivitetsledare", "familjebehandlare", "behandlare", "terapeut", "arbetsterapeut", "fysioterapeut",
    "sjukgymnast", "vaktmästare", "parkarbetare", "receptionist", "anställd", "medarbetare", "kollega",
    "tjej", "kille", "dam", "kvinna", "man", "ungdomsledare", "samordnare",
)
ROLES_EN = (
    "nurse", "carer", "caregiver", "care worker", "worker", "teacher", "manager", "caseworker", "case worker",
    "social worker", "support worker", "assistant", "personal assistant", "driver", "principal",
    "head teacher", "leader", "supervisor", "counsellor", "counselor", "cleaner", "employee", "officer",
    "coordinator", "therapist", "instructor", "receptionist", "janitor", "guard", "cook", "aide",
    "member of staff", "staff member", "colleague",
)
ROLES_FI = (
    "hoitaja", "lähihoitaja", "sairaanhoitaja", "opettaja", "lastentarhanopettaja", "työntekijä", "esimies",
    "johtaja", "ohjaaja", "sosiaalityöntekijä", "käsittelijä", "avustaja", "kuljettaja", "kotihoitaja", "työkaveri",
)
# a word of one of these roles: a group, not a person ("personalen", "the staff")
COLLECTIVE = ("personal", "staff", "team", "henkilökunta")
# one of a group: "en i personalen", "en av lärarna", "one of the carers", "yksi hoitajista"
ONE_OF = re.compile(
    r"\b(?:en|ett|någon|one|someone|yksi|eräs)\s+(?:av|i|från|på|of|among|in|from)\s+"
    r"(?:(?:the|your|our|their|de|era|våra|dina|deras|hennes|hans|mina)\s+)?(\w+)(?:\s+(\w+))?(?:\s+(\w+))?", re.I)
# a name given as one ("en tjej som heter Fia", "a man called Derek"), in the gazetteer or not
NAMED = re.compile(r"\b(?:heter|hette|kallas|called|named|nimeltä)\s+([A-ZÅÄÖ][a-zåäöéü]+)")
# before a role: what makes it one person
DETERMINERS = frozenset(
    """min mitt vår vårt hans hennes hens deras er ert din ditt den denna detta samma nya nye gamla ordinarie
    vanliga fasta en ett någon viss my our his her their your the this that one a an same new usual regular
    eräs yksi se tämä tuo meidän äidin isän""".split()  # noqa: SIM905  (word lists read best as text)
)
# before a name: a relative or someone close to the writer, not staff
KIN = tuple(
    """mamma pappa mor far mamman pappan mor- far- mormor farmor morfar farfar son sonen dotter dottern bror
    brodern brorsan syster systern make maken maka makan fru frun man mannen sambo sambon barnbarn barnbarnet
    besökare besökaren besökarna deltagare deltagaren deltagarna
    granne grannen grannar vän vännen väninna kompis kollega kusin moster faster morbror farbror svärmor
    svärfar brukare boende hyresgäst patient elev barn barnet flicka pojke mother mum mom father dad son
    daughter brother sister husband wife partner grandmother grandfather grandma grandpa granddaughter
    grandson neighbour neighbor friend aunt uncle cousin child boy girl resident äiti isä poika tytär
    veli sisko mies vaimo mummo vaari naapuri ystävä""".split()  # noqa: SIM905  (word lists read best as text)
)
_KIN_WORDS = frozenset(w.rstrip("-") for w in KIN)


# words that may stand between a kin word and the name: a word of description, or the one linking them
_KIN_EPITHETS = frozenset(["lilla", "stora", "gamla", "kära", "äldsta", "yngsta", "älskade", "dear", "little", "old",
                           "beloved", "rakas", "till", "åt", "för", "of", "to", "for"])


def _kin(word: str) -> bool:
    """A word for a relative or someone close ("mamma", "mammas", "mor-", "grannen")."""
    return word in _KIN_WORDS or (word.endswith("s") and word[:-1] in _KIN_WORDS) or \
        word.startswith(("mor-", "far-"))


_SV_DEFINITE_SINGULAR = ("n", "en", "et", "t")
_INDEFINITE = frozenset(["en", "ett", "a", "an", "one", "eräs", "yksi"])
# a person described in apposition to a staff word: "nattpersonalen, en man som ...", "en av de nya i hemtjänsten,
# en lång kvinna med rött hår"
# a relative described before the name: "grannen, en man som heter Erik"
_KIN_DESCRIBED = re.compile(r"\b([\wåäö]+)\s*,\s*(?:en|ett|a|an)\s+(?:[\wåäö]+\s+){1,3}(?:som heter|called|named)\s*$",
                            re.I)
_ONE_OF_SOME = re.compile(r"\b(?:en|ett|one|yksi)\s+(?:av|of)\s+(?:de|dem|våra|era|the|our|your)?\s*([\wåäö]+)", re.I)
_PERSON_NOUNS = ("man", "kvinna", "tjej", "kille", "dam", "person", "woman", "guy", "girl", "lady", "mies", "nainen")
APPOSITION = re.compile(
    r",\s+(?:en|ett|a|an|eräs)\s+(?:[a-zåäö]+\s+){0,2}(" + "|".join(_PERSON_NOUNS) + r")\s+(?:som|med|who|with|jolla|joka)\b",
    re.I)
# words that introduce a staff member's name
_INTRODUCED = re.compile(r"(?:\b(?:heter|hette|kallas|called|named|nimeltä)\s*|\b(?:personalen|staff|personal),?\s*)$")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    how: str  # role | one of | name | role+name


def _roles() -> tuple[str, ...]:
    return ROLES_SV + ROLES_EN + ROLES_FI


@lru_cache(maxsize=16384)
def _is_role_word(word: str, finnish: bool) -> tuple[str, str] | None:
    """The role a word names and how it ends after the role's own letters, or None."""
    for role in _roles():
        if " " in role or role[:2] not in word:
            continue
        span = morph.word_match(word, role, True, finnish)
        if span is None or span[1] != len(word):
            continue
        if len(word) - span[0] < len(role.rstrip("ae")):
            continue  # the stem of an agent noun is the activity, not the person ("vård" is no "vårdare")
        if any(word.startswith(c) or word.endswith(c) for c in COLLECTIVE):
            return None
        stem, rest = role.rstrip("ae"), word[span[0]:]
        if len(role) <= 4 and rest.startswith(stem + stem[-1]):  # "mannen": the doubled consonant is no ending
            return role, rest[len(stem) + 1:]
        return role, word[span[0] + len(stem):]
    return None


def mentions(text: str, *, exclude: Iterable[str] = (), not_people: Iterable[str] = (),
             finnish: bool = False) -> list[Mention]:
    """The places in a text where one employee is singled out."""
    toks = morph.tokens(text)
    found: list[Mention] = []
    skip = {w.lower() for w in not_people}
    lowers = [t.lower for t in toks]
    role_at: dict[int, str] = {}
    for i, tok in enumerate(toks):
        hit = _is_role_word(tok.lower, finnish)
        if hit is None:
            continue
        role, ending = hit
        role_at[i] = role
        before = lowers[i - 1] if i else ""
        before2 = lowers[i - 2] if i > 1 else ""
        definite_sv = role in ROLES_SV and ending.lstrip("a") in _SV_DEFINITE_SINGULAR and ending not in ("", "a")
        plural = role in ROLES_SV and ending.lstrip("a").startswith(("or", "na", "ar", "er")) or \
            (role in ROLES_EN and tok.lower.endswith("s") and not role.endswith("s"))
        possessive = before.endswith("s") and i > 0 and before not in ("hos", "was", "is", "has", "this", "as",
                                                                       "its", "us")
        specific = not plural and (definite_sv or before in DETERMINERS or before2 in DETERMINERS or possessive
                                   or (role in ROLES_FI and not tok.lower.endswith(("t", "ien", "iden"))))
        if specific and role in ("tjej", "kille", "dam", "kvinna", "man", "ledare") and not definite_sv:
            specific = False  # "en kvinna" is anyone; "tjejen som kom" is one of the staff
        if specific and role in ("tjej", "kille", "dam", "kvinna", "man"):
            nxt = lowers[i + 1] if i + 1 < len(lowers) else ""
            # "tjejen som kom i tisdags", "killen med skägg", "den mannen" (the one the text has described)
            specific = nxt in ("som", "från", "i", "på", "med") or (definite_sv and before in ("den", "denna", "samma"))
        if specific:
            found.append(Mention(tok.start, tok.end, tok.text, "role"))
    for m in ONE_OF.finditer(text):
        for g in (1, 2, 3):  # "en av personalen", "en av de fast anställda", "one of the home care staff"
            word = (m.group(g) or "").lower()
            if word and (any(word.startswith(c) for c in COLLECTIVE) or _is_role_word(word, finnish)):
                found.append(Mention(m.start(), m.end(g), text[m.start(): m.end(g)], "one of"))
                break
    for m in APPOSITION.finditer(text):
        head = text[max(0, m.start() - 120): m.start()]
        some = _ONE_OF_SOME.search(head)
        if some and not _kin(some.group(1).lower()) or any(_is_role_word(w, finnish) or any(c in w for c in COLLECTIVE)
                                            for w in re.findall(r"[\wåäö]+", head.lower())):
            found.append(Mention(m.start(1), m.end(1), m.group(1), "role"))
    found_names = names.person_names(text, exclude)
    kin: set[str] = set()  # a name once given to a relative or client is theirs everywhere in the text
    for name in found_names:
        before = re.split(r"[.!?\n]", text[max(0, name.start - 40): name.start].lower())[-1]  # this sentence
        words = re.findall(r"[\wåäö-]+", before)
        # "min man Erik" is kin; "en man som heter Erik" is anyone
        described = _KIN_DESCRIBED.search(text[max(0, name.start - 60): name.start])
        # the kin word right before the name, or with one word of description between ("min mamma Ingrid",
        # "mormor lilla Greta", "god man till Lisa"); "Mormor har sett Jessica" is the relative seeing someone else
        if described and _kin(described.group(1).lower()) or any(
                _kin(words[i]) and (i == 0 or words[i - 1] not in _INDEFINITE)
                and (i == len(words) - 1 or words[-1] in _KIN_EPITHETS)
                for i in range(max(0, len(words) - 2), len(words))):
            kin.add(name.first.lower())
    for name in found_names:
        if name.first.lower() in skip or name.text.lower() in skip or name.first.lower() in kin:
            continue  # "min mamma Ingrid", "grannen Birgitta", and the writer
        before = text[max(0, name.start - 40): name.start].lower()
        near_role = any(i in role_at for i, t in enumerate(toks) if 0 < name.start - t.end <= 3) or \
            bool(_INTRODUCED.search(before)) or any(0 < name.start - m.end <= 3 for m in found
                                                    if m.how in ("role", "one of"))
        found.append(Mention(name.start, name.end, name.text, "role+name" if near_role else "name"))
    for m in NAMED.finditer(text):
        if m.group(1).lower() not in skip and m.group(1).lower() not in kin and \
                not any(f.start == m.start(1) for f in found) and not names.common_word(m.group(1)):
            found.append(Mention(m.start(1), m.end(1), m.group(1), "role+name"))
    return found
