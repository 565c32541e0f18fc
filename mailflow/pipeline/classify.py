"""classify: kind (complaint, opinion, praise), flags and language, with the cues that fired.

Nacka's rule governs the kind: any dissatisfaction that needs a response is a
complaint, also when it is phrased as a question or wrapped in praise.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from mailflow import language as languages
from mailflow import lexicon
from mailflow.config import Organization
from mailflow.model import Classification, Kind, Mail, Parsed
from mailflow.nlp import conduct, morph, sarah
from mailflow.pipeline import Context
from mailflow.pipeline.ahead import ahead

_NOREPLY = ("noreply", "no-reply", "donotreply", "do-not-reply", "ingen-svar", "inget-svar")
_ANON_DOMAINS = ("anonymousemail.me", "guerrillamail.com", "sharklasers.com", "mailinator.com",
                 "10minutemail.com", "anonaddy.me", "temp-mail.org", "yopmail.com")


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ANON_NAMES = re.compile(r"^\W*(?:anonym|anonymous|anonyymi|nimetön|okänd|unknown|ingen|no name|utan namn)\b", re.I)


def has_reply_address(p: Parsed) -> tuple[bool, str]:
    """Whether the writer can be answered as a known person, and the cue if not.

    No From, a no-reply or anonymizing address (unless Reply-To gives a usable one),
    or a display name that says "Anonym"/"Anonymous" all make a case anonymous.
    """
    if p.from_ is None:
        return False, "anonymous:no From address"
    if _ANON_NAMES.match(p.from_.name or ""):
        return False, f"anonymous:display name ({p.from_.name})"
    usable = [a for a in (p.from_,) + tuple(p.reply_to) if _usable(a.email)]
    if not usable:
        local, _, domain = p.from_.email.partition("@")
        if domain in _ANON_DOMAINS or any(domain.endswith("." + d) for d in _ANON_DOMAINS):
            return False, "anonymous:anonymizing service"
        return False, f"anonymous:no-reply address ({local})"
    if "anonym" in p.from_.email.partition("@")[0] and not p.reply_to:
        return False, "anonymous:anonymizing address"
    return True, ""


def reply_address(p: Parsed) -> tuple[bool, str]:
    """`has_reply_address`, and a sender who cannot be answered (a no-reply work address) but gives a usable
    address in the text ("svara till min privata adress: ...") can be: the cue says so."""
    ok, cue = has_reply_address(p)
    if ok or p.from_ is None or _ANON_NAMES.match(p.from_.name or ""):
        return ok, cue
    if any(_usable(a.lower()) for a in _EMAIL.findall(p.words or p.text)):
        return True, f"anonymous:not so, a reply address in the text ({cue.partition(':')[2]})"
    return ok, cue


def _usable(email: str) -> bool:
    local, _, domain = email.partition("@")
    return not any(n in local for n in _NOREPLY) and domain not in _ANON_DOMAINS and \
        not any(domain.endswith("." + d) for d in _ANON_DOMAINS)


# someone else's wish to stay anonymous ("grannen vill vara anonym"), not the writer's
_THIRD_PERSON_WISH = re.compile(
    r"\b(?:hon|han|hen|de|dom|grannen|grannarna|she|he|they|hän|he|neighbour|neighbor|others|andra)\s+"
    r"(?:\w+\s+){0,2}(?:vill|önskar|ville|wants?|wished|wish|would like|haluaa|halusi)\b", re.I)


@lru_cache(maxsize=32)
def org_words(org: Organization) -> frozenset[str]:
    """The words of the organization's own names (units, places, providers, districts, departments):
    never a person's name, though some are spelled like one ("Klara", "Sofia")."""
    found: set[str] = set()
    for text in [org.name] + [d.name for d in org.departments]:
        found.update(morph.TOKEN.findall(text))
    for unit in org.units:
        for text in (unit.name, *unit.places, *[c.name for c in (unit.provider, unit.district) if c]):
            found.update(morph.TOKEN.findall(text))
    return frozenset(w.lower() for w in found)


def employee_cues(body: str, org: Organization, writer: tuple[str, ...] = (), strong_only: bool = False) -> list[str]:
    """Why a complaint concerns one employee (`nlp.conduct`): someone singled out, and their conduct, their
    misconduct, their words quoted, the complaint aimed at them, or a request about them."""
    finnish = morph.looks_finnish(morph.tokens(body))
    return conduct.employee_cues(body, exclude=org_words(org), writer=writer, finnish=finnish,
                                 strong_only=strong_only)


