"""The deadline job, pure: which reminders, escalations and delay notices a case is due now.

`due_actions(case, org, cal, now, done, hours)` looks at one case at one moment
and returns the mails to queue, as `Action`s. It reads no clock, database or
network; the caller (the service's deadline pass) renders each action, writes
it to the outbox and records `action.event()` on the case, all in one
transaction, and passes the keys recorded so far back in as `done`
(`done_keys(...)` collects them from the events' details).

    hours = configured_hours(config.service)
    for action in due_actions(case, org, cal, clock.now(), done_keys(details), hours):
        to = (citizen_email,) if action.to_citizen else action.to
        subject, text, html = templates.render(action.template, action.language, **action.context)
        # Message-ID seeded by f"{org.id}|{case.ref}|{action.key}": the same on a retried pass
        # outbox row + action.event() + escalation_level = max(case.escalation_level, action.level)

Rules (SPEC section 3 and issue 6):

* Only inside the send window: a working day of the organization's calendar,
  between the working hours (start inclusive, end exclusive), local time.
  Outside it nothing is due; the first pass inside the next window sends it.
* The governing deadline of a case not yet answered is `first_response_due`
  where the case has one (Nacka), else `feedback_due` (Norrmalm). A deadline
  date is inclusive: it passes at the end of that local day.
* `reminder` (level 0): from `remind_before_working_days` working days before
  the deadline up to the deadline day, to the responsible manager (the
  registrar for a case in triage, the Lex Sarah handler for such a case; the
  provider's or district's contact in CC).
* `escalation:1` the working morning after the deadline, to the department
  head; `escalation:2` after a further `feedback_working_days`, to the
  director; nothing beyond. Levels are absolute (1 head, 2 director): a case in
  triage or under Lex Sarah has no department step and goes straight to
  `escalation:2` at the first step's time. The registrar and everyone lower in
  the chain are in CC.
* `delay_notice:N` with `policy.notify_citizen_on_delay`, alongside
  `escalation:N`, to the citizen (`to=()`, `to_citizen=True`: the caller fills
  in the address from the person record); never for an anonymous case.
* Report requests (`report_due` set, `report_at` None, status open or
  awaiting_report): `report_reminder` to the provider's or district's contact
  before `report_due`, `report_chase` the morning after it (responsible manager
  in CC), then `report_escalation:1` (department head) and
  `report_escalation:2` (director), each a further `feedback_working_days` on.
* Answered, closed, or without deadline: nothing.
* No burst after an outage: per track only the highest step due is returned
  (plus its delay notice); the lower steps not yet done are listed in
  `Action.supersedes` and the caller records them as done with the action
  (`Action.keys`, `Action.event()`). A step whose key is in `done`, or that a
  higher done step makes stale, is not returned again.

Staff mails carry `citizen_language` (the case's language, named in the mail).
Staff mails about the citizen's answer set `reply_to_citizen`: Reply-To is
then the citizen, then `reply_to` (the registrar), as in the forward, so that
pressing Reply records the feedback; report mails reply to the registrar.
Subjects already carry `[REF]` (`outmail.tagged` leaves them alone). Staff mails
are in `org.language`, the delay notice in `case.language`.

Template variables (all present in `Action.context`; `lang` is added by
`Templates.render`):

every template
    ref, org (Organization), contact (policy's person to turn to), kind
    ("complaint"|"opinion"|"praise"), kind_label (in the mail's language),
    received_at (local datetime), about ("first_response"|"feedback"|"report":
    which deadline), deadline (date), level (int, 0 for reminders)
reminder, escalation, report_reminder (to staff or a provider)
    registrar (address), recipient_name, recipient_role ("manager"|"lex_sarah"|
    "registrar"|"department_head"|"director"|"provider"|"district"),
    handler_role (the case's: unit|provider|district|lex_sarah|triage),
    unit_name, department_name, manager_name, manager_email (the responsible
    manager; the registrar in triage), counterpart_name (provider or other
    district, "" if none), counterpart_email, anonymous (bool), summary
    (de-identified first line), first_response_due, feedback_due, report_due
    (date or None), days_left (working days left to the deadline, 0 on the
    day), overdue_working_days (0 before it has passed)
    (unit_name and department_name are "" for a Lex Sarah case)
escalation (present, empty, in the other staff mails too)
    earlier (list of `Party`: who had the case before, lowest first)
delay_notice (to the citizen; nothing about flags, units or routines)
    delay_reason (policy.delay_reason, may be ""), handled_by_name,
    handled_by_email, handled_by_role ("department_head"|"director"): who handles
    the case now; department_name (of that head, else "")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import MappingProxyType

from mailflow.config import Organization, Policy, ServiceSettings, clock_time
from mailflow.deadlines import WorkCalendar
from mailflow.labels import kind_label
from mailflow.model import CaseRecord, Event, Purpose, Status

Hours = tuple[time, time]
DEFAULT_HOURS: Hours = (time(8, 0), time(17, 0))
# a report is due this many working days before the feedback deadline, unless configured
REPORT_MARGIN_WORKING_DAYS = 2
_ACTIVE = (Status.OPEN, Status.AWAITING_REPORT)


@dataclass(frozen=True)
class Party:
    """Someone in the chain: role, display name (may be empty) and address."""

    role: str
    name: str
    email: str


@dataclass(frozen=True)
class Action:
    """One mail the deadline job wants queued now, and the key that makes it once-only."""

    key: str  # "reminder", "escalation:1", "delay_notice:2", "report_chase", ...
    purpose: Purpose  # REMINDER | ESCALATION | DELAY_NOTICE
    level: int  # the escalation level the case reaches (0 for reminders)
    to: tuple[str, ...]  # () for the citizen: see to_citizen
    cc: tuple[str, ...]
    template: str
    language: str
    context: Mapping[str, object] = field(compare=False)
    to_citizen: bool = False
    reply_to: tuple[str, ...] = ()  # addresses known here; see reply_to_citizen
    reply_to_citizen: bool = False  # put the citizen first in Reply-To (as the forward does)
    supersedes: tuple[str, ...] = ()  # lower steps not sent: record them as done too
    recipient_role: str = ""
    deadline: date | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key the caller records with this action."""
        return (self.key, *self.supersedes)

    def event(self) -> Event:
        """The case event that records this action (roles, never addresses)."""
        return Event(
            self.purpose.value,
            {
                "key": self.key,
                "level": self.level,
                "to": "citizen" if self.to_citizen else self.recipient_role,
                "deadline": self.deadline.isoformat() if self.deadline else None,
                "supersedes": list(self.supersedes),
            },
        )


