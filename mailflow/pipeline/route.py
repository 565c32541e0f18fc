"""route: the responsible unit and the address the case goes to, a pure function of text + config.

A place or unit name weighs more than a generic word. Lex Sarah cases go to
the Lex Sarah handler, never the unit; nothing matching goes to the registrar
for triage; external-provider and other-district units go to their contact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from mailflow.config import Organization, Unit
from mailflow.model import Classification, Mail, Routing
from mailflow.nlp import districts, morph, sarah
from mailflow.pipeline import Context
from mailflow.pipeline.ahead import ahead

PLACE_WEIGHT = 3.0
NAME_WEIGHT = 3.0
KEYWORD_WEIGHT = 1.0
AREA_WEIGHT = 0.5

# words in a unit's, provider's or district's name that are not its own: legal forms and small words
_NOT_NAME = frozenset(
    ["ab", "hb", "kb", "ek", "för", "oy", "oyj", "ltd", "inc", "co", "aktiebolag", "stiftelse", "förening",
     "ekonomisk", "kommun", "kommuns", "stad", "stads", "region", "i", "och", "av", "på", "med", "till", "för",
     "the", "of", "and", "for", "in", "at", "ja", "extern", "externa", "utförare", "enhet", "enheten", "sverige",
     "group", "gruppen", "norden", "care", "vård", "omsorg", "service", "services"]
)
_COMPANY = re.compile(r"\b(?:AB|HB|KB|Oy|Oyj|Ltd|Inc|Aktiebolag|Stiftelse|Group|& Co)\b")


# a sentence that tells the background, not the matter: what was before ("innan dess hade han hemtjänst från X",
# "she used to live on X"), or a service said to be fine ("där fungerar det", "is not the problem")
BACKGROUND = re.compile(
    r"\b(?:innan dess|innan (?:han|hon|hen|vi|de|jag) flyttade|förut hade|tidigare hade|hade tidigare|bodde|"
    r"fungerar det bra|där fungerar det|fungerar bra|fungerade det bra|fungerade bra|är inte problemet|"
    r"before that|used to|previously|formerly|lived|works well|is fine|is ok|is okay|not the problem|"
    r"ennen sitä|aiemmin|när (?:hon|han|hen|de|jag|vi) hade|when (?:she|he|they|I|we) had|kun (?:hänellä|meillä) oli)\b",
    re.I)
# what was not chosen or was left: from the marker to the next "to"/"till" or comma ("valde X i stället för Y",
# "switched from Y to X")
_INSTEAD = re.compile(r"\b(?:i stället för|istället för|bytte från|bytt från|flyttade från|instead of|"
                      r"switched from|moved from|changed from|sen sijaan)\b(.*?)(?=\b(?:till|to)\b|[,;:.!?\n]|$)",
                      re.I)
# a landmark: a place named to say where another service is ("förskolan vid X", "a preschool near X")
_LANDMARK = re.compile(r"\b(?:vid|nära|bredvid|intill|near|next to|close to|lähellä|vieressä)\s*\(?\s*$", re.I)
# an area named as the office a writer deals with: "skickat ansökan till X", "ringt X", "a letter from X"
_OFFICE = re.compile(r"\b(?:till|från|hos|ringde|ringt|mejlat|mailat|to|from|at|called|phoned)\s*$", re.I)
_LIVES = re.compile(r"\b(?:jag|vi)\s+(?:\w+\s+)?(?:bor|är skriven|är skrivna)\s+(?:\w+\s+)?(?:på|i)\s*$|"
                    r"\b(?:I|we)\s+(?:\w+\s+)?(?:live|am living|are living)\s+(?:\w+\s+)?(?:on|in|at)\s*$|"
                    r"\b(?:asun|asumme)\s*$", re.I)
_WHERE = re.compile(r"\s+(?:(?:i|in|på|at|vid)\s+)?", re.I)
BACKGROUND_FACTOR = 0.25


def _background(text: str) -> list[tuple[int, int]]:
    """The spans that tell the background: whole sentences, and what was not chosen."""
    spans, start = [], 0
    for m in list(sarah.SENTENCE_BREAK.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        if BACKGROUND.search(text, start, end):
            spans.append((start, end))
        start = m.end() if m else end
    spans += [(m.start(), m.end()) for m in _INSTEAD.finditer(text)]
    return spans


@dataclass(frozen=True)
class Term:
    unit_id: str
    term: str
    kind: str  # name | place | keyword
    weight: float
    capitalized: bool = False  # a proper name taken from a longer name: counts only written as a name
    compounds: bool = True


def _spread(org: Organization) -> dict[str, int]:
    """How many units share each keyword: a word many units use says little about which."""
    count: dict[str, int] = {}
    for unit in org.units:
        for word in {" ".join(morph.term_words(k)) for k in unit.keywords}:
            count[word] = count.get(word, 0) + 1
    return count


def _proper_words(name: str, org: Organization, generic: tuple[str, ...]) -> list[str]:
    """The words of a unit's, provider's or district's name that name it and nothing else: written with
    a capital, not the first word of a descriptive name ("Hemtjänsten Norrmalm"), not a service word
    any unit lists as a keyword, not a legal form, not a word of the organization's own name."""
    company = bool(_COMPANY.search(name))
    own = {w for n in (org.name, org.id) for w in morph.term_words(n)}
    words = morph.TOKEN.findall(name)
    out = []
    for i, word in enumerate(words):
        low = word.lower()
        if len(low) < 3 or low in _NOT_NAME or low in own or not word[0].isupper():
            continue
        if i == 0 and not company and len(words) > 1:
            continue
        if any(morph.word_match(low, g) for g in generic):
            continue
        out.append(word)
    return out


