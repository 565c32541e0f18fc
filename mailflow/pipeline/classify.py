"""classify: kind (complaint, opinion, praise), flags and language, with the cues that fired.

Nacka's rule governs the kind: any dissatisfaction that needs a response is a
complaint, also when it is phrased as a question or wrapped in praise.
"""

from __future__ import annotations

from dataclasses import replace

from mailflow import language as languages
from mailflow import lexicon
from mailflow.config import Organization
from mailflow.model import Classification, Kind, Mail, Parsed
from mailflow.pipeline import Context

_NOREPLY = ("noreply", "no-reply", "donotreply", "do-not-reply", "ingen-svar", "inget-svar")
_ANON_DOMAINS = ("anonymousemail.me", "guerrillamail.com", "sharklasers.com", "mailinator.com",
                 "10minutemail.com", "anonaddy.me", "temp-mail.org", "yopmail.com")


def has_reply_address(p: Parsed) -> tuple[bool, str]:
    """Whether the writer can be answered, and the cue if not."""
    if p.from_ is None:
        return False, "anonymous:no From address"
    local, _, domain = p.from_.email.partition("@")
    if any(n in local for n in _NOREPLY):
        return False, f"anonymous:no-reply address ({local})"
    if domain in _ANON_DOMAINS:
        return False, "anonymous:anonymizing service"
    return True, ""


def classify_text(text: str, subject: str, org: Organization) -> Classification:
    """The kind, flags and language of a writer's words (pure; flags from text only).

    Strong signs of dissatisfaction make a complaint whatever else is said
    (Nacka's rule). Weak ones ("tyvärr", "orolig") count only when nothing
    kinder or more constructive is said. Lex Sarah signs in plain words count;
    the weak ones only with care around them and not inside praise.
    """
    body = f"{subject}\n{text}"
    c = org.classifier
    complaint = lexicon.matches(body, lexicon.COMPLAINT + c.complaint)
    weak_complaint = {w.strip() for w in lexicon.WEAK_COMPLAINT}
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
    elif praise and len(praise) >= len(opinion):
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
    sarah = lexicon.matches(body, lexicon.LEX_SARAH + lexicon.WEAK_LEX_SARAH + org.lex_sarah.keywords)
    weak_sarah = {w.strip() for w in lexicon.WEAK_LEX_SARAH}
    strong_sarah = [w for w in dict.fromkeys(sarah) if w not in weak_sarah]
    care = lexicon.matches(body, lexicon.CARE)
    school = lexicon.matches(body, lexicon.SCHOOL)
    if sarah and school and not care:
        cues.append(f"lex_sarah:not care under SoL/LSS (school: {school[0]}); {sarah[0]} handled by the unit")
    elif strong_sarah or (sarah and care and kind is not Kind.PRAISE):
        flags.append("lex_sarah")
        cues += [f"lex_sarah:{w}" for w in (strong_sarah or sarah)[:6]]
        if kind is not Kind.COMPLAINT:
            kind = Kind.COMPLAINT
            cues.append("complaint:a suspected misconduct in care is always a complaint")
    if kind is Kind.COMPLAINT:
        direct = lexicon.matches(body, lexicon.ABOUT_EMPLOYEE_DIRECT + c.about_employee)
        mentioned = lexicon.matches(body, lexicon.ABOUT_EMPLOYEE) + lexicon.named_staff(body)
        conduct = [(m, w) for m in mentioned if (w := lexicon.conduct_near(body, m))]
        if direct or conduct:
            flags.append("about_employee")
            cues += [f"about_employee:{w}" for w in direct[:3]]
            cues += [f"about_employee:{m} ({', '.join(w[:2])})" for m, w in conduct[:3]]
    anon = lexicon.matches(body, lexicon.ANONYMOUS + c.anonymous)
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
        result = classify_text(p.words or p.text, p.subject, ctx.org)
        reachable, cue = has_reply_address(p)
        if not reachable and "anonymous" not in result.flags:
            result = replace(result, flags=result.flags + ("anonymous",), cues=result.cues + (cue,))
        return replace(mail, classification=result)
