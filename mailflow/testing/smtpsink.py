"""An SMTP listener (aiosmtpd) that records what it is given and delivers local mail to Dovecot.

A recipient that `route` maps to a mailbox user gets the message APPENDed to
that user's INBOX (with Return-Path and Delivered-To added, as an MTA would),
so a CC to the registrar really lands in the registrar's mailbox. `fail_next`
makes the next deliveries fail with a temporary error, for retry tests.

With `xoauth2` (a check of a token for a user, the token server's) it offers
AUTH XOAUTH2 only and requires it, as Exchange Online's and Gmail's SMTP AUTH
do: a refused token gets the base64 JSON error challenge, then 535.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from mailflow.testing.dovecot import Dovecot, free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


@dataclass
class Handler:
    dovecot: Dovecot | None
    route: Callable[[str], str | None]
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    fail_reply: str = "451 4.3.0 temporary failure, try again later"
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_reply
        data = bytes(envelope.original_content or envelope.content)
        item = Received(envelope.mail_from, tuple(a.lower() for a in envelope.rcpt_tos), data)
        if self.dovecot is not None:
            for rcpt in item.rcpt_tos:
                user = self.route(rcpt)
                if user is None:
                    continue
                header = f"Return-Path: <{item.mail_from}>\r\nDelivered-To: {rcpt}\r\n".encode()
                try:
                    await asyncio.to_thread(self.dovecot.append, user, header + data)
                except Exception:  # noqa: BLE001  the mail store is away: as an MTA would, try later
                    return "451 4.3.0 local delivery failed, try again later"
        with self.lock:
            self.received.append(item)
        return "250 2.0.0 delivered"


@dataclass
class OAuthHandler(Handler):
    """A handler whose listener takes XOAUTH2 logins, checked with `check(token, user)`."""

    check: Callable[[str, str], bool] | None = None
    logins: list[str] = field(default_factory=list)  # the users who logged in
    refused: int = 0

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        if len(args) > 1:
            blob: Any = args[1]
        else:
            blob = await server.challenge_auth("", encode_to_b64=False)
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=False)
            blob = blob.decode("ascii", "replace")
        try:
            text = base64.b64decode(blob, validate=True).decode("utf-8")
            fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
            user, token = fields["user"], fields["auth"].removeprefix("Bearer ")
        except (binascii.Error, UnicodeDecodeError, KeyError, ValueError):
            return AuthResult(success=False, handled=False)
        if self.check is not None and await asyncio.to_thread(self.check, token, user):
            with self.lock:
                self.logins.append(user.lower())
            return AuthResult(success=True, auth_data=user)
        with self.lock:
            self.refused += 1
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://outlook.office365.com/.default"})
        await server.challenge_auth(base64.b64encode(error.encode()).decode(), encode_to_b64=False)
        return AuthResult(success=False, handled=False)


class SmtpSink:
    """Start and stop the listener on a loopback port."""

    def __init__(self, dovecot: Dovecot | None, route: Callable[[str], str | None] | None = None,
                 port: int | None = None, *, login: tuple[str, str] | None = None, smtputf8: bool = True,
                 handler: Handler | None = None, size_limit: int | None = None,
                 xoauth2: Callable[[str, str], bool] | None = None) -> None:
        """`login`: the listener requires AUTH with this user and password; `xoauth2`: it requires AUTH
        XOAUTH2 with a token this function accepts for the user; `smtputf8=False`: it does not offer
        SMTPUTF8 (so non-ASCII addresses cannot be given to it)."""
        self.port = port or free_port()
        if handler is None and xoauth2 is not None:
            handler = OAuthHandler(dovecot, route or (lambda addr: addr), check=xoauth2)
        self.handler = handler or Handler(dovecot, route or (lambda addr: addr))
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
        if size_limit is not None:  # announced as SIZE; larger mails are refused
            kwargs["data_size_limit"] = size_limit
        if login is not None:
            user, password = login

            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = (getattr(data, "login", b""), getattr(data, "password", b"")) == (user.encode(), password.encode())
                return AuthResult(success=ok, handled=False)

            kwargs.update(auth_required=True, auth_require_tls=False, authenticator=authenticator)
        elif xoauth2 is not None:
            kwargs.update(auth_required=True, auth_require_tls=False, auth_exclude_mechanism=["PLAIN", "LOGIN"])
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received