@lru_cache(maxsize=32)
def unit_terms(org: Organization) -> tuple[Term, ...]:
    """What names each unit in a text: its name, its provider's or district's name and the proper
    words in them, its places (weight 3 each), and its keywords (1 divided by the units sharing it)."""
    spread = _spread(org)
    generic = tuple({w for u in org.units for k in u.keywords for w in morph.term_words(k) if len(w) >= 4})
    terms: list[Term] = []
    proper: dict[str, set[str]] = {}  # a proper word of a name: the units it names
    used: dict[str, set[str]] = {}  # every word of a name or a place: the units it belongs to
    for unit in org.units:
        names = [unit.name] + [c.name for c in (unit.provider, unit.district) if c is not None]
        for name in names:
            terms.append(Term(unit.id, name, "name", NAME_WEIGHT, compounds=False))
            for word in _proper_words(name, org, generic):
                proper.setdefault(word.lower(), set()).add(unit.id)
            for word in morph.term_words(name):
                used.setdefault(word, set()).add(unit.id)
        for place in unit.places:
            terms.append(Term(unit.id, place, "place", PLACE_WEIGHT, compounds=False))
            for word in morph.TOKEN.findall(place):  # a word of another unit's place is no unit's name
                used.setdefault(word.lower(), set()).add(unit.id)
        if unit.manager_name:  # the manager the writer has spoken to, by full name
            terms.append(Term(unit.id, unit.manager_name, "manager", NAME_WEIGHT, compounds=False))
        for keyword in unit.keywords:
            words = " ".join(morph.term_words(keyword))
            terms.append(Term(unit.id, keyword, "keyword", KEYWORD_WEIGHT / spread.get(words, 1)))
    for word, units in proper.items():
        if len(used[word]) == 1:  # a word in two units' names or places names neither
            terms.append(Term(next(iter(units)), word, "name", NAME_WEIGHT, capitalized=True, compounds=False))
        else:  # ... but an area several units serve ("Vasastan") says a little for each of them
            for unit_id in sorted(used[word]):
                terms.append(Term(unit_id, word, "area", AREA_WEIGHT, capitalized=True, compounds=False))
    return tuple(terms)


SUBJECT_FACTOR = 1.5  # the subject line is the writer's own summary of the matter
REPEAT_BONUS = 0.25  # each further mention of a unit's term, at most two