@lru_cache(maxsize=32)
def care_terms(org: Organization) -> tuple[str, ...]:
    """Words that place a text in care under SoL or LSS: the built-in ones, and the keywords and places of
    the organization's units in a care department."""
    own: list[str] = []
    for unit in org.units:
        dept = org.department(unit.department)
        if dept is None or dept.care:
            own += [w.lower() for w in (*unit.keywords, *unit.places) if len(w) >= 4]
    return tuple(dict.fromkeys(lexicon.CARE + tuple(own)))


@lru_cache(maxsize=32)
def school_terms(org: Organization) -> tuple[str, ...]:
    """Words of school, preschool and the other services outside SoL and LSS: built-in, and the keywords of
    units in a department that is not care."""
    own: list[str] = []
    for unit in org.units:
        dept = org.department(unit.department)
        if dept is not None and not dept.care:
            own += [w.lower() for w in unit.keywords if len(w) >= 4]
    return tuple(dict.fromkeys(lexicon.SCHOOL + tuple(own)))


def lex_sarah(body: str, org: Organization, kind: Kind) -> tuple[list[str], bool]:
    """The Lex Sarah cues of a text and whether they make a suspected misconduct in care (SoL/LSS).

    The legal words count where a sentence asserts them. The kinds of misconduct
    (`nlp.sarah`) count in a text about care; in a text that names no service at
    all only what is said outright does; outside care (a preschool, a park)
    nothing does: the unit handles it. In praise, or where the writer calls it a
    small matter, only the grave kinds (abuse, theft, restraint) count.
    """
    asserted, denied = sarah.legal_terms(body, tuple(k.lower() for k in org.lex_sarah.keywords))
    found = sarah.misconduct(body)
    weak = [] if found else lexicon.matches(body, lexicon.WEAK_LEX_SARAH)
    cues = [f"lex_sarah:{w} (not asserted)" for w in denied[:2]]
    if not (asserted or found or weak):
        return cues, False
    care = lexicon.matches(body, care_terms(org))
    if not care:
        school = lexicon.matches(body, school_terms(org))
        first = (asserted + [str(c) for c in found] + weak)[0]
        if school:
            return cues + [f"lex_sarah:not care under SoL/LSS (school: {school[0]}); {first} handled by the unit"], \
                False
        found = [c for c in found if c.alone]  # no service named: only what is said outright
        if not (asserted or found):
            return cues + [f"lex_sarah:no word of care; {first} not enough"], False
    if weak and not lexicon.matches(body, lexicon.CARE):  # a weak sign needs care said in plain words
        weak = []
    handled = sarah.handled(body)
    if kind is Kind.PRAISE or lexicon.matches(body, sarah.MINOR) or handled:
        # thanks for how it was handled, "nothing serious", or the staff did right: only grave misconduct counts
        found = [c for c in found if c.kind in sarah.GRAVE]
        weak = []
        if handled and not (asserted or found):
            cues.append(f"lex_sarah:handled by the staff ({handled}); only grave misconduct counts")
    fired = asserted + [str(c) for c in found] + weak
    if fired:
        where = [f"lex_sarah:care ({care[0]})"] if care else []
        return cues + [f"lex_sarah:{w}" for w in fired[:6]] + where, True
    return cues, False


def writer_names(p: Parsed) -> tuple[str, ...]:
    """The writer's and the greeted person's names: never the employee a complaint is about."""
    from mailflow.pipeline.deidentify import greeting_names, name_parts, signature_names

    own = p.own_text or p.text
    display = p.from_.name if p.from_ else ""
    return name_parts(display) + signature_names(own) + greeting_names(own)


# a form's field answered no ("Vill vara anonym: nej", "Anonymous: no"): no wish for anonymity
_ANON_ANSWERED = re.compile(r"\b(?:anonym\w*|nimetön\w*)\s*[:?]\s*(?:nej|no|ei|false)\b", re.I)


def _without_answered_no(body: str) -> str:
    """The text without the lines of a form field on anonymity answered no."""
    low = body.lower()
    if "anonym" not in low and "nimetön" not in low:
        return body
    for m in reversed(list(_ANON_ANSWERED.finditer(body))):
        start = body.rfind("\n", 0, m.start()) + 1
        end = body.find("\n", m.end())
        body = body[:start] + body[end if end >= 0 else len(body):]
    return body


