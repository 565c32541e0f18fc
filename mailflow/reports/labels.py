"""Names for what the reports and the digest show: kinds, channels, flags, departments, units."""

from __future__ import annotations

from mailflow.config import Organization
from mailflow.model import CaseRecord, Kind

KINDS: tuple[Kind, ...] = (Kind.COMPLAINT, Kind.OPINION, Kind.PRAISE)
FLAGS: tuple[str, ...] = ("lex_sarah", "about_employee", "anonymous", "external_provider", "other_district")
# flags whose cases are shown by ref and unit only, never by their content
RESTRICTED_FLAGS: frozenset[str] = frozenset({"about_employee", "lex_sarah"})
TRIAGE = "(triage)"  # the name of "no unit" / "no department"

KIND_LABELS: dict[str, dict[str, str]] = {
    "sv": {"complaint": "klagomål", "opinion": "synpunkt", "praise": "beröm"},
    "en": {"complaint": "complaint", "opinion": "suggestion", "praise": "praise"},
}
KIND_PLURALS: dict[str, dict[str, str]] = {
    "sv": {"complaint": "Klagomål", "opinion": "Synpunkter", "praise": "Beröm"},
    "en": {"complaint": "Complaints", "opinion": "Suggestions", "praise": "Praise"},
}
CHANNEL_LABELS: dict[str, dict[str, str]] = {
    "sv": {"email": "e-post", "phone": "telefon", "visit": "besök", "letter": "brev",
           "meeting": "möte", "form": "blankett", "web": "webbplats"},
    "en": {"email": "e-mail", "phone": "phone", "visit": "visit", "letter": "letter",
           "meeting": "meeting", "form": "form", "web": "website"},
}
FLAG_LABELS: dict[str, dict[str, str]] = {
    "sv": {"lex_sarah": "Lex Sarah", "about_employee": "gäller enskild medarbetare",
           "anonymous": "anonym", "external_provider": "extern utförare",
           "other_district": "annan stadsdel"},
    "en": {"lex_sarah": "Lex Sarah", "about_employee": "about an employee",
           "anonymous": "anonymous", "external_provider": "external provider",
           "other_district": "other district"},
}


def _lang(lang: str) -> str:
    return lang if lang in KIND_LABELS else "sv"


def kind_label(kind: str, lang: str = "sv") -> str:
    return KIND_LABELS[_lang(lang)].get(str(kind), str(kind))


def channel_label(channel: str, lang: str = "sv") -> str:
    return CHANNEL_LABELS[_lang(lang)].get(channel, channel)


def flag_label(flag: str, lang: str = "sv") -> str:
    return FLAG_LABELS[_lang(lang)].get(flag, flag)


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