def unit_scores(text: str, org: Organization, language: str = "", subject_end: int = 0
                ) -> list[tuple[float, Unit, list[str]]]:
    """Every unit with its score and the cues that gave it, best first.

    All terms of all units are found first; where matches overlap, the longest
    wins ("Hemtjänst Plus AB" over the "hemtjänst" inside it, "boendestöd" over
    "boende"). Each term counts once per unit, with its weight.
    """
    indexed = morph.Text(text)
    finnish = language == "fi" or morph.looks_finnish(indexed.toks)
    matches: list[tuple[morph.Match, Term]] = []
    for term in unit_terms(org):
        for m in morph.find(term.term, indexed, compounds=term.compounds, capitalized=term.capitalized,
                            finnish=finnish):
            matches.append((m, term))
    kept = {id(m) for m in morph.longest(m for m, _ in matches)}
    background = _background(text)
    keyword_units = {t.unit_id for m, t in matches if t.kind == "keyword" and id(m) in kept and
                     not any(a <= m.start < b for a, b in background)}
    districts = {u.id for u in org.units if u.district is not None}
    not_care = {u.id for u in org.units if (d := org.department(u.department)) is not None and not d.care}
    named = [(o, t) for o, t in matches if t.kind in ("place", "name") and id(o) in kept]

    def weight(m: morph.Match, term: Term) -> tuple[float, str]:
        """The term's weight here, and why it is less when it is."""
        if any(a <= m.start < b for a, b in background):
            return term.weight * BACKGROUND_FACTOR, " (background)"
        if term.kind in ("place", "name"):
            before = text[max(0, m.start - 60): m.start]
            if _LANDMARK.search(before) and any(
                    t.kind == "keyword" and t.unit_id != term.unit_id and 0 < m.start - o.end <= 40
                    for o, t in matches):
                return term.weight * BACKGROUND_FACTOR, " (landmark)"
            # a unit named by its own place and where it is: "daglig verksamhet i Ektorp" (a place of one unit
            # followed by another's place); a generic service word before a place is not enough ("hemtjänsten
            # på Omsorgsgruppen" is the provider's)
            service = {t.unit_id for o, t in named if o.end < m.start and _WHERE.fullmatch(text, o.end, m.start)} \
                if term.kind == "place" or term.capitalized else set()
            if service and term.unit_id not in service:
                return term.weight * BACKGROUND_FACTOR, " (where another service is)"
            if term.unit_id in not_care and _LIVES.search(before):
                # where the writer lives ("jag bor på Skeppsholmen") is an address, not a preschool's or a park's
                return term.weight * BACKGROUND_FACTOR, " (where the writer lives)"
            if term.unit_id in districts and term.unit_id not in keyword_units and not _OFFICE.search(before):
                # an area's name alone is where someone lives or another service is, not the district's office
                return term.weight * BACKGROUND_FACTOR, " (area only)"
        if m.start < subject_end:
            return term.weight * SUBJECT_FACTOR, " (subject)"
        return term.weight, ""

    scores: dict[str, float] = {}
    cues: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    spans: dict[tuple[str, int, int], float] = {}  # two terms of one unit on the same words count once
    weighed = [(m, term, *weight(m, term)) for m, term in matches if id(m) in kept]
    repeats: dict[tuple[str, str], int] = {}
    for m, term, w, why in sorted(weighed, key=lambda mt: -mt[2]):
        if (term.unit_id, term.term) in seen and (term.unit_id, m.start, m.end) not in spans and not why:
            # the unit's term said again: what a text keeps coming back to is its matter
            n = repeats[(term.unit_id, term.term)] = repeats.get((term.unit_id, term.term), 0) + 1
            if n <= 2:
                scores[term.unit_id] += REPEAT_BONUS * min(term.weight, 1.0)
            continue
        if (term.unit_id, term.term) in seen or (term.unit_id, m.start, m.end) in spans:
            continue
        seen.add((term.unit_id, term.term))
        spans[(term.unit_id, m.start, m.end)] = w
        scores[term.unit_id] = scores.get(term.unit_id, 0.0) + w
        cues.setdefault(term.unit_id, []).append(f"{term.kind}:{term.term}{why}")
    scored = []
    for unit in org.units:
        if unit.id in scores:
            scored.append((scores[unit.id], unit, cues[unit.id]))
    scored.sort(key=lambda s: -s[0])
    return scored


