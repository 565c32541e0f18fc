"""Names for what the reports and the digest show: kinds, channels, flags, departments, units."""

from __future__ import annotations

from mailflow.config import Organization
from mailflow.model import CaseRecord, Kind

KINDS: tuple[Kind, ...] = (Kind.COMPLAINT, Kind.OPINION, Kind.PRAISE)
FLAGS: tuple[str, ...] = ("lex_sarah", "about_employee", "anonymous", "external_provider", "other_district")
# flags whose cases are shown by ref and unit only, never by their content
RESTRICTED_FLAGS: frozenset[str] = frozenset({"about_employee", "lex_sarah"})
TRIAGE = "(triage)"  # the name of "no unit" / "no department"

from mailflow.labels import (  # noqa: E402  (one source for every mail and report: the catalogs)
    channel_label,
    channel_labels,
    flag_label,
    kind_label,
    kind_labels,
    kind_plural,
    kind_plurals,
)

__all__ = ["channel_label", "channel_labels", "flag_label", "kind_label", "kind_labels", "kind_plural",
           "kind_plurals"]


def unit_name(org: Organization, unit_id: str | None) -> str:
    """The configured name; the id itself for an unknown unit; '(triage)' for none."""
    if not unit_id:
        return TRIAGE
    unit = org.unit(unit_id)
    return unit.name if unit is not None else unit_id


def department_id(org: Organization, record: CaseRecord) -> str | None:
    """The case's department, or else its unit's department."""
    if record.department_id:
        return record.department_id
    unit = org.unit(record.unit_id)
    return unit.department if unit is not None else None


def department_name(org: Organization, dept_id: str | None) -> str:
    if not dept_id:
        return TRIAGE
    dept = org.department(dept_id)
    return dept.name if dept is not None else dept_id


def is_restricted(record: CaseRecord) -> bool:
    """About an employee or Lex Sarah: only the ref and the unit may be shown."""
    return any(f in RESTRICTED_FLAGS for f in record.flags)