# signed with a word of anonymity as the last line ("Anonym", "En anonym anhörig", "Anonymous parent")
_ANON_SIGNED = re.compile(r"(?:^|\n)\s*((?:en |an )?(?:anonym|anonymous|anonyymi|nimetön)\w*(?: \w+){0,2})\s*\Z",
                          re.I)
# asked for in other words: keep it anonymous, writing without a name, a reply that will not be read
_ANON_ASKED = re.compile(
    r"\b(?:keep|håll|hålla|behåll|pidä|pitäkää)\s+(?:\w+\s+){0,2}(?:anonym\w*|nimettöm\w*)|"
    r"\b(?:skriver|skickar|writing|write|kirjoitan)\s+(?:\w+\s+){0,2}(?:utan (?:mitt )?namn|without (?:my |a )?name|"
    r"ilman nimeä)|"
    r"\b(?:jag kommer inte att|jag tänker inte|I will not|I won't|I'm not going to|en aio)\s+(?:\w+\s+)?"
    r"(?:svara|läsa svar|reply|answer|read (?:any )?repl\w*|vastata)\b", re.I)

# the words that name complaining itself
_META = ("klagomål", "klaga", "klagar", "klagan", "complain", "complaint", "valitus", "valittaa", "valitan")
_META_RE = re.compile(r"\b(?:klagomål\w*|klaga[rnt]?|klagan|complain\w*|valit\w*)", re.I)
# said as "not a complaint" ("det är inget klagomål", "I'm not complaining", "ei ole valitus"), or a label in quotes
# ("a 'Complaints and feedback' button")
_NEGATED_META = re.compile(r"\b(?:inget|ingen|inte|inte något|inte ett|no|not|not a|never|ei|en)\s+(?:\w+\s+){0,2}$",
                           re.I)


# "wrong" said as the writer's view ("jag tycker att det är fel att ...", "I think it is wrong") or of anything at all
# ("man skriver bara när något är fel"): a view or a generality, not dissatisfaction with what happened
_VIEW_WORDS = ("fel ", "wrong", "väärin")
_AS_VIEW = re.compile(r"\b(?:jag|vi)\s+(?:\w+\s+){0,1}(?:tycker|anser|menar|tror)\b|"
                      r"\bI\s+(?:\w+\s+){0,1}(?:think|believe|feel)\b|\bmielestäni\b|\b(?:när|om|if|when|kun|jos)\s+(?:något|nånting|någonting|something|anything|"
                      r"jokin|jotain)\b", re.I)


def _said_as_view(body: str) -> set[str]:
    """The view words ("fel", "wrong") that every time they stand are in a sentence of the writer's view or a
    generality."""
    said: set[str] = set()
    viewed: set[str] = set()
    for sentence in sarah.sentences(body):
        hits = lexicon.matches(sentence, _VIEW_WORDS)
        if hits:
            (viewed if _AS_VIEW.search(sentence) else said).update(hits)
    return viewed - said


def _not_complaining(body: str) -> set[str]:
    """The words of complaining that every time they stand are denied or quoted as a label."""
    said: set[str] = set()
    denied: set[str] = set()
    for m in _META_RE.finditer(body):
        entries = {e for e in _META if m.group(0).lower().startswith(e)}
        before = body[max(0, m.start() - 40): m.start()]
        quoted = before.count('"') % 2 == 1 or before.count("“") > before.count("”")
        (denied if _NEGATED_META.search(before) or quoted else said).update(entries)
    return denied - said


