"""`mailflow export`: an organization's register as JSON Lines a records system can import.

One object per line: first `{"type": "export", …}` (the organization, when, how
many cases), then per case `{"type": "case", …}` with the fields of
`mailflow case REF --json`, its `{"type": "message", "case": REF, …}` and
`{"type": "event", "case": REF, …}` lines. What the register keeps is
de-identified already (SPEC 2.8); the person records are never read, and any
address left in an event that is not staff's becomes `[e-post]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.queries import case_dict
from mailflow.adapters.tables import CaseRow
from mailflow.config import Organization

FORMAT = "mailflow-register/1"
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def _scrub(value: Any, org: Organization) -> Any:
    if isinstance(value, str):
        return _ADDRESS.sub(lambda m: m.group(0) if org.is_staff(m.group(0)) else "[e-post]", value)
    if isinstance(value, list):
        return [_scrub(v, org) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, org) for k, v in value.items()}
    return value


def export_org(session: Session, org: Organization, tz: ZoneInfo, write: Callable[[str], None]) -> dict[str, int]:
    """Write the organization's register, line by line; how many cases, messages and events."""
    ids = list(session.execute(select(CaseRow.id).where(CaseRow.org_id == org.id)
                               .order_by(CaseRow.received_at, CaseRow.id)).scalars())
    counts = {"cases": 0, "messages": 0, "events": 0}

    def line(obj: dict[str, Any]) -> None:
        write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")

    line({"type": "export", "format": FORMAT, "org": org.id, "name": org.name, "cases": len(ids),
           "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    for case_id in ids:
        row = session.get(CaseRow, case_id)
        if row is None:
            continue
        data = case_dict(session, row, tz)
        messages, events = data.pop("messages"), data.pop("events")
        line({"type": "case", **_scrub(data, org)})
        for m in messages:
            line({"type": "message", "case": row.ref, **_scrub(m, org)})
        for e in events:
            line({"type": "event", "case": row.ref, **_scrub(e, org)})
        counts["cases"] += 1
        counts["messages"] += len(messages)
        counts["events"] += len(events)
    return counts
