"""IMAP with imap-tools (blocking: call it from a worker thread).

Messages are fetched by UID with BODY.PEEK (never marked read by mailflow) and
their INTERNALDATE, sizes first, so large messages come one at a time and a
message over `max_message_bytes` comes as its header only; they are moved to
the processed or quarantine folder only after the transaction that recorded
them has committed. FETCH responses are read wherever the server puts UID and
INTERNALDATE (Exchange Online: after the body). Logging in is a password or
XOAUTH2 with a token from `mailflow.oauth` (Microsoft 365, Google); a refused
token is dropped and a new one tried once before the login counts as failed.
Folder names travel in modified UTF-7 ("Behandlade &AOQ-renden"); a server
without MOVE gets UID COPY, STORE \\Deleted and UID EXPUNGE of just those UIDs.
"""

from __future__ import annotations

import imaplib
import logging
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError
from imap_tools.utils import encode_folder

from mailflow.config import ImapSettings
from mailflow.errors import MailboxError, TokenError
from mailflow.oauth import Credentials, credentials_for

log = logging.getLogger(__name__)

_UID_RE = re.compile(rb"\bUID (\d+)")
_SIZE_RE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_DATE_RE = re.compile(rb'INTERNALDATE "([^"]+)"')
# errors that mean "the connection is gone or the server said no"
NETWORK_ERRORS = (imaplib.IMAP4.error, OSError, ssl.SSLError, socket.timeout, EOFError)
# bodies are fetched in chunks of at most this many bytes (a larger message alone) and messages
CHUNK_BYTES = 4 * 1024 * 1024
CHUNK_MESSAGES = 50
# RFC 2177: re-issue IDLE within 29 minutes
IDLE_RENEW_SECONDS = 25 * 60


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    internaldate: datetime
    size: int = 0
    too_large: bool = False  # only the header was fetched: the message is over max_message_bytes


def fetch_items(data: list[object]) -> list[tuple[bytes, bytes | None]]:
    """(items, literal) of each message in a FETCH response, wherever the server put UID and INTERNALDATE.

    imaplib gives a message with a literal as a tuple (text before the literal,
    literal) followed by the rest of its line; Exchange Online puts UID after the
    body, Dovecot before it, so both texts are read. A response without a literal
    (`UID 5 RFC822.SIZE 300`) is a bytes line of its own.
    """
    out: list[tuple[bytes, bytes | None]] = []
    i = 0
    while i < len(data):
        item = data[i]
        if isinstance(item, tuple) and len(item) >= 2:
            meta, literal = bytes(item[0]), bytes(item[1])
            if i + 1 < len(data) and isinstance(data[i + 1], bytes):
                meta += b" " + bytes(data[i + 1])  # type: ignore[arg-type]
                i += 1
            out.append((meta, literal))
        elif isinstance(item, bytes) and _UID_RE.search(item):
            out.append((item, None))
        i += 1
    return out