# the organization's own service said in so many words ("stadens egen hemtjänst", "kommunal hemtjänst", "the
# city's own home care"): a provider named beside it is a comparison or an option, not the one complained about
OWN_SERVICE = re.compile(
    r"\b(?:stadens|kommunens|stadsdelens|stadsdelsförvaltningens|förvaltningens)\s+(?:egen\s+|egna\s+)?\w+|"
    r"\b(?:kommunal|kommunala|kommunalt|kommunens egen|stadens egen)\s+\w+|"
    r"\b(?:från|hos|av|i)\s+(?:staden|kommunen|stadsdelen|stadsdelsförvaltningen)\b|"
    r"\b(?:the\s+)?(?:city's|council's|municipality's|district's)\s+(?:own\s+)?\w+|"
    r"\bmunicipal\s+\w+|\b(?:from|by|with)\s+the\s+(?:city|council|municipality|district)\b|"
    r"\b(?:kaupungin|kunnan)\s+(?:oma\w*\s+)?\w+", re.I)


def _own_service_first(text: str, org: Organization, scored: list[tuple[float, Unit, list[str]]]
                       ) -> list[tuple[float, Unit, list[str]]]:
    """Where the text says the organization's own service and one of its own units of that service matched by
    keyword, the providers' scores count as background."""
    background = _background(text)  # "when she had the city's own home care last year" is the past
    said = next((m for m in OWN_SERVICE.finditer(text) if not any(a <= m.start() < b for a, b in background)), None)
    if not said or not any(u.provider is not None for _, u, _ in scored):
        return scored
    if not any(u.provider is None and any(c.startswith("keyword:") for c in cues) for _, u, cues in scored):
        return scored
    out = [(score * BACKGROUND_FACTOR, u, cues + [f"own service said ({said.group(0)})"]) if u.provider else
           (score, u, cues) for score, u, cues in scored]
    out.sort(key=lambda s: -s[0])
    return out


def _named_plainly(cues: Iterable[str]) -> bool:
    """Whether a unit's cues name it by its place or name, not as background or a landmark."""
    return any(c.startswith(("place:", "name:")) and c.partition(" (")[2] in ("", "subject)") for c in cues)


# the writer says the view is a general one, about policy, not about a service they or theirs receive
GENERAL_VIEW = re.compile(
    r"\b(?:en |min )?(?:allmän|generell|principiell)\w*\s+(?:åsikt|synpunkt|fråga|reflektion)|\bsom skattebetalare\b|"
    r"\bjag är (?:själv )?inte (?:själv )?(?:brukare|kund|anhörig)|\b(?:a |my )?general (?:view|opinion|comment|point)|"
    r"\bas a taxpayer\b|\bI am not (?:a )?(?:user|client|customer) myself|\byleinen mielipide|\bveronmaksajana\b",
    re.I)


@ahead("route_text")
def route_text(text: str, org: Organization, classification: Classification, unit_id: str | None = None,
               subject_end: int = 0) -> Routing:
    """Where a new case goes (pure); `unit_id` when the unit is already known (a form says so); the text's
    first `subject_end` characters are the subject line."""
    scored = _own_service_first(text, org, unit_scores(text, org, classification.language, subject_end))
    unit: Unit | None = None
    cues: list[str] = []
    if unit_id is not None and org.unit(unit_id) is not None:
        unit = org.unit(unit_id)
        cues = [f"unit:{unit_id} stated on the form"]
    elif scored and (general := GENERAL_VIEW.search(text)) and not _named_plainly(scored[0][2]):
        cues = [f"unit:none, a general view ({general.group(0)})"]
    elif scored and scored[0][0] >= org.classifier.min_unit_score:
        best = scored[0]
        tied = [s for s in scored if s[0] == best[0]]
        if len(tied) == 1:
            unit = best[1]
            cues = [f"unit:{unit.id} score {best[0]:.2g}"] + best[2][:6]
        else:
            cues = ["unit:tie between " + ", ".join(s[1].id for s in tied)]
    else:
        cues = ["unit:no unit matched"]
    dept = unit.department if unit else None
    department = org.department(dept)
    if "lex_sarah" in classification.flags and not (department is not None and not department.care):
        handler = org.lex_sarah.handler
        return Routing(unit.id if unit else None, dept, handler, "lex_sarah", tuple(cues), handler)
    if unit is None:
        return Routing(None, None, org.registrar, "triage", tuple(cues), None)
    if unit.provider is not None:
        return Routing(unit.id, dept, unit.provider.contact, "provider", tuple(cues), unit.manager)
    if unit.district is not None:
        return Routing(unit.id, dept, unit.district.contact, "district", tuple(cues), unit.manager)
    return Routing(unit.id, dept, unit.manager, "unit", tuple(cues), unit.manager)