def done_keys(details: Iterable[Mapping[str, object]]) -> frozenset[str]:
    """The keys recorded in event details made by `Action.event()`."""
    keys: set[str] = set()
    for d in details:
        if isinstance(d.get("key"), str):
            keys.add(str(d["key"]))
        sup = d.get("supersedes")
        if isinstance(sup, list | tuple):
            keys.update(str(k) for k in sup)
    return frozenset(keys)


# -- the send window ------------------------------------------------------------


def configured_hours(settings: ServiceSettings) -> Hours:
    """The configured working hours as times."""
    start, end = settings.working_hours
    return clock_time(start), clock_time(end)


def _local(now: datetime, cal: WorkCalendar) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(cal.tz)


def send_window(now: datetime, cal: WorkCalendar, start: time, end: time) -> tuple[datetime, datetime] | None:
    """The window (opens, closes) that `now` is in, or None outside working hours or on a closed day."""
    local = _local(now, cal)
    day = local.date()
    if not cal.is_working_day(day):
        return None
    opens = datetime.combine(day, start, cal.tz)
    closes = datetime.combine(day, end, cal.tz)
    return (opens, closes) if opens <= local < closes else None


def next_window_start(now: datetime, cal: WorkCalendar, start: time, end: time) -> datetime:
    """`now` when inside the window, else when the next window opens (local time)."""
    local = _local(now, cal)
    if send_window(now, cal, start, end) is not None:
        return local
    day = local.date()
    if cal.is_working_day(day) and local.time() < start:
        return datetime.combine(day, start, cal.tz)
    return datetime.combine(cal.next_working_day(day), start, cal.tz)


# -- deadlines ------------------------------------------------------------------


def report_due(cal: WorkCalendar, received_at: datetime, policy: Policy) -> date:
    """When a provider's or other district's report is due."""
    start = cal.start_day(received_at)
    if policy.report_working_days is not None:
        return cal.add_working_days(start, policy.report_working_days)
    feedback = cal.add_working_days(start, policy.feedback_working_days)
    return cal.subtract_working_days(feedback, REPORT_MARGIN_WORKING_DAYS)


@dataclass(frozen=True)
class _Step:
    key: str
    purpose: Purpose
    level: int
    day: date  # the first working day it may go out
    to: Party
    cc: tuple[str, ...]
    earlier: tuple[Party, ...] = ()


def _responsible(case: CaseRecord, org: Organization) -> Party:
    if case.manager is None:
        return Party("registrar", "", org.registrar)
    unit = org.unit(case.unit_id)
    name = unit.manager_name if unit is not None and unit.manager == case.manager else ""
    return Party("lex_sarah" if case.handler_role == "lex_sarah" else "manager", name, case.manager)


