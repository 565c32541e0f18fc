"""Credentials: a password, or an access token asked for before each login and cached until near its end."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from mailflow.config import MailAuth, secret
from mailflow.errors import TokenError

# a token is renewed this long before it ends (or at half its life, when it lives shorter than twice this)
REFRESH_MARGIN_SECONDS = 300.0


@dataclass(frozen=True)
class AccessToken:
    """An access token and when it ends (epoch seconds); its value never shows in a repr or a log."""

    value: str = field(repr=False)
    expires_at: float
    obtained_at: float = field(default_factory=time.time)

    def fresh(self, now: float) -> bool:
        margin = min(REFRESH_MARGIN_SECONDS, (self.expires_at - self.obtained_at) / 2)
        return now < self.expires_at - margin

    def __str__(self) -> str:
        return f"AccessToken(expires_at={self.expires_at:.0f})"


class TokenSource(Protocol):
    """Where tokens come from: a token endpoint, through a library or directly."""

    describe: str  # "provider microsoft, tenant …": for errors, never a secret

    def fetch(self) -> AccessToken:
        """A new token from the endpoint; TokenError when none can be had."""

    def forget(self) -> None:
        """Drop whatever the library cached, so the next fetch asks the endpoint."""


class Credentials(Protocol):
    """What the IMAP and SMTP adapters log in with."""

    user: str
    oauth: bool

    def password(self) -> str: ...

    def token(self) -> str: ...

    def invalidate(self, token: str) -> None: ...


class PasswordCredentials:
    """A password from the environment variable the config names (read when made, as before)."""

    oauth = False

    def __init__(self, user: str, password_env: str | None, env: dict[str, str] | None, what: str) -> None:
        self.user = user
        self._password = secret(password_env, env, what=what)

    def password(self) -> str:
        return self._password

    def token(self) -> str:
        raise TokenError("password credentials have no token")

    def invalidate(self, token: str) -> None:
        pass

    def __repr__(self) -> str:
        return f"PasswordCredentials(user={self.user!r})"


class TokenCache:
    """The tokens of one account (or one app): cached, renewed before they end, dropped when refused."""

    def __init__(self, source: TokenSource, clock: Callable[[], float] = time.time) -> None:
        self.source = source
        self.clock = clock
        self._token: AccessToken | None = None
        self._lock = threading.Lock()
        self.fetches = 0  # tokens asked of the endpoint (the tests count them)

    def token(self) -> str:
        """A token with some life left: the cached one, else a new one from the endpoint."""
        with self._lock:
            t = self._token
            if t is None or not t.fresh(self.clock()):
                t = self.source.fetch()
                self.fetches += 1
                self._token = t
            return t.value

    def invalidate(self, token: str) -> None:
        """A server refused this token (revoked, or ended early): never hand it out again."""
        with self._lock:
            if self._token is not None and self._token.value == token:
                self._token = None
            self.source.forget()


class OAuthCredentials:
    """An account that logs in with XOAUTH2."""

    oauth = True

    def __init__(self, user: str, cache: TokenCache, what: str = "") -> None:
        self.user = user
        self.cache = cache
        self.what = what or user

    def password(self) -> str:
        raise TokenError(f"{self.user} logs in with OAuth 2.0, not a password")

    def token(self) -> str:
        """A fresh token; TokenError naming this account, the tenant and the endpoint's reason."""
        try:
            return self.cache.token()
        except TokenError as exc:
            sep = " " if str(exc).startswith("(") else ": "
            raise TokenError(f"no OAuth 2.0 token for {self.what}{sep}{exc}", reason=exc.reason or str(exc),
                             permanent=exc.permanent) from None

    def invalidate(self, token: str) -> None:
        self.cache.invalidate(token)

    def __repr__(self) -> str:
        return f"OAuthCredentials(user={self.user!r}, {self.cache.source.describe})"


# one token cache per app (Microsoft's client credentials serve every mailbox) or account, for the
# whole process: a mailbox reconnects with a new ImapMailbox, and the token it had is still good
_CACHE: dict[tuple[object, ...], TokenCache] = {}
_CACHE_LOCK = threading.Lock()


def _cache_key(s: MailAuth, user: str, env: dict[str, str] | None) -> tuple[object, ...]:
    app_wide = s.provider == "microsoft" and s.grant == "client_credentials"
    secret_value = secret(s.client_secret_env, env, what=f"the app {s.client_id}", kind="the client secret")
    return (s.provider, s.grant, s.tenant_id, s.client_id, hashlib.sha256(secret_value.encode()).hexdigest(),
            s.client_certificate_path, s.authority_host, s.token_url, s.oauth_scope(), s.refresh_token_path,
            s.service_account_file, s.ca_file, None if app_wide else user.lower())


def credentials_for(settings: MailAuth, user: str, password_env: str | None = None,
                    env: dict[str, str] | None = None, *, what: str) -> Credentials:
    """How to log in as `user` (`what` names the account in errors: "IMAP account x@y")."""
    if settings.auth == "password":
        return PasswordCredentials(user, password_env, env, what)
    from mailflow.oauth.sources import make_source

    key = _cache_key(settings, user, env)
    with _CACHE_LOCK:
        cache = _CACHE.get(key)
        if cache is None:
            cache = _CACHE[key] = TokenCache(make_source(settings, user, env, what))
    return OAuthCredentials(user, cache, what)


def forget_all() -> None:
    """Drop every cached token (the tests, between configurations)."""
    with _CACHE_LOCK:
        _CACHE.clear()
