"""The message pipeline: small steps over a `Mail`, run in order until one stops.

Each step is a module with an object that has a `name` and `run(mail, ctx)`;
it returns a new `Mail` (dataclasses.replace) or raises `Stop(outcome)`.
Steps see the world only through `Context`: the config, the clock, a `Lookup`
of what the register already holds and a `Renderer` for mails. They never open
a connection or a session; the service runs them inside one transaction and
writes what they decided.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from mailflow.clock import Clock
from mailflow.config import Config, Organization
from mailflow.deadlines import WorkCalendar
from mailflow.model import CaseInfo, Mail, Outcome

log = logging.getLogger(__name__)


class Stop(Exception):
    """Ends the pipeline for a message with an outcome (not an error)."""

    def __init__(self, outcome: Outcome, reason: str = "", mail: Mail | None = None) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
        self.reason = reason
        self.mail = mail  # the mail as the stopping step left it


class Lookup(Protocol):
    """What the register already knows, read inside the current transaction."""

    def message_exists(self, org_id: str, message_id: str) -> bool: ...

    def case_by_message_ids(self, org_id: str, message_ids: tuple[str, ...]) -> CaseInfo | None: ...

    def case_by_ref(self, org_id: str, ref: str) -> CaseInfo | None: ...

    def allocate_ref(self, org_id: str, prefix: str, year: int) -> tuple[str, int]: ...

    def acks_since(self, email_key: str, since: datetime) -> int: ...

    def same_text_since(self, org_id: str, fingerprint: str, since: datetime) -> int: ...

    def sent_subjects(self, org_id: str, ref: str) -> tuple[str, ...]: ...

    def open_cases_for(self, org_id: str, person_keys: tuple[str, ...], handler: str) -> list[CaseInfo]: ...

    def original_message(self, org_id: str, ref: str) -> bytes | None: ...

    def citizen_address(self, org_id: str, ref: str) -> str | None: ...


class Renderer(Protocol):
    """Renders a mail template: returns (subject, text, html)."""

    def render(self, name: str, language: str, **context: object) -> tuple[str, str, str]: ...


@dataclass(frozen=True)
class Context:
    config: Config
    org: Organization
    clock: Clock
    lookup: Lookup
    render: Renderer
    calendar: WorkCalendar

    def today(self) -> date:
        return self.clock.now().astimezone(self.calendar.tz).date()


class Step(Protocol):
    name: str

    def run(self, mail: Mail, ctx: Context) -> Mail: ...


def run(mail: Mail, ctx: Context, steps: tuple[Step, ...]) -> Mail:
    """Run the steps in order; a `Stop` ends the run with its outcome."""
    for step in steps:
        try:
            mail = step.run(mail, ctx)
        except Stop as stop:
            base = stop.mail or mail
            log.info(
                "event=stop step=%s outcome=%s mid_hash=%s",
                step.name, stop.outcome, _hash(base.message_id),
            )
            return replace(base, outcome=stop.outcome, reason=stop.reason or base.reason)
    return mail


def _hash(message_id: str) -> str:
    import hashlib

    return hashlib.sha256(message_id.encode()).hexdigest()[:12]


def default_steps() -> tuple[Step, ...]:
    """The steps of SPEC section 2, in order (fetch and file are the service's)."""
    from mailflow.pipeline import act, classify, dedupe, deidentify, parse, route, screen, staff, thread

    return (
        parse.Parse(),
        dedupe.Dedupe(),
        screen.Screen(),
        thread.Thread(),
        staff.Staff(),
        classify.Classify(),
        route.Route(),
        deidentify.Deidentify(),
        act.Act(),
    )