def _chain(case: CaseRecord, org: Organization, first: Party) -> list[tuple[int, Party]]:
    """The escalation rungs above `first`: (level, party); levels 1 head, 2 director."""
    rungs: list[tuple[int, Party]] = []
    seen = {first.email}
    if case.handler_role not in ("lex_sarah", "triage") and case.manager is not None:
        unit = org.unit(case.unit_id)
        dept = org.department(case.department_id or (unit.department if unit else None))
        if dept is not None and dept.head not in seen:
            rungs.append((1, Party("department_head", dept.head_name, dept.head)))
            seen.add(dept.head)
    if org.director not in seen:
        rungs.append((2, Party("director", org.director_name, org.director)))
    return rungs


def _cc(*groups: Iterable[str], exclude: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for g in groups for a in g if a and a != exclude))


def _escalations(
    prefix: str, deadline: date, cal: WorkCalendar, org: Organization, rungs: list[tuple[int, Party]],
    below: tuple[Party, ...], first_step: int,
) -> list[_Step]:
    steps: list[_Step] = []
    fwd = org.policy.feedback_working_days
    earlier = below
    for i, (level, party) in enumerate(rungs):
        day = cal.add_working_days(deadline, 1 + (first_step + i) * fwd)
        cc = _cc((org.registrar,), (p.email for p in earlier), exclude=party.email)
        steps.append(_Step(f"{prefix}:{level}", Purpose.ESCALATION, level, day, party, cc, earlier))
        earlier = earlier + (party,)
    return steps


def _pick(steps: list[_Step], today: date, done: frozenset[str]) -> tuple[_Step, tuple[str, ...]] | None:
    """The highest step due today, and the lower ones it supersedes; None if done already."""
    due = [s for s in steps if s.day <= today]
    if not due or due[-1].key in done:
        return None
    return due[-1], tuple(s.key for s in due[:-1] if s.key not in done)


def due_actions(
    case: CaseRecord,
    org: Organization,
    cal: WorkCalendar,
    now: datetime,
    done: frozenset[str],
    working_hours: Hours = DEFAULT_HOURS,
) -> list[Action]:
    """The reminders, escalations and delay notices to queue for `case` at `now`."""
    if send_window(now, cal, *working_hours) is None:
        return []
    if case.status not in _ACTIVE or case.closed_at is not None:
        return []
    today = _local(now, cal).date()
    return _feedback_track(case, org, cal, today, done) + _report_track(case, org, cal, today, done)


def _feedback_track(
    case: CaseRecord, org: Organization, cal: WorkCalendar, today: date, done: frozenset[str]
) -> list[Action]:
    deadline = case.first_response_due or case.feedback_due
    if deadline is None or case.feedback_at is not None:
        return []
    about = "first_response" if case.first_response_due else "feedback"
    p = org.policy
    first = _responsible(case, org)
    counterpart = (case.handler,) if case.handler_role in ("provider", "district") and case.handler else ()
    steps: list[_Step] = []
    remind_day = cal.subtract_working_days(deadline, p.remind_before_working_days)
    if remind_day >= cal.start_day(case.received_at):
        cc = _cc(counterpart, exclude=first.email)
        steps.append(_Step("reminder", Purpose.REMINDER, 0, remind_day, first, cc))
    steps += _escalations("escalation", deadline, cal, org, _chain(case, org, first), (first,), 0)
    picked = _pick(steps, today, done)
    actions: list[Action] = []
    if picked is not None:
        step, supersedes = picked
        actions.append(_staff_action(case, org, cal, today, step, supersedes, about, deadline))
    # the citizen hears of the highest level reached, also when that step went out before
    reached = [s for s in steps if s.day <= today and s.purpose is Purpose.ESCALATION]
    if reached and p.notify_citizen_on_delay and not case.anonymous:
        top = reached[-1]
        key = f"delay_notice:{top.level}"
        if key not in done:
            lower = tuple(k for k in (f"delay_notice:{s.level}" for s in reached[:-1]) if k not in done)
            actions.append(_delay_notice(case, org, cal, top, key, lower, about, deadline))
    return actions


