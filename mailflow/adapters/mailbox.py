"""The mailbox seam: what the service needs of a watched folder, whatever serves it.

Today that is IMAP (`ImapMailbox`); a Microsoft Graph mailbox (for tenants that
switch IMAP off) is the next to stand beside it. Such an adapter gives each
message a stable integer id within a folder generation (`uidvalidity`; Graph's
immutable ids mapped to integers it keeps), reads the raw MIME message with its
received time, moves by id after the commit, and waits for news (Graph change
notifications or delta polling in place of IDLE). `open_mailbox` picks the
adapter from the settings; the service calls nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

from mailflow.adapters.imap import Fetched, ImapMailbox
from mailflow.config import ImapSettings


class Mailbox(Protocol):
    """One folder of one account, as the service uses it (blocking: call it from a worker thread)."""

    settings: ImapSettings
    uidvalidity: int  # a new value means every id of the folder is new (RFC 3501 UIDVALIDITY)
    supports_idle: bool

    def connect(self) -> None:
        """Log in and select the watched folder, creating the processed and quarantine folders;
        MailboxError when the server cannot be used (unreachable, login or token refused)."""

    def uids(self) -> list[int]:
        """The ids of every message in the watched folder, ascending."""

    def fetch(self, uids: list[int], max_bytes: int | None = None) -> Iterator[Fetched]:
        """The raw messages with their received time, a few at a time; over `max_bytes`: the header only."""

    def move(self, uids: list[int], folder: str) -> None:
        """Move messages to another folder; those already gone are no error."""

    def label(self, uids: list[int], keyword: str) -> None:
        """Mark messages with a keyword (the quarantine reason), where the server keeps keywords."""

    def idle(self, stop: threading.Event, renew_seconds: float = ...) -> bool:
        """Wait for news until `stop` or `renew_seconds`; True when something arrived."""

    def close(self) -> None:
        """Log out; never raises."""


def open_mailbox(settings: ImapSettings, env: dict[str, str] | None = None) -> Mailbox:
    """The adapter for these settings (IMAP: the only kind so far)."""
    return ImapMailbox(settings, env)
