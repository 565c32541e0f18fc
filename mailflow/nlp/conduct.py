"""A complaint about one employee: someone singled out (`staff.mentions`) and what is said of that person.

A person singled out is about an employee's conduct when, in the sentence that
names them or the two after it (where "she"/"he" goes on about them):

- their conduct is described (`lexicon.CONDUCT`: rude or mild manners, neglect
  of their duties, a phone at work, lateness, and `CONDUCT_MORE` below);
- misconduct is described (`sarah.misconduct`: what the person did);
- their own words are quoted after a verb of saying ("hon sa 'han är så
  jobbig'"), as a writer does to show how someone spoke to them;
- or the complaint is aimed at them ("jag vill klaga på min förra handläggare, Jens").

And anywhere in the text, where someone is singled out, a request about a person
says the same ("prata med henne", "han ska inte komma hit mer", "talk to her").

Kind words said of the person in the sentence that names them take away the
weaker signs (their words quoted, a name and role in a complaint): "Undersköterskan
Greta är varm och kunnig" is praise in passing, not the complaint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailflow import lexicon
from mailflow.nlp import sarah, staff

# more of one person's conduct: how they do their work
CONDUCT_MORE = (
    "för fort", "i all hast", "slarvigt", "tappade bort", "tappat bort", "slarvade bort", "hoppar över",
    "hoppade över", "gör aldrig", "gjorde aldrig", "gör inte det", "smiter", "går tidigt", "gick tidigt",
    "mobilen", "mobiltelefon", "hörlurar", "ohyfsa", "oartig", "ofin", "ohyfsad", "otrevlig", "sa åt mig",
    "sa åt henne", "sa åt honom", "skällde", "läxade upp", "himlar", "fnyser", "skrattade åt", "skrattar åt",
    "låtit", "låter barnen", "tillät", "gav mig beslut", "utan motivering", "inte lämnat", "påstod", "påstår",
    "kallade mig", "kallar mig", "överbeskydd", "ignorerar", "struntade", "vägrade", "nekade",
    "cuts me off", "cut me off", "interrupt", "rushes", "rushed", "headphones", "earphones", "her phone",
    "his phone", "told me to", "told him to", "told her to", "lost my", "lost his", "lost her", "let the children",
    "allowed the", "refused", "scolded", "snapped at", "raised her voice", "raised his voice",
    "inte svarat", "lade på", "la på luren", "ställer in", "ställde in", "avbokar", "avbokade", "sover på",
    "sov på", "sover under", "hung up", "cancel", "smokes", "smoking", "sleeps on", "slept on", "falls asleep",
    "timme sent", "timmar sent", "minuter sent", "för sent", "dyker upp sent", "svär ", "svor ", "olämplig",
    "hjälper inte", "hjälpte inte", "kör iväg", "körde iväg", "låna min", "låna pengar", "ifrån honom", "ifrån henne",
    "turns up late", "turning up late", "arrives late", "comes late", "swears", "inappropriate", "does not help",
    "doesn't help", "did not help", "didn't help", "drives off", "drove off", "not replied", "hasn't replied",
    "not responded", "hasn't responded", "never replied", "ignores my", "ignored my", "away from him",
    "away from her",
    "puhelimessa", "kiireell", "keskeytti", "kieltäytyi", "hukkasi",
    # asleep at work, hanging up (also with the verb before its subject: "sedan lade hon på"), talking down
    "sovande", "sov i", "sover i", "asleep", "sleeping", "nukkui", "lade hon på", "lade han på", "la hon på",
    "la han på", "lägger hon på", "lägger han på", "hung up on", "som till ett barn", "som ett litet barn",
    "like a child", "like a small child", "like to a child", "like to a small child", "kuin lapselle",
) + sarah.INSULTS

# a request about a person: what a writer asks for when one employee is the matter
REQUESTS = (
    "prata med henne", "prata med honom", "prata med hen ", "tala med henne", "tala med honom",
    "säga till henne", "säga till honom", "ta upp det med henne", "ta upp det med honom", "pratar med henne",
    "pratar med honom", "slippa honom", "slippa henne", "slipper honom", "slipper henne", "inte komma dit mer",
    "inte komma hit mer", "inte kommer dit mer", "inte kommer hit mer", "inte komma till pappa", "inte komma till mamma",
    "inte får arbeta med", "inte ska arbeta med", "inte får jobba med", "inte ska jobba med", "inte ha henne",
    "inte ha honom", "byta ut henne", "byta ut honom", "vill inte att hon", "vill inte att han", "vill inte att hen",
    "ska inte behöva ha", "byta handläggare", "byta socialsekreterare", "byta kontaktperson", "byta boendestödjare",
    "ny handläggare", "annan handläggare", "talk to her", "talk to him", "speak to her", "speak to him",
    "have a word with her", "have a word with him", "don't want her", "don't want him", "do not want her",
    "do not want him", "keep her away", "keep him away", "should not work with", "not work with",
    "another caseworker", "a different caseworker", "puhuisi hänen kanssaan", "puhukaa hänen kanssaan",
    "en halua häntä", "ei enää tule",
    # the person meant without a name: "prata med just den personen", "talk with this person"
    "med den personen", "med den här personen", "med just den personen", "with this person", "with that person",
    "to this person", "to that person", "tämän henkilön kanssa",
)
# a request that the person no longer come, be sent or work with someone ("att hon inte skickas till honom",
# "att han inte jobbar med mamma", "that she is not sent to him again")
_NOT_AGAIN = re.compile(
    r"\b(?:att|that|ettei|että)\s+(?:hon|han|hen|she|he|hän|den personen|this person)\s+(?:\w+\s+)?"
    r"(?:inte|not|no longer|inte längre|aldrig|never|enää)\s+(?:\w+\s+)?(?:skickas|skickar|kommer|komma|får komma|"
    r"ska komma|jobbar|jobba|arbetar|arbeta|sent|come|comes|coming|work|works|visit|tule|lähetetä|työskentele)\b|"
    # "den mannen ska inte in till mamma igen", "that man must not come back"
    r"\b(?:den|denna|det|that|this)\s+(?:\w+(?:en|an|n)|man|woman|person|carer|worker)\s+(?:ska|får|bör|should|must|"
    r"may)\s+(?:inte|aldrig|not|never)\s+(?:\w+\s+)?(?:in|komma|komma in|tillbaka|skickas|come|enter|visit|"
    r"be sent|back)\b",
    re.I)
# what nobody did is no one person's act ("utan att någon märkte", "ingen kom")
_NOBODY = re.compile(r"\b(?:ingen|någon|nobody|no one|anyone|kukaan)\b")
# a complaint aimed at the person named right after it
_AIMED = re.compile(r"\b(?:klaga[rt]?|klagomål|anmäla|anmälan|complain(?:ing|t|s)?|valittaa|valitus)\s+"
                    r"(?:\w+\s+){0,1}(?:på|om|mot|över|about|against|of|on)\s+(?!att\b|that\b|the way\b)"
                    r"(?:[\w,]+\s+){0,3}$", re.I)
# a request about the person named right after it ("prata med fritidsledaren Jocke", "have a word with the driver")
_ASKED = re.compile(r"\b(?:prata|tala|pratar|talar|snacka|talk|speak|have a word|puhu\w*)\s+(?:med|with|to|kanssa)\s+"
                    r"(?:[\w,]+\s+){0,2}$", re.I)
# their own words quoted after a verb of saying
_QUOTED = re.compile(
    r"\b(?:sa|sade|säger|sagt|säga|svarade|svarar|kallade|kallar|skrek|skriker|frågade|said|says|say|told|tells|"
    r"called|calls|replied|answered|shouted|sanoi|sanoo|vastasi|huusi)\b[^.!?\"“”«»]{0,70}[\"“”«»]", re.I)
# the staff member who tells the writer what happened ("enligt en av personalen", "en av handledarna sa att")
_REPORTER_BEFORE = re.compile(r"\b(?:enligt|according to|frågade|asked|ringde|called|talked to|talked with|"
                              r"pratade med|talade med|spoke to|spoke with|sa|sade|said)\s+(?:\w+\s+){0,2}$", re.I)
_REPORTER_AFTER = re.compile(r"\s*,?\s*(?:(?:som|who|which)\s+)?(?:sa|sade|säger|berättade|förklarade|svarade|said|"
                             r"says|told me|explained|replied|sanoi|kertoi)\b", re.I)
# the staff a complaint about "how we were answered" is rarely about as a person: managers answering for the unit
_MANAGERS = ("chef", "manager", "rektor", "principal", "esimies", "johtaja")
_KIND = ("snäll", "varm", "kunnig", "duktig", "fantastisk", "underbar", "jättebra", "omtänksam", "gullig", "trevlig",
         "jättetrevlig", "lovely", "kind ", "nice", "friendly", "wonderful", "great", "helpful", "ihana",
         "ystävällinen", "mukava") + lexicon.PRAISE


_HE_SHE = re.compile(r"^\W*(?:\w+\s+){0,4}?(?:han|hon|hen|he|she|hän)\b", re.I)


def _told_of(text: str, start: int, ahead: int = 5) -> str:
    """The sentences within `ahead` after the one at an offset that start with "han"/"hon"/"he"/"she" as subject
    (within their first five words)."""
    parts = [(m.start(), m.end()) for m in re.finditer(r"[^.!?\n]+[.!?]?", text)]
    at = next((i for i, (a, b) in enumerate(parts) if a <= start < b), None)
    if at is None:
        return ""
    return " ".join(text[a:b] for a, b in parts[at + 1: at + 1 + ahead] if _HE_SHE.match(text[a:b]))


def _window(text: str, start: int, sentences: int) -> str:
    """The sentence around an offset and the ones after it, `sentences` in all."""
    bounds = [0] + [m.end() for m in sarah.SENTENCE_BREAK.finditer(text)] + [len(text)]
    for n in range(len(bounds) - 1):
        if bounds[n] <= start < bounds[n + 1]:
            return text[bounds[n]: bounds[min(n + sentences, len(bounds) - 1)]]
    return ""


_NOT = re.compile(r"\b(?:aldrig|inte|icke|ej|inget|ingen|never|not|no|isn't|wasn't|ei|eikä)\s+(?:\w+\s+)?$", re.I)


def _affirmed(window: str, words: list[str]) -> list[str]:
    """The words not said with a negation right before them ("hon är aldrig otrevlig")."""
    if not words:
        return words
    flat = " ".join(window.lower().split())
    kept = []
    for word in words:
        needle, starts, i = word.strip(), [], -1
        while (i := flat.find(needle, i + 1)) >= 0:
            if i == 0 or not flat[i - 1].isalnum():
                starts.append(i)
        if not starts or any(not _NOT.search(flat[max(0, i - 30): i]) for i in starts):
            kept.append(word)
    return kept


# words of manner that are neither good nor bad in themselves: "fint bemötande" is praise, "otrevligt bemötande"
# a complaint
NEUTRAL = ("bemötande", "bemötte", "tonen", "tonfall", "attityd", "tone", "attitude")
_UNKIND = tuple(w for w in lexicon.COMPLAINT if w.strip() not in NEUTRAL)


def _kindly_said(window: str, words: list[str]) -> list[str]:
    """The words left when the neutral words of manner are said kindly and nothing unkind is said beside
    them ("ett fantastiskt fint bemötande")."""
    if not any(w.strip() in NEUTRAL for w in words):
        return words
    unkind = [w for w in words if w.strip() not in NEUTRAL] or lexicon.matches(window, _UNKIND)
    if unkind or not lexicon.matches(window, _KIND):
        return words
    return [w for w in words if w.strip() not in NEUTRAL]


def prepare() -> None:
    """Compile the lists once (the first message would otherwise pay for it)."""
    for entries in (lexicon.CONDUCT + CONDUCT_MORE, REQUESTS, _KIND, lexicon.COMPLAINT + lexicon.CONDUCT, _UNKIND):
        lexicon.matches("", entries)
    sarah.prepare()


# transport bought from a firm (a taxi, färdtjänst): its driver late is the timetable's matter
_HIRED_TRANSPORT = re.compile(r"\b(?:taxi\w*|färdtjänst\w*|transportbolag\w*|bussbolag\w*|cab|paratransit|taksi\w*)\b",
                              re.I)
_DRIVER = re.compile(r"(?:chaufför|förar|driver|kuljettaj)", re.I)
_TIMING = re.compile(r"\b(?:sent|sen|försen|late|delay|myöhä|odot|vänta|wait)", re.I)


def employee_cues(body: str, *, exclude: Iterable[str] = (), writer: Iterable[str] = (),
                  finnish: bool = False, strong_only: bool = False) -> list[str]:
    """Why a text concerns one employee, as cues ("about_employee:Jonna (kort i tonen)"); empty if it does not.

    With `strong_only`, only what the person did or said and a request about them count (a
    text that is not otherwise a complaint becomes one by these alone).
    """
    found: list[str] = []
    people = staff.mentions(body, exclude=exclude, not_people=writer, finnish=finnish)
    hired = _HIRED_TRANSPORT.search(body)
    for mention in people:
        window = _window(body, mention.start, 2)
        own = _window(body, mention.start, 1)
        kind = lexicon.matches(own, _KIND)
        # kind words in the sentence that names them: what follows in it is about something else
        # ("lovely, especially Derek, but the bus is always late")
        told = window[len(own):] if kind else window
        said = _kindly_said(told, _affirmed(told, lexicon.matches(told, lexicon.CONDUCT + CONDUCT_MORE)))
        if not said and not kind and mention.how != "one of":
            # "Jag har en handläggare som heter Dennis. ... Han svarar inte på sms.": the sentences after that
            # go on about them as "han"/"hon"
            later = _told_of(body, mention.start)
            said = _affirmed(later, lexicon.matches(later, lexicon.CONDUCT + CONDUCT_MORE))
        if said and hired and _DRIVER.match(mention.text) and all(_TIMING.search(w) for w in said):
            continue  # a hired taxi's driver late: the transport's timetable, not one person's conduct
        if said:
            found.append(f"about_employee:{mention.text} ({', '.join(said[:2])})")
            continue
        before = body[max(0, mention.start - 60): mention.start]
        if _AIMED.search(before):
            found.append(f"about_employee:{mention.text} (the complaint is aimed at them)")
            continue
        if _ASKED.search(before):
            found.append(f"about_employee:{mention.text} (someone is asked to speak to them)")
            continue
        if _REPORTER_BEFORE.search(before) or _REPORTER_AFTER.match(body, mention.end):
            continue  # the staff member who told the writer what happened: the source, not the subject
        # what a person named alone did is said in the sentence that names them
        did = [c for c in sarah.misconduct(_window(body, mention.start, 1 if mention.how == "name" else 2))
               if not _NOBODY.search(c.words)]
        if did:
            found.append(f"about_employee:{mention.text} ({did[0]})")
            continue
        if strong_only:
            continue
        near = body[max(0, mention.start - 30): mention.end].lower()
        manager = any(w in near for w in _MANAGERS)
        named = mention.how in ("name", "role+name")
        if named and not kind and not manager and _QUOTED.search(window):
            found.append(f"about_employee:{mention.text} (their words quoted)")
        elif not kind and not manager and mention.how == "role+name" and lexicon.said_at(body, mention.start,
                                                                         lexicon.COMPLAINT + lexicon.CONDUCT):
            found.append(f"about_employee:{mention.text} (named by role and name in a complaint)")
    if people:
        asked = lexicon.matches(body, REQUESTS)
        if asked:
            found.append(f"about_employee:{asked[0]} (asked about {people[0].text})")
        elif (away := _NOT_AGAIN.search(body)) is not None:
            found.append(f"about_employee:{away.group(0)} (asked about {people[0].text})")
    return list(dict.fromkeys(found))
