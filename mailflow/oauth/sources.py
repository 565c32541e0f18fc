"""Token sources: MSAL for Microsoft 365, google-auth for a Google service account, a plain token endpoint.

Each turns what the endpoint said into a `TokenError` naming the account, the
tenant (or client) and the endpoint's own reason (`invalid_client: AADSTS7000215:
Invalid client secret provided …`), with `permanent` set when the endpoint
refused rather than could not be reached. No secret, assertion or token is ever
put into an error or a log line.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timezone
from pathlib import Path
from typing import Any

import requests

from mailflow.config import MICROSOFT_AUTHORITY, MailAuth, secret
from mailflow.errors import ConfigError, TokenError
from mailflow.oauth.refresh import RefreshTokenFile
from mailflow.oauth.tokens import AccessToken, TokenSource

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
DEFAULT_LIFETIME = 3600  # when an endpoint does not say how long its token lives
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"


def _first_line(text: object, limit: int = 300) -> str:
    """An endpoint's error description without its trace and correlation ids (Entra adds them on new lines)."""
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return line[:limit]


class _Session(requests.Session):
    """A session whose CA bundle and timeout hold for every request: requests lets REQUESTS_CA_BUNDLE
    override a session's `verify`, which would make `ca_file` silently count for nothing."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("verify", self.verify)
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


def _session(s: MailAuth) -> requests.Session:
    session = _Session()
    session.verify = s.ca_file or True
    return session


def make_source(s: MailAuth, user: str, env: dict[str, str] | None, what: str) -> TokenSource:
    if s.grant == "refresh_token":
        return RefreshTokenSource(s, user, env, what)
    if s.provider == "microsoft":
        return MsalSource(s, env, what)
    if s.provider == "google":
        return GoogleServiceAccountSource(s, user, what)
    return ClientCredentialsSource(s, env, what)


class MsalSource:
    """Microsoft Entra ID, client credentials of an app registration, through MSAL (its cache underneath)."""

    def __init__(self, s: MailAuth, env: dict[str, str] | None, what: str) -> None:
        self.settings = s
        self.env = env
        self.what = what
        self.describe = f"provider microsoft, tenant {s.tenant_id}, app {s.client_id}"
        self._app: Any = None

    def _error(self, reason: str, permanent: bool) -> TokenError:
        return TokenError(f"(tenant {self.settings.tenant_id}, app {self.settings.client_id}): {reason}",
                          reason=reason, permanent=permanent)

    def _credential(self) -> Any:
        s = self.settings
        if s.client_secret_env:
            return secret(s.client_secret_env, self.env, what=f"the app {s.client_id}", kind="the client secret")
        path = Path(s.client_certificate_path or "")
        passphrase = secret(s.client_certificate_password_env, self.env, what=str(path),
                            kind="the password") if s.client_certificate_password_env else None
        if path.suffix.lower() in (".pfx", ".p12"):
            return {"private_key_pfx_path": str(path), **({"passphrase": passphrase} if passphrase else {})}
        try:
            pem = path.read_text(encoding="ascii")
        except OSError as exc:
            raise ConfigError(str(path), "client_certificate_path", f"cannot read: {exc.strerror}") from None
        if "PRIVATE KEY-----" not in pem or "BEGIN CERTIFICATE-----" not in pem:
            raise ConfigError(str(path), "client_certificate_path",
                              "expected a PEM file with the private key and its certificate")
        cert = pem[pem.index("-----BEGIN CERTIFICATE-----"):]
        cred: dict[str, Any] = {"private_key": pem, "public_certificate": cert}
        if s.client_certificate_thumbprint:  # SHA-1, as the portal shows it; else MSAL sends the SHA-256 one
            cred["thumbprint"] = s.client_certificate_thumbprint.replace(":", "").strip()
        if passphrase:
            cred["passphrase"] = passphrase
        return cred

    def app(self) -> Any:
        if self._app is not None:
            return self._app
        import msal

        s = self.settings
        host = s.authority_host.rstrip("/")
        kwargs: dict[str, Any] = {}
        if host != MICROSOFT_AUTHORITY.rstrip("/"):
            # a national cloud is known to MSAL; any other host (a test's endpoint) is asked directly
            kwargs["instance_discovery"] = False
        try:
            self._app = msal.ConfidentialClientApplication(
                s.client_id, client_credential=self._credential(), authority=f"{host}/{s.tenant_id}",
                http_client=_session(s), **kwargs)
        except ValueError as exc:  # the tenant's discovery document: an unknown tenant, a wrong host
            raise self._error(_first_line(exc), permanent=True) from None
        except requests.RequestException as exc:
            raise self._error(f"the sign-in endpoint cannot be reached ({type(exc).__name__})", False) from None
        return self._app

    def fetch(self) -> AccessToken:
        app = self.app()
        try:
            result = app.acquire_token_for_client(scopes=[self.settings.oauth_scope()])
        except requests.RequestException as exc:
            raise self._error(f"the token endpoint cannot be reached ({type(exc).__name__})", False) from None
        except ValueError as exc:
            raise self._error(_first_line(exc), permanent=True) from None
        if "access_token" not in result:
            reason = f"{result.get('error', 'error')}: {_first_line(result.get('error_description'))}"
            raise self._error(reason, permanent=result.get("error") != "temporarily_unavailable")
        expires_in = float(result.get("expires_in") or DEFAULT_LIFETIME)
        return AccessToken(str(result["access_token"]), time.time() + expires_in)

    def forget(self) -> None:
        if self._app is None:
            return
        import msal

        cache = self._app.token_cache
        for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            cache.remove_at(entry)


class GoogleServiceAccountSource:
    """A Google Workspace service account with domain-wide delegation, acting as the mailbox (`subject`)."""

    def __init__(self, s: MailAuth, user: str, what: str) -> None:
        self.settings = s
        self.user = user
        self.what = what
        self.describe = f"provider google, service account {Path(s.service_account_file or '').name}"

    def _error(self, reason: str, permanent: bool) -> TokenError:
        return TokenError(f"(Google service account {Path(self.settings.service_account_file or '').name}, "
                          f"acting as {self.user}): {reason}", reason=reason, permanent=permanent)

    def fetch(self) -> AccessToken:
        import google.auth.exceptions
        import google.auth.transport.requests
        from google.oauth2 import service_account

        s = self.settings
        try:
            creds = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                s.service_account_file, scopes=s.oauth_scope().split(), subject=self.user)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(str(s.service_account_file), "service_account_file",
                              f"not a service account key: {type(exc).__name__}") from None
        try:
            creds.refresh(google.auth.transport.requests.Request(_session(s)))  # type: ignore[no-untyped-call]
        except google.auth.exceptions.RefreshError as exc:
            data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
            reason = f"{data.get('error', 'refused')}: {_first_line(data.get('error_description') or exc.args[0])}"
            raise self._error(reason, permanent=True) from None
        except google.auth.exceptions.TransportError as exc:
            raise self._error(f"the token endpoint cannot be reached ({type(exc).__name__})", False) from None
        expiry = creds.expiry.replace(tzinfo=timezone.utc).timestamp() if creds.expiry else time.time() + 3600
        return AccessToken(str(creds.token), expiry)

    def forget(self) -> None:
        pass  # nothing is cached below this source


class _EndpointSource:
    """A plain OAuth 2.0 token endpoint (RFC 6749), form-encoded POST."""

    settings: MailAuth
    what: str
    token_url: str

    def _error(self, reason: str, permanent: bool) -> TokenError:
        tenant = f"tenant {self.settings.tenant_id}, " if self.settings.tenant_id else ""
        return TokenError(f"({tenant}client {self.settings.client_id}): {reason}", reason=reason, permanent=permanent)

    def _post(self, form: dict[str, str]) -> dict[str, Any]:
        try:
            resp = _session(self.settings).post(self.token_url, data=form, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise self._error(f"the token endpoint cannot be reached ({type(exc).__name__})", False) from None
        try:
            data = resp.json()
        except (ValueError, json.JSONDecodeError):
            data = {}
        if resp.status_code != 200 or "access_token" not in data:
            if data.get("error"):
                reason = f"{data['error']}: {_first_line(data.get('error_description'))}".rstrip(": ")
            else:
                reason = f"HTTP {resp.status_code}"
            raise self._error(reason, permanent=400 <= resp.status_code < 500)
        return dict(data)

    def forget(self) -> None:
        pass


class ClientCredentialsSource(_EndpointSource):
    def __init__(self, s: MailAuth, env: dict[str, str] | None, what: str) -> None:
        self.settings = s
        self.env = env
        self.what = what
        self.token_url = s.token_url or ""
        self.describe = f"provider {s.provider}, client {s.client_id}"

    def fetch(self) -> AccessToken:
        s = self.settings
        form = {"grant_type": "client_credentials", "client_id": s.client_id or "",
                "client_secret": secret(s.client_secret_env, self.env, what=f"the app {s.client_id}",
                                        kind="the client secret")}
        if s.oauth_scope():
            form["scope"] = s.oauth_scope()
        data = self._post(form)
        return AccessToken(str(data["access_token"]), time.time() + float(data.get("expires_in") or DEFAULT_LIFETIME))


class RefreshTokenSource(_EndpointSource):
    """A delegated sign-in: the stored refresh token buys an access token, and the new refresh token the
    endpoint returns replaces it at once (Microsoft's end after 90 days unused; each one used is renewed)."""

    def __init__(self, s: MailAuth, user: str, env: dict[str, str] | None, what: str) -> None:
        self.settings = s
        self.env = env
        self.what = what
        if s.token_url:
            self.token_url = s.token_url
        elif s.provider == "microsoft":
            self.token_url = f"{s.authority_host.rstrip('/')}/{s.tenant_id}/oauth2/v2.0/token"
        else:
            self.token_url = GOOGLE_TOKEN_URL
        self.store = RefreshTokenFile(Path(s.refresh_token_path or ""))
        self.describe = f"provider {s.provider}, client {s.client_id}, refresh token {self.store.path}"

    def fetch(self) -> AccessToken:
        s = self.settings
        with self.store.locked():  # two workers on one host must not spend the same refresh token
            current = self.store.read()
            form = {"grant_type": "refresh_token", "client_id": s.client_id or "", "refresh_token": current}
            if s.client_secret_env:
                form["client_secret"] = secret(s.client_secret_env, self.env, what=f"the app {s.client_id}",
                                               kind="the client secret")
            if s.oauth_scope():
                form["scope"] = s.oauth_scope()
            try:
                data = self._post(form)
            except TokenError as exc:
                if exc.permanent:
                    raise TokenError(f"{exc}; sign in again and store the new refresh token in {self.store.path}",
                                     reason=exc.reason, permanent=True) from None
                raise
            new = data.get("refresh_token")
            if new and new != current:
                self.store.write(str(new))
                log.info("event=refresh_token_renewed file=%s", self.store.path.name)
        return AccessToken(str(data["access_token"]), time.time() + float(data.get("expires_in") or DEFAULT_LIFETIME))
