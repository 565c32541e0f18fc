"""Other organizations named as the one responsible: Stockholm's districts and Stockholm county's municipalities.

The lists are public knowledge: the city of Stockholm's thirteen district
administrations (stadsdelsförvaltningar, since 2020, and the older names of the
merged ones and "Söder") and the 26 municipalities of Stockholm county. An area
counts as responsible where a sentence ties it to a service or an office
("hemtjänst från Värmdö kommun", "the youth centre on Södermalm", "päiväkodissa
Kungsholmenilla"), not where it is only where the writer lives ("jag bor på
Kungsholmen"), grew up or moved from, nor in a sentence about the background.
The organization's own names are never another's.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mailflow.nlp import sarah

STOCKHOLM_DISTRICTS = (
    "Rinkeby-Kista", "Rinkeby", "Kista", "Spånga-Tensta", "Spånga", "Tensta", "Hässelby-Vällingby", "Hässelby",
    "Vällingby", "Bromma", "Kungsholmen", "Norrmalm", "Östermalm", "Södermalm", "Söder", "Enskede-Årsta-Vantör",
    "Enskede", "Årsta", "Vantör", "Skarpnäck", "Farsta", "Hägersten-Älvsjö", "Hägersten", "Liljeholmen", "Älvsjö",
    "Skärholmen",
)
COUNTY_MUNICIPALITIES = (
    "Botkyrka", "Danderyd", "Ekerö", "Haninge", "Huddinge", "Järfälla", "Lidingö", "Nacka", "Norrtälje", "Nykvarn",
    "Nynäshamn", "Salem", "Sigtuna", "Sollentuna", "Solna", "Stockholm", "Sundbyberg", "Södertälje", "Tyresö", "Täby",
    "Upplands Väsby", "Upplands-Bro", "Vallentuna", "Vaxholm", "Värmdö", "Österåker",
)

# a service, or the office of an organization
SERVICE = re.compile(
    r"\b(?:\w*hemtjänst\w*|\w*boende\w*|\w*omsorg\w*|\w*förskol\w*|\w*skola\w*|fritidsgård\w*|\w*park\w*|"
    r"daglig\w* verksamhet\w*|\w*verksamhet\w*|dagverksamhet\w*|socialtjänst\w*|försörjningsstöd\w*|"
    r"boendestöd\w*|korttid\w*|gruppbostad\w*|lss|kommun\w*|stad|staden|stadens|stadsdel\w*|förvaltning\w*|"
    r"home care|home help|care home|nursing home|preschool|school|youth cent\w+|youth club|park|playground|"
    r"social services|day cent\w+|group home|council|municipality|district|city|borough|"
    r"koti\w*|hoiva\w*|päiväko\w*|päivätoimin\w*|koulu\w*|kunta\w*|kunna\w*|kaupung\w*|puisto\w*|sosiaali\w*)\b",
    re.I)
# where the writer lives, grew up or moved from: not the service's place
_RESIDENCE = re.compile(
    r"\b(?:jag|vi)\s+(?:\w+\s+){0,2}(?:bor|bodde|är skriven|är skrivna|är folkbokförd)\s+(?:själv\s+)?(?:\w+\s+)?"
    r"(?:på|i)\s+$|"
    r"\b(?:uppvuxen|uppväxt|växte upp|född|flyttade|flyttat|flytta|grew up|born|moved|I live|we live|I'm living|"
    r"I am living|asun|asumme|kasvoin|muutin|muutimme)\s+(?:\w+\s+){0,5}(?:på|i|från|till|in|on|from|to|at)?\s*$",
    re.I)
# the background: what was before, what someone used to have
_BACKGROUND = re.compile(
    r"\b(?:innan dess|innan (?:jag|vi|hon|han|hen|de) |förut|tidigare|bodde|hade (?:jag|vi|hon|han) |used to|"
    r"previously|formerly|before that|before (?:I|we|she|he|they) |lived|aiemmin|ennen|"
    r"fungerar (?:det )?bra|fungerade (?:det )?bra|fungerat (?:det )?bra|har varit bra|varit jättebra|"
    r"inget att klaga|inte klaga på|"
    r"works well|worked well|has been good|have been good|no complaints|toimii hyvin|ei valittamista)\b", re.I)
_MOVED_FROM = re.compile(r"\b(?:flyttade|flyttat|flyttar|moved|muutin|muutimme|muutti)\b[^.!?\n]{0,40}?\b(?:från|from)\s+"
                         r"([^.!?\n]{0,60})", re.I)
_FI_CASE = r"(?:s|n|in|lla|llä|ssa|ssä|sta|stä|lle|ille|illa|issa|ista|iin|lta|ltä|n\s+kunta\w*)?"


# a comparison: the other area is where it works better or differently, not who is responsible
_COMPARISON = re.compile(
    r"\b(?:jämfört|jämför|till skillnad|precis som|liksom|som i|som på|än i|än på|som den|som de på|som de i|"
    r"där (?:min|mina|vår|våra|hans|hennes|deras) |compared|comparison|unlike|like in|like on|like the one|"
    r"like those|than in|than on|where (?:my|our|his|her|their) |kuin|verrattuna)\b", re.I)
_AT = r"(?:i|på|vid|från|hos|av|in|on|at|from|by|run by)"
_OFFICE_AFTER = re.compile(r"^(?:s)?\s+(?:kommun\w*|stad|stads\w*|stadsdel\w*|municipality|council|district|"
                           r"borough|kunta\w*|kunna\w*|kaupung\w*)\b|^(?:'s|s)\s+(?:own\s+|egen\s+|egna\s+)?"
                           + SERVICE.pattern[2:], re.I)


@lru_cache(maxsize=32)
def _pattern(own: frozenset[str]) -> re.Pattern[str] | None:
    """The other areas, the organization's own names left out: a Stockholm district's own city is its own."""
    in_stockholm = any(d.lower() in own for d in STOCKHOLM_DISTRICTS)
    names = [n for n in STOCKHOLM_DISTRICTS + COUNTY_MUNICIPALITIES
             if n.lower() not in own and not (in_stockholm and n == "Stockholm")]
    if not names:
        return None
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alts})({_FI_CASE})(?![\w-])")


def _tied(sentence: str, start: int, end: int, suffix: str) -> bool:
    """Whether an area is tied to a service or office: "hemtjänst från X", "fritidsgården på X", "X kommun",
    "X's home care", "päiväkodissa X:lla"."""
    before = sentence[max(0, start - 60): start]
    if re.search(SERVICE.pattern + rf"[^.!?]{{0,40}}?\b{_AT}\s+(?:\w+\s+)?$", before, re.I):
        return True
    if _OFFICE_AFTER.search(sentence[end: end + 40]):
        return True
    return bool(suffix and suffix.strip() not in ("s", "n") and SERVICE.search(sentence))


def own_named(text: str, own: frozenset[str]) -> bool:
    """Whether the text ties a service to the organization's own area ("äldreomsorgen i Nacka")."""
    for m in re.finditer(SERVICE.pattern + rf"\s+{_AT}\s+(\w+)", text, re.I):
        word = m.group(m.lastindex or 0).lower()
        if word in own or word.rstrip("s") in own:
            return True
    return False


def responsible_elsewhere(text: str, own: frozenset[str]) -> list[tuple[str, int]]:
    """The other districts and municipalities the text names as responsible for the matter (first first), each
    with how often it is tied to a service or office (0: only said in a sentence about a service)."""
    pattern = _pattern(own)
    if pattern is None or not pattern.search(text):
        return []
    former = {a.group(1).lower() for m in _MOVED_FROM.finditer(text) for a in pattern.finditer(m.group(1))}
    found: dict[str, int] = {}
    for sentence in sarah.sentences(text):
        if _BACKGROUND.search(sentence) or _COMPARISON.search(sentence):
            continue
        for m in pattern.finditer(sentence):
            name = m.group(1)
            if name.lower() in former or _RESIDENCE.search(sentence[max(0, m.start() - 50): m.start()]):
                continue
            if SERVICE.search(sentence):
                found[name] = found.get(name, 0) + _tied(sentence, m.start(), m.end(), m.group(2))
    return list(found.items())