def _report_track(
    case: CaseRecord, org: Organization, cal: WorkCalendar, today: date, done: frozenset[str]
) -> list[Action]:
    due = case.report_due
    if due is None or case.report_at is not None or not case.handler:
        return []
    p = org.policy
    role = case.handler_role if case.handler_role in ("provider", "district") else "provider"
    contact = Party(role, "", case.handler)  # a mailbox of the provider or district, not a person
    manager = _responsible(case, org)
    remind_day = cal.subtract_working_days(due, p.remind_before_working_days)
    chase_cc = _cc((manager.email,), exclude=contact.email)
    steps = [
        _Step("report_reminder", Purpose.REMINDER, 0, remind_day, contact, ()),
        _Step("report_chase", Purpose.REMINDER, 0, cal.add_working_days(due, 1), contact, chase_cc),
    ]
    steps += _escalations("report_escalation", due, cal, org, _chain(case, org, manager), (manager,), 1)
    picked = _pick(steps, today, done)
    if picked is None:
        return []
    step, supersedes = picked
    template = "report_reminder" if step.purpose is Purpose.REMINDER else "escalation"
    return [_staff_action(case, org, cal, today, step, supersedes, "report", due, template)]


# -- what the templates get ------------------------------------------------------


def _counterpart(case: CaseRecord, org: Organization) -> tuple[str, str]:
    unit = org.unit(case.unit_id)
    if unit is not None and case.handler_role in ("provider", "district"):
        c = unit.provider if case.handler_role == "provider" else unit.district
        if c is not None:
            return c.name, c.contact
    return "", ""


def _common(
    case: CaseRecord, org: Organization, cal: WorkCalendar, lang: str, about: str, deadline: date, level: int
) -> dict[str, object]:
    return {
        "ref": case.ref,
        "org": org,
        "contact": org.contact,
        "kind": case.kind.value,
        "kind_label": kind_label(case.kind, lang),
        "received_at": case.received_at.astimezone(cal.tz),
        "about": about,
        "deadline": deadline,
        "level": level,
    }


def _staff_action(
    case: CaseRecord,
    org: Organization,
    cal: WorkCalendar,
    today: date,
    step: _Step,
    supersedes: tuple[str, ...],
    about: str,
    deadline: date,
    template: str | None = None,
) -> Action:
    lang = org.language
    unit = org.unit(case.unit_id)
    dept = org.department(case.department_id or (unit.department if unit else None))
    manager = _responsible(case, org)
    counterpart_name, counterpart_email = _counterpart(case, org)
    ctx = _common(case, org, cal, lang, about, deadline, step.level) | {
        "registrar": org.registrar,
        "recipient_name": step.to.name.split(",")[0].strip(),  # "Eva Stjernström, stadsdelsdirektör"
        "recipient_role": step.to.role,
        "handler_role": case.handler_role,
        "unit_name": unit.name if unit is not None and case.handler_role != "lex_sarah" else "",
        "department_name": dept.name if dept is not None and case.handler_role != "lex_sarah" else "",
        "manager_name": manager.name,
        "manager_email": manager.email,
        "counterpart_name": counterpart_name,
        "counterpart_email": counterpart_email,
        "anonymous": case.anonymous,
        "summary": case.summary,
        "first_response_due": case.first_response_due,
        "feedback_due": case.feedback_due,
        "report_due": case.report_due,
        "days_left": cal.working_days_between(today, deadline),
        "overdue_working_days": cal.working_days_between(deadline, today),
        "earlier": list(step.earlier),
        "citizen_language": case.language,
    }
    report = about == "report"
    return Action(
        key=step.key,
        purpose=step.purpose,
        level=step.level,
        to=(step.to.email,),
        cc=step.cc,
        template=template or ("reminder" if step.purpose is Purpose.REMINDER else "escalation"),
        language=lang,
        context=MappingProxyType(ctx),
        reply_to=(org.registrar,),
        reply_to_citizen=not report and not case.anonymous,
        supersedes=supersedes,
        recipient_role=step.to.role,
        deadline=deadline,
    )


def _delay_notice(
    case: CaseRecord,
    org: Organization,
    cal: WorkCalendar,
    step: _Step,
    key: str,
    supersedes: tuple[str, ...],
    about: str,
    deadline: date,
) -> Action:
    lang = case.language
    dept_name = ""
    if step.to.role == "department_head":
        unit = org.unit(case.unit_id)
        dept = org.department(case.department_id or (unit.department if unit else None))
        dept_name = dept.name if dept is not None else ""
    ctx = _common(case, org, cal, lang, about, deadline, step.level) | {
        "delay_reason": org.policy.delay_reason,
        "handled_by_name": step.to.name,
        "handled_by_email": step.to.email,
        "handled_by_role": step.to.role,
        "department_name": dept_name,
    }
    return Action(
        key=key, purpose=Purpose.DELAY_NOTICE, level=step.level, to=(), cc=(), template="delay_notice",
        language=lang, context=MappingProxyType(ctx), to_citizen=True, supersedes=supersedes, recipient_role="citizen",
        deadline=deadline,
    )