def _area_words(texts: list[str]) -> set[str]:
    words: set[str] = set()
    for text in texts:
        for w in morph.TOKEN.findall(text):
            low = w.lower()
            words.add(low)
            if low.endswith("s") and len(low) > 4:  # "Norrmalms stadsdelsförvaltning": Norrmalm
                words.add(low[:-1])
    return words


@lru_cache(maxsize=32)
def own_areas(org: Organization) -> frozenset[str]:
    """The words of the organization's own names and its own units' names and places (not the areas of the
    other districts some of its units forward to)."""
    texts = [org.name, org.id]
    for unit in org.units:
        if unit.district is None:
            texts += [unit.name, *unit.places] + ([unit.provider.name] if unit.provider else [])
    return frozenset(_area_words(texts))


def elsewhere(text: str, org: Organization, routing: Routing) -> tuple[Routing, list[str]]:
    """Another district or municipality named as responsible (`nlp.districts`): the case is theirs. Where one of
    the organization's units forwards that matter to that district (its own keyword said) it stays with that unit;
    else no unit of ours fits, and it goes to triage to be passed on."""
    found = districts.responsible_elsewhere(text, own_areas(org))
    if not found:
        return routing, []
    areas = [a for a, _ in found]
    unit = org.unit(routing.unit_id) if routing.unit_id else None
    if unit is not None and unit.district is not None:
        theirs = _area_words([unit.district.name, unit.name, *unit.places])
        if any(a.lower() in theirs for a in areas) and any(c.startswith("keyword:") for c in routing.cues):
            return routing, [f"other_district:{areas[0]} (forwarded by {unit.id})"]
    tied = [a for a, n in found if n]
    # a unit of ours named by its place or name outweighs an area only said beside a service, or tied to one only
    # once; a service tied to our own area ("äldreomsorgen i Nacka") outweighs any
    ours = _named_plainly(routing.cues)
    if districts.own_named(text, own_areas(org)) or (ours and sum(n for _, n in found) < 2):
        return routing, []
    cue = f"other_district:{(tied or areas)[0]} named as responsible; no unit of ours fits"
    triage = Routing(None, None, org.registrar, "triage", routing.cues + (cue,), None)
    return triage, [cue]


class Route:
    name = "route"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        if mail.case is not None or mail.classification is None:
            return mail
        p = mail.parsed
        assert p is not None
        if mail.form is not None:
            text = mail.form.text
            routing = route_text(text, ctx.org, mail.classification, mail.form.unit_id)
        else:
            text = f"{p.subject}\n{p.words or p.text}"
            routing = route_text(text, ctx.org, mail.classification, subject_end=len(p.subject))
        routing, district_cues = elsewhere(text, ctx.org, routing)
        flags = list(mail.classification.flags)
        cues = mail.classification.cues + tuple(district_cues)
        if district_cues and routing.unit_id is None:
            flags.append("other_district")
            if "lex_sarah" in flags:  # care given by another organization: its own Lex Sarah, reached by forwarding
                flags.remove("lex_sarah")
                cues += ("lex_sarah:care of another organization; passed on to it",)
        if routing.handler_role == "provider" or (
            routing.unit_id and (u := ctx.org.unit(routing.unit_id)) and u.provider
        ):
            flags.append("external_provider")
        if routing.unit_id and (u := ctx.org.unit(routing.unit_id)) and u.district:
            flags.append("other_district")
        unit = ctx.org.unit(routing.unit_id)
        department = ctx.org.department(unit.department) if unit else None
        if "lex_sarah" in flags and department is not None and not department.care:
            # Lex Sarah is for care under SoL and LSS; a preschool's or a park's case is the unit's
            flags.remove("lex_sarah")
            cues += (f"lex_sarah:not care under SoL/LSS ({department.name}); handled by the unit",)
        classification = replace(mail.classification, flags=tuple(dict.fromkeys(flags)), cues=cues)
        return replace(mail, routing=routing, classification=classification)