def keyword_for(reason: str) -> str:
    """An IMAP keyword (an atom) naming why a message was quarantined, for the copy in the folder."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", reason).strip("-").lower()[:40] or "unreadable"
    return f"mailflow-{slug}"


_Box = MailBox | MailBoxUnencrypted | MailBoxStartTls


class ImapMailbox:
    """One folder of one account."""

    def __init__(self, settings: ImapSettings, env: dict[str, str] | None = None,
                 credentials: Credentials | None = None) -> None:
        self.settings = settings
        self.credentials = credentials or credentials_for(settings, settings.username, settings.password_env, env,
                                                          what=f"IMAP account {settings.username}")
        self.box: _Box | None = None
        self.uidvalidity = 0
        self.supports_idle = False

    def _open(self) -> _Box:
        s = self.settings
        if s.ssl:
            return MailBox(s.host, s.port, timeout=s.timeout_seconds)
        if s.starttls:
            return MailBoxStartTls(s.host, s.port, timeout=s.timeout_seconds)
        return MailBoxUnencrypted(s.host, s.port, timeout=s.timeout_seconds)

    def _login(self) -> _Box:
        """A logged-in connection: the password, or XOAUTH2 with a token; a refused token is dropped and a
        new one tried once on a new connection (a token revoked or ended before its time)."""
        s, creds = self.settings, self.credentials
        box = self._open()
        if not creds.oauth:
            box.login(s.username, creds.password(), initial_folder=None)
            return box
        for attempt in (1, 2):
            try:
                token = creds.token()
            except TokenError as exc:
                _close_quietly(box)
                raise MailboxError(str(exc)) from None
            try:
                box.xoauth2(s.username, token, initial_folder=None)
                return box
            except (MailboxLoginError, imaplib.IMAP4.error) as exc:
                if isinstance(exc, imaplib.IMAP4.abort):
                    raise
                creds.invalidate(token)
                _close_quietly(box)
                if attempt == 2:
                    raise MailboxError(f"XOAUTH2 login refused for {s.username} at {s.host}:{s.port} "
                                       f"(a new token was refused too): {_server_words(exc)}") from None
                log.info("event=token_refused mailbox_host=%s retry=new_token", s.host)
                box = self._open()
        raise AssertionError("unreachable")

    def connect(self) -> None:
        s = self.settings
        try:
            box = self._login()
            _refresh_capabilities(box.client)  # many servers announce MOVE, UIDPLUS, … only after login
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

    def capabilities(self) -> tuple[str, ...]:
        """What the server announced after login (MOVE, UIDPLUS, IDLE, …)."""
        return tuple(self._box.client.capabilities)

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

    def _uid_fetch(self, uids: list[int], items: str) -> list[tuple[bytes, bytes | None]]:
        client = self._box.client
        try:
            typ, data = client.uid("FETCH", ",".join(map(str, uids)), items)
        except NETWORK_ERRORS as exc:
            raise MailboxError(f"FETCH failed: {type(exc).__name__}") from exc
        if typ != "OK":
            raise MailboxError(f"FETCH refused: {typ}")
        return fetch_items(list(data or []))

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """RFC822.SIZE of each message, asked before any body is fetched."""
        out: dict[int, int] = {}
        for i in range(0, len(uids), 500):
            for meta, _ in self._uid_fetch(uids[i:i + 500], "(UID RFC822.SIZE)"):
                m_uid, m_size = _UID_RE.search(meta), _SIZE_RE.search(meta)
                if m_uid:
                    out[int(m_uid.group(1))] = int(m_size.group(1)) if m_size else 0
        return out

    def fetch(self, uids: list[int], max_bytes: int | None = None) -> Iterator[Fetched]:
        """The raw messages with their INTERNALDATE, a few at a time, never many large ones at once.

        A message over `max_bytes` comes as its header only (`too_large`), so it can
        be recorded and quarantined without being read.
        """
        if not uids:
            return
        sizes = self.sizes(uids)
        chunk: list[int] = []
        chunk_bytes = 0

        def flush(part: list[int], items: str, too_large: bool = False) -> Iterator[Fetched]:
            got: set[int] = set()
            for meta, raw in self._uid_fetch(part, items):
                m_uid = _UID_RE.search(meta)
                if not m_uid or raw is None:
                    continue
                uid = int(m_uid.group(1))
                got.add(uid)
                yield Fetched(uid=uid, raw=raw, internaldate=_internaldate(_DATE_RE.search(meta)),
                              size=sizes.get(uid, len(raw)), too_large=too_large)
            for uid in sorted(set(part) - got):  # expunged meanwhile, or a server that answered oddly
                log.warning("event=fetch_missing uid=%s", uid)

        for uid in uids:
            if uid not in sizes:
                log.warning("event=fetch_missing uid=%s stage=size", uid)
                continue
            size = sizes[uid]
            if max_bytes is not None and size > max_bytes:
                yield from flush([uid], "(UID INTERNALDATE BODY.PEEK[HEADER])", too_large=True)
                continue
            if chunk and (chunk_bytes + size > CHUNK_BYTES or len(chunk) >= CHUNK_MESSAGES):
                yield from flush(chunk, "(UID INTERNALDATE BODY.PEEK[])")
                chunk, chunk_bytes = [], 0
            chunk.append(uid)
            chunk_bytes += size
        if chunk:
            yield from flush(chunk, "(UID INTERNALDATE BODY.PEEK[])")

    def move(self, uids: list[int], folder: str) -> None:
        """Move messages; those already gone (another worker moved them first) are no error."""
        try:
            self._move(uids, folder)
            return
        except UnexpectedCommandStatusError:
            pass
        except NETWORK_ERRORS as exc:
            raise MailboxError(f"MOVE failed: {type(exc).__name__}") from exc
        try:
            present = set(self.uids())
            left = [u for u in uids if u in present]
            if left:
                self._move(left, folder)
        except (UnexpectedCommandStatusError, *NETWORK_ERRORS) as exc:
            raise MailboxError(f"MOVE failed: {type(exc).__name__}") from exc

    def _move(self, uids: list[int], folder: str) -> None:
        """UID MOVE (RFC 6851) where offered; else UID COPY, then \\Deleted and an expunge of only these
        UIDs (UID EXPUNGE, RFC 4315), never another client's deleted messages where UIDPLUS is offered."""
        box = self._box
        caps = box.client.capabilities
        uid_set = ",".join(map(str, uids))
        if "MOVE" in caps:
            box.move([str(u) for u in uids], folder)
            return
        box.copy([str(u) for u in uids], folder)
        result = box.client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
        if result[0] != "OK":
            raise UnexpectedCommandStatusError(result, "OK")
        if "UIDPLUS" in caps:
            # imaplib knows no UID EXPUNGE: the command by hand
            result = box.client._simple_command("UID", "EXPUNGE", uid_set)  # type: ignore[attr-defined]
        else:  # RFC 3501 EXPUNGE removes every \\Deleted message of the folder: what a server without UIDPLUS offers
            result = box.client.expunge()
        if result[0] != "OK":
            raise UnexpectedCommandStatusError(result, "OK")
        log.debug("event=moved_without_move count=%d", len(uids))

    def label(self, uids: list[int], keyword: str) -> None:
        """Set a keyword on messages (the quarantine reason); a server without keywords is no error."""
        try:
            self._box.flag([str(u) for u in uids], keyword, True)
        except (UnexpectedCommandStatusError, imaplib.IMAP4.error) as exc:
            log.info("event=keyword_refused error=%s", type(exc).__name__)
        except NETWORK_ERRORS as exc:
            raise MailboxError(f"STORE failed: {type(exc).__name__}") from exc

    def idle(self, stop: threading.Event, renew_seconds: float = IDLE_RENEW_SECONDS) -> bool:
        """One IDLE until something arrives, `stop` is set or it is time to renew; True when mail arrived.

        The IDLE stays open between polls (one second each, so a stop is noticed);
        the caller looks for new UIDs after every DONE, so nothing that arrives
        while DONE is on its way is missed.
        """
        box = self._box
        box.client.untagged_responses.clear()
        try:
            box.idle.start()
        except (UnexpectedCommandStatusError, *NETWORK_ERRORS) as exc:
            raise MailboxError(f"IDLE failed: {type(exc).__name__}") from exc
        # news the server gave with its answer to IDLE (imaplib files it away as an untagged response)
        arrived = any(k in box.client.untagged_responses for k in ("EXISTS", "RECENT"))
        started = time.monotonic()
        try:
            while not arrived and not stop.is_set() and time.monotonic() - started < renew_seconds:
                lines = _idle_lines(box.client, 1.0)
                if any(b"BYE" in line[:12] for line in lines):
                    raise MailboxError("the server closed the connection (BYE)")
                if any(b"EXISTS" in line or b"RECENT" in line for line in lines):
                    arrived = True
                    break
        finally:
            if self.box is not None:
                try:
                    box.idle.stop()
                except (UnexpectedCommandStatusError, *NETWORK_ERRORS) as exc:
                    raise MailboxError(f"IDLE DONE failed: {type(exc).__name__}") from exc
        return arrived

    def wait(self, seconds: float) -> bool:
        """Block up to `seconds` for news (IDLE where offered). True when something arrived."""
        if not (self.supports_idle and self.settings.idle):
            return False
        return self.idle(threading.Event(), seconds)

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
        except Exception:  # noqa: BLE001  the connection may already be gone; closing must not fail
            try:
                box.client.shutdown()
            except Exception:  # noqa: BLE001
                pass


