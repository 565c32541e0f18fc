"""`--log-format json`: one JSON object per event, with the fields of the key=value line.

mailflow's log lines are `event=registered mailbox=norrmalm:complaints uid=4
outcome=registered case=NM-2026-0001`; the JSON line carries the same fields
(`{"ts": …, "level": "INFO", "logger": …, "event": "registered", "mailbox": …}`),
so what never goes into a line (addresses, subjects, bodies) never goes into the
JSON either. A line that is not key=value keeps its text as `message`.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from typing import Any

# a field starts at a word followed by "=", at the start or after a space; its value runs to the next field
_FIELD = re.compile(r"(?:^|(?<=\s))([A-Za-z_][A-Za-z0-9_.]*)=")
_RESERVED = {"ts", "level", "logger"}


def fields(message: str) -> dict[str, str]:
    """`event=x a=1 error=b c d` -> {"event": "x", "a": "1", "error": "b c d"}; {} when not key=value."""
    matches = list(_FIELD.finditer(message))
    if not matches or matches[0].start() != 0:
        return {}
    out: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(message)
        key = m.group(1)
        out[key if key not in _RESERVED else f"field_{key}"] = message[m.end():end].strip()
    return out


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        parsed = fields(message)
        if parsed:
            data.update(parsed)
        else:
            data["message"] = message
        if record.exc_info and record.levelno <= logging.DEBUG:
            data["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_info and record.exc_info[0] is not None:
            data["exc_type"] = record.exc_info[0].__name__
        return json.dumps(data, ensure_ascii=False)
