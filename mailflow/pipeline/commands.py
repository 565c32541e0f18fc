"""Mail commands: `#typ synpunkt`, `#enhet <unit-id>`, `#lexsarah`, `#anonym`, `#stäng`, `#åtgärd <text>`,
`#förebyggande <text>` (and English: `#kind`, `#unit`, `#close`, `#action`, `#preventive`).

Command lines stand at the top of a staff message on a case, one per line.
They are read and checked all together first: when one line is unknown or
invalid nothing is applied and the sender is told which line and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailflow.config import Organization
from mailflow.model import Kind

KINDS = {
    "klagomål": Kind.COMPLAINT, "klagomal": Kind.COMPLAINT, "complaint": Kind.COMPLAINT,
    "synpunkt": Kind.OPINION, "opinion": Kind.OPINION, "förslag": Kind.OPINION, "suggestion": Kind.OPINION,
    "beröm": Kind.PRAISE, "berom": Kind.PRAISE, "praise": Kind.PRAISE,
}
VERBS = {
    "typ": "kind", "kind": "kind",
    "enhet": "unit", "unit": "unit",
    "lexsarah": "lex_sarah", "lex_sarah": "lex_sarah", "lex-sarah": "lex_sarah",
    "anonym": "anonymous", "anonymous": "anonymous",
    "stäng": "close", "stang": "close", "close": "close", "avsluta": "close",
    "åtgärd": "action", "atgard": "action", "action": "action",
    "förebyggande": "preventive_action", "forebyggande": "preventive_action",
    "förebyggande-åtgärd": "preventive_action", "preventive": "preventive_action",
    "preventive_action": "preventive_action", "preventive-action": "preventive_action",
}
# commands that record what was done (an `action` or `preventive_action` case event with the text), changing nothing
NOTES = frozenset({"action", "preventive_action"})
MAX_NOTE = 2000
_LINE = re.compile(r"^#(\S+)(?:\s+(.*))?$")


@dataclass(frozen=True)
class Command:
    line_no: int
    line: str
    verb: str  # kind | unit | lex_sarah | anonymous | close | action | preventive_action
    arg: str = ""


@dataclass(frozen=True)
class CommandError:
    line_no: int
    line: str
    reason: str


def command_lines(text: str) -> list[tuple[int, str]]:
    """The `#` lines at the top of a message (blank lines between them allowed)."""
    found = []
    for no, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        found.append((no, line))
    return found


def parse(text: str, org: Organization) -> tuple[list[Command], list[CommandError]]:
    """The commands of a message, or the errors that stop all of them."""
    commands: list[Command] = []
    errors: list[CommandError] = []
    for no, line in command_lines(text):
        m = _LINE.match(line)
        verb = VERBS.get(m.group(1).lower()) if m else None
        arg = (m.group(2) or "").strip() if m else ""
        if verb is None:
            errors.append(CommandError(no, line, "okänt kommando / unknown command"))
        elif verb == "kind":
            if arg.lower() not in KINDS:
                errors.append(CommandError(no, line, "typ måste vara klagomål, synpunkt eller beröm "
                                                     "/ kind must be complaint, opinion or praise"))
            else:
                commands.append(Command(no, line, verb, KINDS[arg.lower()].value))
        elif verb == "unit":
            unit = org.unit(arg) or next((u for u in org.units if u.name.lower() == arg.lower()), None)
            if unit is None:
                known = ", ".join(u.id for u in org.units)
                errors.append(CommandError(no, line, f"ingen enhet med id {arg!r} / no such unit (enheter: {known})"))
            else:
                commands.append(Command(no, line, verb, unit.id))
        elif verb in NOTES:
            if not arg:
                errors.append(CommandError(no, line, "skriv vad som gjorts efter kommandot / write what was done "
                                                     "after the command"))
            elif len(arg) > MAX_NOTE:
                errors.append(CommandError(no, line, f"texten är för lång (högst {MAX_NOTE} tecken) / too long"))
            else:
                commands.append(Command(no, line, verb, arg))
        elif arg:
            errors.append(CommandError(no, line, "kommandot tar inget argument / the command takes no argument"))
        else:
            commands.append(Command(no, line, verb))
    return commands, errors


def strip_commands(text: str) -> str:
    """The message without its command lines."""
    lines = text.split("\n")
    skip = {no for no, _ in command_lines(text)}
    return "\n".join(line for no, line in enumerate(lines, start=1) if no not in skip).strip()


def note_label(verb: str) -> str:
    """The Swedish name of a recorded note: åtgärd, förebyggande åtgärd."""
    return {"action": "åtgärd", "preventive_action": "förebyggande åtgärd"}.get(verb, verb)
