"""A form submission into the register: the pipeline's steps and the register's filing, in one transaction.

The case, the message, the raw archive, the events, the queued acknowledgment
and forward, and the form's idempotency key commit together before the receipt
is shown. A second post of the same form instance (a double click, a reload)
finds the key and shows the same receipt; two at the same moment meet at the
key's unique index (and the message's), and the loser shows the winner's case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailflow import pipeline
from mailflow.adapters.tables import CaseEventRow, CaseRow, WebSubmissionRow
from mailflow.errors import DuplicateMessage, MailError
from mailflow.model import Outcome
from mailflow.pipeline.parse import parse_bytes
from mailflow.pipeline.web import Submission, build_raw, to_mail, web_steps
from mailflow.service import Service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    """What the receipt page shows: no personal data."""

    ref: str
    org_id: str
    language: str
    feedback_due: date | None
    first_response_due: date | None
    anonymous: bool
    acknowledged: bool
    again: bool = False  # the same form sent before


def _receipt(service: Service, key: str, again: bool) -> Receipt | None:
    with service.store.transaction(readonly=True) as reg:
        s = reg.session
        found = s.execute(select(CaseRow).join(WebSubmissionRow, WebSubmissionRow.case_id == CaseRow.id)
                          .where(WebSubmissionRow.key == key)).scalar_one_or_none()
        if found is None:
            return None
        acked = s.execute(select(CaseEventRow.id).where(CaseEventRow.case_id == found.id,
                                                        CaseEventRow.kind == "acknowledged").limit(1)).first()
        return Receipt(found.ref, found.org_id, found.language, found.feedback_due, found.first_response_due,
                       "anonymous" in (found.flags or []), acked is not None, again)


def known(service: Service, key: str) -> Receipt | None:
    """The receipt of a form instance sent before (None when it is new)."""
    return _receipt(service, key, again=True)


def submit(service: Service, sub: Submission, now: datetime) -> Receipt:
    """Register the submission (or find the case it made before); committed when this returns."""
    org = service.config.org(sub.org_id)
    raw = build_raw(sub, org, now)
    parsed = parse_bytes(raw)
    if isinstance(parsed, str):  # our own message: only a bug gets here
        raise MailError(f"the web form's message cannot be read: {parsed}")
    mail = to_mail(sub, org, now, raw, parsed)
    try:
        with service.store.transaction() as reg:
            if reg.session.get(WebSubmissionRow, sub.key) is None:
                ctx = pipeline.Context(service.config, org, service.clock, reg, service.templates,
                                       service.calendars[org.id])
                mail = pipeline.run(mail, ctx, web_steps())
                if mail.outcome is not Outcome.DUPLICATE:
                    case_id = reg.file(mail, now)
                    reg.session.add(WebSubmissionRow(key=sub.key, org_id=org.id, case_id=case_id, created_at=now))
                    reg.session.flush()
                    log.info("event=web_submission org=%s case=%s outcome=%s", org.id, mail.case_ref or "-",
                             mail.outcome or Outcome.REGISTERED)
    except (DuplicateMessage, IntegrityError):
        log.info("event=web_submission_again org=%s", org.id)  # the same form at the same moment: one case
    receipt = _receipt(service, sub.key, again=False)
    if receipt is None:
        raise MailError("the web form's case was not registered")
    service.wake()
    return receipt