def _close_quietly(box: _Box) -> None:
    try:
        box.client.shutdown()
    except (OSError, imaplib.IMAP4.error):
        pass


def _server_words(exc: BaseException) -> str:
    """What the server said on a refused login (its own words: never the token that was sent)."""
    return " ".join(str(exc).split())[:200]


def folder_name(folder: str) -> bytes:
    """A folder name as it goes on the wire: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    return encode_folder(folder)


def _refresh_capabilities(client: imaplib.IMAP4) -> None:
    try:
        typ, data = client.capability()
    except NETWORK_ERRORS:
        return
    if typ == "OK" and data and isinstance(data[0], bytes):
        client.capabilities = tuple(data[0].decode("ascii", "replace").upper().split())


def _buffered(client: imaplib.IMAP4) -> bool:
    """Whether a reply is already read from the socket but not yet taken (Python's or TLS's buffer)."""
    sock = client.sock
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    old = sock.gettimeout()
    sock.settimeout(0)
    try:
        return bool(client.file.peek(1))  # type: ignore[attr-defined]
    except (BlockingIOError, ssl.SSLWantReadError, OSError, ValueError):
        return False
    finally:
        try:
            sock.settimeout(old)
        except OSError:
            pass


def _idle_lines(client: imaplib.IMAP4, timeout: float) -> list[bytes]:
    """The untagged lines that arrive within `timeout` during IDLE; MailboxError when the connection ends.

    Lines are read whole (blocking, briefly): a server's line may arrive in pieces,
    and a line already buffered is taken before the socket is waited on.
    """
    sock = client.sock
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
    if not _buffered(client) and not poller.poll(timeout * 1000):
        return []
    lines: list[bytes] = []
    old = sock.gettimeout()
    try:
        sock.settimeout(30)
        while True:
            try:
                line = client._get_line()  # type: ignore[attr-defined]
            except (imaplib.IMAP4.abort, OSError, EOFError) as exc:
                raise MailboxError(f"connection lost during IDLE: {type(exc).__name__}") from exc
            lines.append(line)
            if not _buffered(client) and not poller.poll(0):
                break
    finally:
        try:
            sock.settimeout(old)
        except OSError:
            pass
    return lines


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
