"""The registration form (templates/forms/blankett.txt) staff mail after an oral complaint."""

from __future__ import annotations

import re
from datetime import date

from mailflow.config import EMAIL_RE, Organization
from mailflow.model import Form, Kind, Person
from mailflow.pipeline.commands import KINDS
from mailflow.text import own_words

CHANNELS = {
    "telefon": "phone", "phone": "phone", "samtal": "phone",
    "besök": "visit", "besok": "visit", "personligt besök": "visit", "direktkontakt": "visit", "visit": "visit",
    "brev": "letter", "letter": "letter", "synpunktsfolder": "letter", "folder": "letter",
    "möte": "meeting", "mote": "meeting", "meeting": "meeting", "personligt möte": "meeting",
    "frågestund": "council_question_time", "fragestund": "council_question_time",
    "frågestund på nämndsammanträdet": "council_question_time",
    "webb": "web", "webbplats": "web", "web": "web",
    "e-post": "email", "epost": "email", "mejl": "email", "email": "email",
}
_FIELD = re.compile(r"^\s*([A-Za-zÅÄÖåäö/\- ]{3,24}):[ \t]*(.*?)\s*$")
_TEXT_FIELDS = ("synpunkt/klagomål", "synpunkt / klagomål", "klagomål", "synpunkt", "beskrivning", "text")


def is_form(text: str) -> bool:
    fields = {k for k, _ in _fields(text)}
    return "kanal" in fields and any(f in fields for f in _TEXT_FIELDS)


def _fields(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.split("\n"):
        m = _FIELD.match(line)
        if m:
            out.append((m.group(1).strip().lower(), m.group(2)))
    return out


class FormError(ValueError):
    """A form that cannot be registered as it stands (the staff member is told why)."""


def parse_form(text: str, org: Organization) -> tuple[Form, list[str]]:
    """The form's content, with notes on what was ignored; FormError when it cannot be used."""
    lines = text.split("\n")
    values: dict[str, str] = {}
    body: list[str] = []
    in_text = False
    for line in lines:
        m = _FIELD.match(line)
        key = m.group(1).strip().lower() if m else ""
        if in_text:
            body.append(line)
        elif m and key in _TEXT_FIELDS:
            in_text = True
            if m.group(2):
                body.append(m.group(2))
        elif m:
            values.setdefault(key, m.group(2))
    notes: list[str] = []
    raw_channel = values.get("kanal", "").strip().lower()
    channel = CHANNELS.get(raw_channel)
    if channel is None:
        raise FormError(f"Kanal {raw_channel!r} känns inte igen; skriv telefon, besök, brev, möte eller frågestund")
    complaint = own_words("\n".join(body).strip())[1]  # without the staff member's signature
    if not complaint:
        raise FormError("fältet Synpunkt/klagomål är tomt")
    unit_id = None
    unit_value = values.get("enhet", "").strip()
    if unit_value:
        unit = org.unit(unit_value) or next((u for u in org.units if u.name.lower() == unit_value.lower()), None)
        if unit is None:
            notes.append(f"enheten {unit_value!r} finns inte; ärendet fördelas efter texten")
        else:
            unit_id = unit.id
    kind: Kind | None = None
    kind_value = values.get("typ", "").strip().lower()
    if kind_value and "/" not in kind_value:
        kind = KINDS.get(kind_value)
        if kind is None:
            notes.append(f"typen {kind_value!r} känns inte igen; typen bestäms efter texten")
    anonymous = values.get("anonym", "").strip().lower() in ("ja", "j", "yes", "y", "x")
    email = values.get("e-post", values.get("epost", values.get("email", ""))).strip()
    if email and not EMAIL_RE.match(email):
        notes.append(f"e-postadressen {email!r} är ogiltig; ingen bekräftelse skickas")
        email = ""
    person = None
    if not anonymous:
        name, phone, address = (values.get(k, "").strip() for k in ("namn", "telefon", "adress"))
        if any((name, email, phone, address)):
            person = Person(name=name, email=email.lower(), phone=phone, address=address)
    received_on = None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", values.get("datum", "").strip()):
        try:
            received_on = date.fromisoformat(values["datum"].strip())
        except ValueError:
            notes.append("datumet är ogiltigt")
    return Form(channel=channel, text=complaint, person=person, unit_id=unit_id, kind=kind,
                anonymous=anonymous or person is None, received_on=received_on), notes