@ahead("classify_text")
def classify_text(text: str, subject: str, org: Organization, writer: tuple[str, ...] = ()) -> Classification:
    """The kind, flags and language of a writer's words (pure; flags from text only).

    Strong signs of dissatisfaction make a complaint whatever else is said
    (Nacka's rule). Weak ones ("tyvärr", "orolig") count only when nothing
    kinder or more constructive is said. Lex Sarah signs in plain words count;
    the weak ones only with care around them and not inside praise.
    """
    body = f"{subject}\n{text}"
    c = org.classifier
    denied = _not_complaining(body)
    complaint = [w for w in lexicon.matches(body, lexicon.COMPLAINT + c.complaint) if w not in denied]
    weak_complaint = {w.strip() for w in lexicon.WEAK_COMPLAINT} | {w.strip() for w in _said_as_view(body)}
    strong = [w for w in complaint if w not in weak_complaint]
    opinion = lexicon.matches(body, lexicon.OPINION + c.opinion)
    praise = lexicon.matches(body, lexicon.PRAISE + c.praise)
    cues: list[str] = []
    if strong:
        kind = Kind.COMPLAINT
        cues += [f"complaint:{w}" for w in strong[:6]]
        if praise:
            cues.append("praise carrying a complaint counts as a complaint")
        elif opinion:
            cues.append("a suggestion carrying a complaint counts as a complaint")
    elif praise and len(praise) > len(opinion):
        kind = Kind.PRAISE
        cues += [f"praise:{w}" for w in praise[:6]]
    elif opinion:
        kind = Kind.OPINION
        cues += [f"opinion:{w}" for w in opinion[:6]]
    elif complaint:
        kind = Kind.COMPLAINT
        cues += [f"complaint:{w} (weak)" for w in complaint[:6]]
    else:
        kind = Kind.COMPLAINT
        cues.append("complaint:default (no cue; a message to the complaints address needs a response)")

    flags: list[str] = []
    sarah_cues, is_sarah = lex_sarah(body, org, kind)
    if is_sarah:
        flags.append("lex_sarah")
        cues += sarah_cues
        if kind is not Kind.COMPLAINT:
            kind = Kind.COMPLAINT
            cues.append("complaint:a suspected misconduct in care is always a complaint")
    else:
        cues += sarah_cues
    direct = lexicon.matches(body, lexicon.ABOUT_EMPLOYEE_DIRECT + c.about_employee)
    if kind is Kind.COMPLAINT:
        singled = employee_cues(body, org, writer)
    else:  # what one employee did or said, or a request about them, makes a complaint of a suggestion or praise
        singled = employee_cues(body, org, writer, strong_only=True)
        if singled or direct:
            cues.append(f"complaint:about one employee ({kind.value} words aside)")
            kind = Kind.COMPLAINT
    if direct or singled:
        flags.append("about_employee")
        cues += [f"about_employee:{w}" for w in direct[:3]]
        cues += singled[:3]
    anon = lexicon.matches(_without_answered_no(body), lexicon.ANONYMOUS + c.anonymous)
    if not anon and (m := _ANON_SIGNED.search(text)):
        anon = [f"signed {m.group(1).strip()}"]
    if not anon and (m := _ANON_ASKED.search(body)):
        anon = [m.group(0)]
    if anon and _THIRD_PERSON_WISH.search(body) and not re.search(
            r"\b(?:jag|i|minä|me|vi)\s+(?:\w+\s+){0,2}(?:vill|önskar|want|wish|would like|haluan|haluamme)\s+"
            r"(?:\w+\s+){0,3}(?:anonym|nimettöm)", body, re.I):
        cues.append(f"anonymous:not the writer's wish ({anon[0]})")
        anon = []
    if anon:
        flags.append("anonymous")
        cues.append(f"anonymous:{anon[0]}")
    lang, lang_cue = languages.detect(body, org.language, org.languages)
    cues.append(lang_cue)
    return Classification(kind=kind, flags=tuple(flags), language=lang, cues=tuple(cues))


class Classify:
    name = "classify"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        if mail.case is not None:  # a message on an existing case keeps the case's classification
            return mail
        p = mail.parsed
        assert p is not None
        if mail.form is not None:  # a registration form: its text, its stated kind and anonymity
            form = mail.form
            result = classify_text(form.text, "", ctx.org)
            if form.kind is not None and form.kind is not result.kind:
                result = replace(result, kind=form.kind, cues=(f"{form.kind.value}:stated on the form",) + result.cues)
            if form.anonymous and "anonymous" not in result.flags:
                result = replace(result, flags=result.flags + ("anonymous",),
                                 cues=result.cues + ("anonymous:no contact on the form",))
            return replace(mail, classification=result)
        result = classify_text(p.words or p.text, p.subject, ctx.org, writer_names(p))
        reachable, cue = reply_address(p)
        if reachable and cue:
            result = replace(result, cues=result.cues + (cue,))
        if not reachable and "anonymous" not in result.flags:
            result = replace(result, flags=result.flags + ("anonymous",), cues=result.cues + (cue,))
        return replace(mail, classification=result)
