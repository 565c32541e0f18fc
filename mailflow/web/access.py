"""Who may see and do what: one rule, as a function (`allowed`) and as a query filter (`visible`).

Every view asks the same question: is this actor allowed to perform this action
on this case? The case list, the search, the downloads and the statistics use
the same rule as SQL, so a listing only ever selects what the actor may see.

| role        | cases it sees                                                    | identity | acts |
|-------------|------------------------------------------------------------------|----------|------|
| registrar   | every case of its organization                                   | yes      | yes  |
| manager     | its units' cases, never Lex Sarah nor about-employee ones        | yes      | yes  |
| lex_sarah   | its organization's Lex Sarah and about-employee cases            | yes      | yes  |
| admin       | every case of every organization                                 | no       | yes  |

Identity (the citizen's name and contact) is for those who answer and register;
the administrator runs the service and the statistics and has no need of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import String, and_, cast, false, not_, or_, true

from mailflow.adapters.tables import CaseRow

ROLES = ("registrar", "manager", "lex_sarah", "admin")
ROLE_NAMES = {"registrar": "registrator", "manager": "chef", "lex_sarah": "Lex Sarah-handläggare",
              "admin": "administratör"}
ACTIONS = ("view", "identity", "change", "answer")
RESTRICTED = ("lex_sarah", "about_employee")


@dataclass(frozen=True)
class Actor:
    id: int
    email: str
    role: str
    org_id: str | None
    units: tuple[str, ...] = ()


class CaseLike(Protocol):
    org_id: str
    unit_id: str | None
    flags: Any
    handler_role: str


def restricted(case: CaseLike) -> bool:
    """A Lex Sarah or about-employee case: seen only by the registrar, the handler and the administrator."""
    flags = set(case.flags or ())
    return bool(flags & set(RESTRICTED)) or case.handler_role == "lex_sarah"


def sees(actor: Actor, case: CaseLike) -> bool:
    if actor.role == "admin":
        return True
    if case.org_id != actor.org_id:
        return False
    if actor.role == "registrar":
        return True
    if actor.role == "lex_sarah":
        return restricted(case)
    if actor.role == "manager":
        return case.unit_id in actor.units and not restricted(case)
    return False


def allowed(actor: Actor, action: str, case: CaseLike) -> bool:
    """Is this actor allowed to perform this action on this case?"""
    if action not in ACTIONS or not sees(actor, case):
        return False
    if action == "identity":
        return actor.role in ("registrar", "manager", "lex_sarah")
    return True


def _has_flag(flag: str) -> Any:
    # flags are a JSON list: its text holds the flag in quotes (SQLite and PostgreSQL alike)
    return cast(CaseRow.flags, String).like(f'%"{flag}"%')


def restricted_sql() -> Any:
    return or_(*(_has_flag(f) for f in RESTRICTED), CaseRow.handler_role == "lex_sarah")


def visible(actor: Actor) -> Any:
    """The rule of `sees` as a WHERE clause on `cases`."""
    if actor.role == "admin":
        return true()
    own = CaseRow.org_id == (actor.org_id or "")
    if actor.role == "registrar":
        return own
    if actor.role == "lex_sarah":
        return and_(own, restricted_sql())
    if actor.role == "manager":
        if not actor.units:
            return false()
        return and_(own, CaseRow.unit_id.in_(actor.units), not_(restricted_sql()))
    return false()


def orgs_of(actor: Actor, all_orgs: list[str]) -> list[str]:
    """The organizations whose cases (some or all) the actor may see."""
    if actor.role == "admin":
        return list(all_orgs)
    return [o for o in all_orgs if o == actor.org_id]


has_flag = _has_flag
