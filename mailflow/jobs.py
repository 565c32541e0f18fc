"""The timed work of `run`: the deadline pass and the registrar's daily digest.

Both decide with pure code (`schedule.due_actions`, `reports.build_digest`) and
write with the same pattern as the pipeline: the outbox mail and the record that
it was made (a case event, a digest row) commit in one transaction, so a pass
repeated at the same or a later time, or by a second worker, sends nothing twice.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mailflow import mime, schedule
from mailflow.adapters import queries
from mailflow.adapters.health import SMTP, Outages, outbox_key
from mailflow.adapters.outbox import queue
from mailflow.adapters.store import Store
from mailflow.adapters.tables import CaseEventRow, DigestRow, OutageRow, OutboxRow
from mailflow.adapters.templates import Templates
from mailflow.adapters.workers import real_now
from mailflow.clock import Clock
from mailflow.config import Config, Organization, clock_time
from mailflow.deadlines import WorkCalendar
from mailflow.errors import StoreError
from mailflow.model import Event, OutMail, Purpose, Role, email_key
from mailflow.reports import DigestEvent, TriageItem, build_digest, digest_context

log = logging.getLogger(__name__)


@dataclass
class Jobs:
    config: Config
    store: Store
    templates: Templates
    clock: Clock
    calendars: dict[str, WorkCalendar]
    outages: Outages | None = None

    # -- deadlines -------------------------------------------------------------------

    def deadlines(self) -> tuple[int, int]:
        """Queue every reminder, escalation and delay notice that is due now; (how many, cases that failed).

        A case whose mails cannot be made (a template error on its data) is logged
        and left for the next pass; the other cases go on.
        """
        hours = schedule.configured_hours(self.config.service)
        now = self.clock.now()
        queued = errors = 0
        for org in self.config.organizations:
            cal = self.calendars[org.id]
            if schedule.send_window(now, cal, *hours) is None:
                continue  # nights, weekends and holidays: the next working morning sends it
            # decided in bulk, from one read of the open cases and their deadline events; only a case
            # with something due is then locked and decided again, and its mails queued
            with self.store.transaction(readonly=True) as reg:
                rows = queries.active_cases(reg.session, org.id)
                details = queries.deadline_event_details(reg.session, [r.id for r in rows if r.id is not None])
            ids = [r.id for r in rows if r.id is not None and schedule.due_actions(
                queries.record(r), org, cal, now, schedule.done_keys(details.get(r.id, [])), hours)]
            for case_id in ids:
                try:
                    queued += self._case_deadlines(org, cal, case_id, now, hours)
                except StoreError:
                    raise  # the database is away: the whole pass is retried
                except Exception as exc:  # this case's data; the others must not wait for it
                    errors += 1
                    log.error("event=deadline_failed org=%s case_id=%s error=%s", org.id, case_id,
                              type(exc).__name__)
                    log.debug("deadline failure", exc_info=True)
        return queued, errors

    def _case_deadlines(self, org: Organization, cal: WorkCalendar, case_id: int, now: datetime,
                        hours: tuple[time, time]) -> int:
        with self.store.transaction() as reg:
            s = reg.session
            row = queries.lock_case(s, case_id)  # a second worker waits here, then sees the events
            if row is None or row.status not in queries.ACTIVE:
                return 0
            rec = queries.records(s, [row])[0]
            done = schedule.done_keys(queries.event_details(s, case_id))
            actions = schedule.due_actions(rec, org, cal, now, done, hours)
            if not actions:
                return 0
            citizen = queries.person_email(s, row.person_id)
            first_in, first_forward = queries.first_message_ids(s, case_id)
            made = 0
            for action in actions:
                to = ((citizen,) if citizen else ()) if action.to_citizen else action.to
                event = action.event()
                if not to:  # nobody to write to (a citizen without e-mail): recorded, not sent
                    event = Event(event.kind, {**event.detail, "skipped": "no address"})
                else:
                    out = self._action_mail(org, row.ref, action, to, citizen, first_in, first_forward, now)
                    queue(s, out, org_id=org.id, case_id=case_id, now=now, party_key=email_key(to[0]))
                    made += 1
                s.add(CaseEventRow(case_id=case_id, at=now, kind=event.kind, actor=event.actor,
                                   detail=dict(event.detail)))
                if action.level > row.escalation_level:
                    row.escalation_level = action.level
                    row.updated_at = now
                log.info("event=deadline_action case=%s key=%s", row.ref, action.key)
            return made

    def _action_mail(self, org: Organization, ref: str, action: schedule.Action, to: tuple[str, ...],
                     citizen: str | None, first_in: str | None, first_forward: str | None,
                     now: datetime) -> OutMail:
        subject, text, html = self.templates.render(action.template, action.language, **dict(action.context))
        reply_to = ((citizen,) if action.reply_to_citizen and citizen else ()) + action.reply_to
        parent = first_in if action.to_citizen else (first_forward or first_in)
        message_id = mime.make_message_id(f"{org.id}|{ref}|{action.key}", mime.domain_of(org.complaints_address))
        payload = mime.build(
            message_id=message_id, sender=(org.name, org.complaints_address), to=to, cc=action.cc,
            reply_to=reply_to, subject=subject, text=text, html=html, at=now, in_reply_to=parent,
            references=(p for p in (first_in, first_forward) if p),  # type: ignore[arg-type]
            headers={"X-Mailflow-Case": ref, "X-Mailflow-Purpose": action.purpose.value,
                     "Auto-Submitted": "auto-generated"},
        )
        return OutMail(message_id=message_id, purpose=action.purpose, sender=org.complaints_address,
                       recipients=tuple(dict.fromkeys(to + action.cc)), subject=subject, record_subject=subject,
                       payload=payload, role=Role.SYSTEM)

    # -- the daily digest --------------------------------------------------------------

    def digests_due(self) -> tuple[int, int]:
        """Each organization's digest, once per working day from `digest_time`; (how many queued, failures)."""
        now = self.clock.now()
        at = clock_time(self.config.service.digest_time)
        queued = errors = 0
        for org in self.config.organizations:
            cal = self.calendars[org.id]
            local = now.astimezone(cal.tz)
            if not cal.is_working_day(local.date()) or local.time() < at:
                continue
            try:
                if self.queue_digest(org, local.date()):
                    queued += 1
            except StoreError:
                raise
            except Exception as exc:  # one organization's digest must not stop the others'
                errors += 1
                log.error("event=digest_failed org=%s error=%s", org.id, type(exc).__name__)
                log.debug("digest failure", exc_info=True)
        return queued, errors

    # -- outages -----------------------------------------------------------------------

    def outbox_watch(self) -> int:
        """Called right after a drain: a mail still due then and queued more than `outbox_stuck_minutes`
        ago makes its organization's outbox stuck (a worker holds it and sends nothing, say). That is an
        outage like a dead server's, told once by `outage_notices` after `outage_notice_minutes`, ended
        when the outbox moves again. While the SMTP server is down, that outage is the one told. Returns
        the number of organizations whose outbox is stuck."""
        if self.outages is None:
            return 0
        minutes = self.config.service.outbox_stuck_minutes
        now = self.clock.now()
        with self.store.transaction(readonly=True) as reg:
            rows = reg.session.execute(
                select(OutboxRow.org_id, func.count(), func.min(OutboxRow.created_at))
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now,
                       OutboxRow.created_at <= now - timedelta(minutes=minutes))
                .group_by(OutboxRow.org_id)).all()
            smtp_down = reg.session.execute(select(OutageRow.id).where(
                OutageRow.key == SMTP, OutageRow.ended_at.is_(None))).first() is not None
        # a dead SMTP server holds every mail: that outage says so already, and its notice says they wait
        stuck = {} if smtp_down else {org_id: (n, oldest) for org_id, n, oldest in rows}
        for org in self.config.organizations:
            key = outbox_key(org.id)
            if org.id in stuck:
                n, oldest = stuck[org.id]
                since = oldest.astimezone(self.calendars[org.id].tz).strftime("%Y-%m-%d %H:%M")
                self.outages.failing(key, org.id, f"utkorgen: {n} e-brev köade för mer än {minutes:g} minuter "
                                                  f"sedan har inte kunnat skickas (det äldsta sedan {since})")
            else:
                self.outages.ok(key)
        return len(stuck)

    def outage_notices(self) -> int:
        """Tell the registrar (and the operations address) of outages once they have lasted
        `outage_notice_minutes`, and once more when they have ended; returns the mails queued.

        What is due at one moment goes in one mail per organization: a mail server
        that stops takes every mailbox on it down at once, and that is one message.
        """
        threshold = timedelta(minutes=self.config.service.outage_notice_minutes)
        now = real_now()
        with self.store.transaction(readonly=True) as reg:
            due = reg.session.execute(select(OutageRow.id).where(
                ((OutageRow.ended_at.is_(None)) & (OutageRow.notified_at.is_(None))
                 & (OutageRow.started_at <= now - threshold))
                | ((OutageRow.ended_at.is_not(None)) & (OutageRow.notified_at.is_not(None))
                   & (OutageRow.resolved_notice_at.is_(None))))).first()
        if due is None:
            return 0
        try:
            return self._outage_notices(now, threshold)
        except IntegrityError:
            return 0  # another worker queued them first

    def _outage_notices(self, now: datetime, threshold: timedelta) -> int:
        with self.store.transaction() as reg:
            s = reg.session
            q = select(OutageRow).where(
                ((OutageRow.ended_at.is_(None)) & (OutageRow.notified_at.is_(None))
                 & (OutageRow.started_at <= now - threshold))
                | ((OutageRow.ended_at.is_not(None)) & (OutageRow.notified_at.is_not(None))
                   & (OutageRow.resolved_notice_at.is_(None)))).order_by(OutageRow.started_at, OutageRow.id)
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)  # a second worker takes none of these
            rows = list(s.execute(q).scalars())
            ops = self.config.service.operations_address
            made = 0
            for resolved in (False, True):
                group = [r for r in rows if (r.ended_at is not None) is resolved]
                if not group:
                    continue
                for i, org in enumerate(self.config.organizations):
                    mine = [r for r in group if r.org_id in (None, org.id)]
                    if not mine:
                        continue
                    to = (org.registrar,) + ((ops,) if ops and i == 0 and ops != org.registrar else ())
                    tz = self.calendars[org.id].tz
                    ended = [r.ended_at for r in mine if r.ended_at is not None]
                    subject, text, html = self.templates.render(
                        "outage", org.language, org=org,
                        what=", ".join(dict.fromkeys(_outage_what(r.key, self.config) for r in mine)),
                        started_at=min(r.started_at for r in mine).astimezone(tz),
                        ended_at=max(ended).astimezone(tz) if resolved and ended else None,
                        error="; ".join(dict.fromkeys(r.error for r in mine))[:400],
                        failures=sum(r.failures for r in mine), resolved=resolved)
                    seed = "|".join(str(r.id) for r in mine)
                    message_id = mime.make_message_id(f"outage|{seed}|{org.id}|{'end' if resolved else 'start'}",
                                                      mime.domain_of(org.complaints_address))
                    payload = mime.build(message_id=message_id, sender=(org.name, org.complaints_address), to=to,
                                         subject=subject, text=text, html=html, at=self.clock.now(),
                                         headers={"X-Mailflow-Purpose": "outage", "Auto-Submitted": "auto-generated"})
                    out = OutMail(message_id=message_id, purpose=Purpose.OUTAGE, sender=org.complaints_address,
                                  recipients=to, subject=subject, record_subject=subject, payload=payload)
                    queue(s, out, org_id=org.id, case_id=None, now=self.clock.now(), party_key=None)
                    made += 1
                for r in group:
                    if resolved:
                        r.resolved_notice_at = now
                    else:
                        r.notified_at = now
                log.info("event=outage_notice outages=%d resolved=%s mails=%d", len(group), resolved, made)
            return made

    def render_digest(self, org: Organization, day: date) -> tuple[str, str, str, datetime]:
        """The digest of `day`: (subject, text, html, since)."""
        cal = self.calendars[org.id]
        with self.store.transaction() as reg:
            s = reg.session
            previous = queries.last_digest(s, org.id)
            if previous is not None and previous.day < day:
                since = previous.sent_at
            else:  # the first digest, or a reprint: the working day before
                start = datetime.combine(day, clock_time(self.config.service.digest_time), tzinfo=cal.tz)
                since = start - timedelta(days=1)
                while not cal.is_working_day(since.astimezone(cal.tz).date()) and since > start - timedelta(days=7):
                    since -= timedelta(days=1)
            recs = queries.records(s, queries.digest_rows(s, org.id, since))
            events = [DigestEvent(ref, kind, at_)
                      for ref, kind, at_ in queries.events_since(s, org.id, since, ("feedback", "report"))]
            triage = [TriageItem(kind, at_, ref, note) for kind, ref, at_, note in
                      queries.waiting_messages(s, org.id, since)]
            triage += [TriageItem("failed_mail", at_, ref, _no_address(note)) for ref, at_, note in
                       queries.failed_mails(s, org.id, since)]
            for ref, at_, refused in queries.refused_mails(s, org.id, since):
                for r in refused:
                    who = r.get("to", "") if org.is_staff(r.get("to", "")) else (
                        "medborgaren" if org.language == "sv" else "the citizen")
                    triage.append(TriageItem("refused_recipient", at_, ref, _no_address(
                        f"{who}: {r.get('code') or '-'} {r.get('reason', '')}".strip(), keep=who)))
        if self.outages is not None:
            for o in self.outages.since(since):
                if o.org_id not in (None, org.id):
                    continue
                tz = cal.tz
                span = o.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                span += (" – " + o.ended_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")) if o.ended_at else (
                    " – pågår" if org.language == "sv" else " – ongoing")
                triage.append(TriageItem("outage", o.started_at, None,
                                         f"{_outage_what(o.key, self.config)}, {span}: {o.error[:160]}"))
        for r in recs:
            if r.status.value in queries.ACTIVE and r.handler_role == "triage":
                triage.append(TriageItem("unrouted", r.received_at, r.ref, r.triage or ""))
            elif r.triage and r.received_at >= since and "quotes case number" in r.triage:
                triage.append(TriageItem("foreign_ref", r.received_at, r.ref, "anger ett annat ärendes nummer"))
        digest = build_digest(org, day, since, recs, events, triage, cal)
        subject, text, html = self.templates.render("digest", org.language, **digest_context(digest, org, org.language))
        return subject, text, html, since

    def queue_digest(self, org: Organization, day: date) -> bool:
        """Queue the digest of `day` unless it was queued before (by this or another worker)."""
        with self.store.transaction() as reg:
            if queries.digest_for(reg.session, org.id, day) is not None:
                return False
        subject, text, html, _ = self.render_digest(org, day)
        now = self.clock.now()
        message_id = mime.make_message_id(f"{org.id}|digest|{day.isoformat()}", mime.domain_of(org.complaints_address))
        payload = mime.build(message_id=message_id, sender=(org.name, org.complaints_address), to=(org.registrar,),
                             subject=subject, text=text, html=html, at=now,
                             headers={"X-Mailflow-Purpose": Purpose.DIGEST.value, "Auto-Submitted": "auto-generated"})
        out = OutMail(message_id=message_id, purpose=Purpose.DIGEST, sender=org.complaints_address,
                      recipients=(org.registrar,), subject=subject, record_subject=subject, payload=payload)
        try:
            with self.store.transaction() as reg:
                reg.session.add(DigestRow(org_id=org.id, day=day, sent_at=now, message_id=message_id))
                reg.session.flush()
                queue(reg.session, out, org_id=org.id, case_id=None, now=now, party_key=None)
        except IntegrityError:
            return False  # another worker queued it first
        log.info("event=digest_queued org=%s day=%s", org.id, day.isoformat())
        return True


def _outage_what(key: str, config: Config) -> str:
    """What is out, in words that name no person: the SMTP server, or one mailbox of one organization."""
    if key == "smtp" or key.startswith("outbox:"):  # a stuck outbox waits on the SMTP server too
        return f"SMTP {config.smtp.host}:{config.smtp.port}"
    _, org_id, role = (key.split(":") + ["", ""])[:3]
    try:
        org = config.org(org_id)
    except KeyError:
        return key
    settings = org.imap if role == "complaints" else org.registrar_imap
    where = f"{settings.host}:{settings.port}" if settings is not None else ""
    return f"IMAP {org.id} {role} {where}".strip()


_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def _no_address(note: str, keep: str = "") -> str:
    """A server's error text without the addresses it quotes (the digest names no citizen)."""
    return _ADDRESS.sub(lambda m: m.group(0) if keep and m.group(0) == keep else "[e-post]", note)
