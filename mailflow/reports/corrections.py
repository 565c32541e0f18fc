"""The registrar's corrections of mailflow's first reading: counted per decision, and exported for tuning.

A case's first decision is what its `registered` and `routed` events recorded:
the kind, the flags and the unit mailflow chose. A decision counts as corrected
by the registrar when a `command` event of that decision is on the case (a mail
command such as `#enhet`, or the same change made on the web register, which
records the same event) and the case's value now differs from the first one.
A `#typ klagomål` that confirms the first reading corrects nothing.

The decisions are the four the commands can change: `kind` (#typ), `unit`
(#enhet), `lex_sarah` (#lexsarah) and `anonymous` (#anonym).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DECISIONS: tuple[str, ...] = ("kind", "unit", "lex_sarah", "anonymous")
# what the report calls each decision (Swedish: the council and the registrar read it)
DECISION_LABELS: dict[str, str] = {"kind": "typ", "unit": "enhet", "lex_sarah": "Lex Sarah", "anonymous": "anonym"}
# the command verb (`pipeline.commands.VERBS` values) that changes each decision
_VERB = {"kind": "kind", "unit": "unit", "lex_sarah": "lex_sarah", "anonymous": "anonymous"}


@dataclass(frozen=True)
class Decision:
    """A case's reading: its kind, unit and flags."""

    kind: str
    unit: str | None
    flags: tuple[str, ...]

    def value(self, decision: str) -> object:
        if decision == "kind":
            return self.kind
        if decision == "unit":
            return self.unit
        return decision in self.flags

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit": self.unit, "flags": sorted(self.flags)}


def first_decision(events: Iterable[tuple[str, Mapping[str, Any]]]) -> Decision | None:
    """The decision mailflow recorded at registration, from the case's (event kind, detail) in order."""
    kind: str | None = None
    flags: tuple[str, ...] = ()
    unit: str | None = None
    for event_kind, detail in events:
        if event_kind == "registered" and kind is None:
            kind = str(detail.get("kind", ""))
            flags = tuple(str(f) for f in detail.get("flags", ()) or ())
        elif event_kind == "routed" and kind is not None:
            unit = detail.get("unit") or None
            break
    return Decision(kind, unit, flags) if kind else None


def corrected(first: Decision, now: Decision, commands: Iterable[str]) -> tuple[str, ...]:
    """The decisions the registrar changed: a command of the decision, and a value other than the first."""
    verbs = set(commands)
    return tuple(d for d in DECISIONS if _VERB[d] in verbs and first.value(d) != now.value(d))


@dataclass(frozen=True)
class Correction:
    """One corrected case as the export writes it: no identity, the register's de-identified text."""

    ref: str
    org_id: str
    received_at: str  # ISO 8601
    channel: str
    language: str
    text: str  # the first incoming message as the register keeps it (de-identified), with its subject
    first: Decision
    now: Decision
    decisions: tuple[str, ...]  # which of DECISIONS were corrected
    cues: tuple[str, ...]  # why mailflow decided as it did

    def as_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "org": self.org_id, "received_at": self.received_at, "channel": self.channel,
            "language": self.language, "text": self.text, "first_decision": self.first.as_json(),
            "corrected": self.now.as_json(), "corrected_decisions": list(self.decisions),
            "classification_cues": list(self.cues),
        }


@dataclass(frozen=True)
class CorrectionCounts:
    """How many of a period's cases the registrar corrected, per decision."""

    cases: int  # the cases of the period: the base of every share
    corrected_cases: int  # cases with at least one decision corrected
    per_decision: tuple[tuple[str, int], ...]  # (decision, cases corrected in it), in DECISIONS order

    def share(self, decision: str) -> float | None:
        n = dict(self.per_decision).get(decision, 0)
        return n / self.cases if self.cases else None


def count_corrections(corrections: Sequence[tuple[str, ...]]) -> CorrectionCounts:
    """The counts over a period's cases, given each case's corrected decisions (empty for most)."""
    per = {d: 0 for d in DECISIONS}
    for decisions in corrections:
        for d in set(decisions):
            if d in per:
                per[d] += 1
    return CorrectionCounts(len(corrections), sum(1 for c in corrections if c), tuple(per.items()))


def share_hidden(n: int, base: int, threshold: int) -> bool:
    """A share n/base is hidden when it rests on few cases or gives a small count back (n, or base - n,
    from 1 up to below the threshold): "enhet 2 %" of 50 cases is one case."""
    return base < threshold or 0 < n < threshold or 0 < base - n < threshold


def correction_summary(counts: CorrectionCounts, threshold: int) -> str:
    """The report's line: "enhet 4 %, typ 2 %, Lex Sarah 0 %, anonym 0 %" (largest first); a share that
    rests on few cases or gives a small count back is shown as "<3", as the report's other shares."""
    parts = []
    for decision, n in sorted(counts.per_decision, key=lambda dn: -dn[1]):
        label = DECISION_LABELS[decision]
        if counts.cases == 0:
            parts.append(f"{label} –")
        elif share_hidden(n, counts.cases, threshold) and not (n == 0 and counts.cases >= threshold):
            parts.append(f"{label} <{threshold}")
        else:
            parts.append(f"{label} {int(n * 100 / counts.cases + 0.5)}\u00a0%")
    return ", ".join(parts)
