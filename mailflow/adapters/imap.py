"""IMAP with imap-tools (blocking: call it from a worker thread).

Messages are fetched by UID with BODY.PEEK (never marked read by mailflow) and
their INTERNALDATE; they are moved to the processed or quarantine folder only
after the transaction that recorded them has committed.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from mailflow.config import ImapSettings, secret
from mailflow.errors import MailboxError

log = logging.getLogger(__name__)

_FETCH_RE = re.compile(rb"UID (\d+)")
_DATE_RE = re.compile(rb'INTERNALDATE "([^"]+)"')
# errors that mean "the connection is gone or the server said no"
NETWORK_ERRORS = (imaplib.IMAP4.error, OSError, ssl.SSLError, socket.timeout, EOFError)


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    internaldate: datetime


class ImapMailbox:
    """One folder of one account."""

    def __init__(self, settings: ImapSettings, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.password = secret(settings.password_env, env, what=f"IMAP account {settings.username}")
        self.box: MailBox | MailBoxUnencrypted | MailBoxStartTls | None = None
        self.uidvalidity = 0
        self.supports_idle = False

    def connect(self) -> None:
        s = self.settings
        try:
            if s.ssl:
                box: MailBox | MailBoxUnencrypted | MailBoxStartTls = MailBox(s.host, s.port, timeout=s.timeout_seconds)
            elif s.starttls:
                box = MailBoxStartTls(s.host, s.port, timeout=s.timeout_seconds)
            else:
                box = MailBoxUnencrypted(s.host, s.port, timeout=s.timeout_seconds)
            box.login(s.username, self.password, initial_folder=None)
            for folder in (s.folder, s.processed_folder, s.quarantine_folder):
                if folder.upper() != "INBOX" and not box.folder.exists(folder):
                    box.folder.create(folder)
            box.folder.set(s.folder)
            status = box.folder.status(s.folder, ["UIDVALIDITY"])
        except MailboxLoginError as exc:
            raise MailboxError(f"login refused for {s.username} at {s.host}:{s.port}") from exc
        except (UnexpectedCommandStatusError, *NETWORK_ERRORS) as exc:
            raise MailboxError(f"{s.host}:{s.port}: {type(exc).__name__}: {str(exc)[:200]}") from exc
        self.box = box
        self.uidvalidity = int(status.get("UIDVALIDITY", 0))
        self.supports_idle = "IDLE" in box.client.capabilities

    @property
    def _box(self) -> MailBox | MailBoxUnencrypted | MailBoxStartTls:
        if self.box is None:
            raise MailboxError("not connected")
        return self.box

    def uids(self) -> list[int]:
        try:
            return sorted(int(u) for u in self._box.uids("ALL"))
        except (UnexpectedCommandStatusError, *NETWORK_ERRORS) as exc:
            raise MailboxError(f"SEARCH failed: {type(exc).__name__}") from exc

    def fetch(self, uids: list[int]) -> Iterator[Fetched]:
        """The raw messages with their INTERNALDATE, a few at a time."""
        client = self._box.client
        for i in range(0, len(uids), 20):
            chunk = uids[i : i + 20]
            try:
                typ, data = client.uid("FETCH", ",".join(map(str, chunk)), "(UID INTERNALDATE BODY.PEEK[])")
            except NETWORK_ERRORS as exc:
                raise MailboxError(f"FETCH failed: {type(exc).__name__}") from exc
            if typ != "OK":
                raise MailboxError(f"FETCH refused: {typ}")
            for item in data:
                if not isinstance(item, tuple):
                    continue
                meta, raw = item[0], item[1]
                m_uid, m_date = _FETCH_RE.search(meta), _DATE_RE.search(meta)
                if not m_uid:
                    continue
                yield Fetched(uid=int(m_uid.group(1)), raw=bytes(raw), internaldate=_internaldate(m_date))

    def move(self, uids: list[int], folder: str) -> None:
        try:
            self._box.move([str(u) for u in uids], folder)
        except (UnexpectedCommandStatusError, *NETWORK_ERRORS) as exc:
            raise MailboxError(f"MOVE failed: {type(exc).__name__}") from exc

    def wait(self, seconds: float) -> bool:
        """Block up to `seconds` for news (IDLE where offered). True when something arrived."""
        box = self._box
        if not (self.supports_idle and self.settings.idle):
            return False
        try:
            responses = box.idle.wait(timeout=seconds)
        except (UnexpectedCommandStatusError, *NETWORK_ERRORS) as exc:
            raise MailboxError(f"IDLE failed: {type(exc).__name__}") from exc
        return any(b"EXISTS" in r or b"RECENT" in r for r in responses)

    def noop(self) -> None:
        try:
            self._box.client.noop()
        except NETWORK_ERRORS as exc:
            raise MailboxError(f"NOOP failed: {type(exc).__name__}") from exc

    def close(self) -> None:
        box, self.box = self.box, None
        if box is None:
            return
        try:
            box.logout()
        except Exception:  # the connection may already be gone; closing must not fail
            try:
                box.client.shutdown()
            except Exception:
                pass


_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
_INTERNAL = re.compile(r"\s*(\d{1,2})-(\w{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})")


def _internaldate(m: re.Match[bytes] | None) -> datetime:
    """INTERNALDATE "17-Jul-1996 02:44:25 -0700" as an aware UTC datetime."""
    p = _INTERNAL.match(m.group(1).decode("ascii", "replace")) if m else None
    if p is None or p.group(2) not in _MONTHS:
        return datetime.now(timezone.utc)
    day, mon, year, hh, mm, ss, sign, oh, om = p.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
    local = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))
    return local.astimezone(timezone.utc)
