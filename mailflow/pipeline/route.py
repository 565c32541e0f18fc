"""route: the responsible unit and the address the case goes to, a pure function of text + config.

A place or unit name weighs more than a generic word. Lex Sarah cases go to
the Lex Sarah handler, never the unit; nothing matching goes to the registrar
for triage; external-provider and other-district units go to their contact.
"""

from __future__ import annotations

from dataclasses import replace

from mailflow import lexicon
from mailflow.config import Organization, Unit
from mailflow.model import Classification, Mail, Routing
from mailflow.pipeline import Context

PLACE_WEIGHT = 3.0
NAME_WEIGHT = 3.0
KEYWORD_WEIGHT = 1.0


def _spread(org: Organization) -> dict[str, int]:
    """How many units share each keyword: a word many units use says little about which."""
    count: dict[str, int] = {}
    for unit in org.units:
        for word in {k.lower().strip() for k in unit.keywords}:
            count[word] = count.get(word, 0) + 1
    return count


def unit_scores(text: str, org: Organization) -> list[tuple[float, Unit, list[str]]]:
    """Every unit with its score and the cues that gave it, best first.

    A unit's name and places weigh 3; a keyword weighs 1 divided by the number
    of units that list it, so "boendet" shared by three units adds a third.
    """
    spread = _spread(org)
    scored = []
    for unit in org.units:
        cues: list[str] = []
        score = 0.0
        if lexicon.matches(text, (unit.name,)):
            score += NAME_WEIGHT
            cues.append(f"name:{unit.name}")
        for place in lexicon.matches(text, unit.places):
            score += PLACE_WEIGHT
            cues.append(f"place:{place}")
        for word in lexicon.matches(text, unit.keywords):
            score += KEYWORD_WEIGHT / spread.get(word, 1)
            cues.append(f"keyword:{word}")
        if score:
            scored.append((score, unit, cues))
    scored.sort(key=lambda s: -s[0])
    return scored


def route_text(text: str, org: Organization, classification: Classification, unit_id: str | None = None) -> Routing:
    """Where a new case goes (pure); `unit_id` when the unit is already known (a form says so)."""
    scored = unit_scores(text, org)
    unit: Unit | None = None
    cues: list[str] = []
    if unit_id is not None and org.unit(unit_id) is not None:
        unit = org.unit(unit_id)
        cues = [f"unit:{unit_id} stated on the form"]
    elif scored and scored[0][0] >= org.classifier.min_unit_score:
        best = scored[0]
        tied = [s for s in scored if s[0] == best[0]]
        if len(tied) == 1:
            unit = best[1]
            cues = [f"unit:{unit.id} score {best[0]:.2g}"] + best[2][:5]
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


class Route:
    name = "route"

    def run(self, mail: Mail, ctx: Context) -> Mail:
        if mail.case is not None or mail.classification is None:
            return mail
        p = mail.parsed
        assert p is not None
        if mail.form is not None:
            routing = route_text(mail.form.text, ctx.org, mail.classification, mail.form.unit_id)
        else:
            routing = route_text(f"{p.subject}\n{p.words or p.text}", ctx.org, mail.classification)
        flags = list(mail.classification.flags)
        if routing.handler_role == "provider" or (
            routing.unit_id and (u := ctx.org.unit(routing.unit_id)) and u.provider
        ):
            flags.append("external_provider")
        if routing.unit_id and (u := ctx.org.unit(routing.unit_id)) and u.district:
            flags.append("other_district")
        unit = ctx.org.unit(routing.unit_id)
        department = ctx.org.department(unit.department) if unit else None
        cues = mail.classification.cues
        if "lex_sarah" in flags and department is not None and not department.care:
            # Lex Sarah is for care under SoL and LSS; a preschool's or a park's case is the unit's
            flags.remove("lex_sarah")
            cues += (f"lex_sarah:not care under SoL/LSS ({department.name}); handled by the unit",)
        classification = replace(mail.classification, flags=tuple(dict.fromkeys(flags)), cues=cues)
        return replace(mail, routing=routing, classification=classification)
