"""A small OAuth 2.0 authorization server on loopback, for the tests: tokens, their checks, their end.

Two listeners:
- HTTPS (a self-signed certificate in `ca_file`): the OpenID discovery document
  of a tenant (`/{tenant}/v2.0/.well-known/openid-configuration`, the shape of
  Microsoft Entra ID, so MSAL talks to it as to login.microsoftonline.com) and
  the token endpoint (`/{tenant}/oauth2/v2.0/token`, also `/token`) with three
  grants: client credentials (a secret, or a certificate's signed assertion, as
  MSAL sends it), refresh token (each use returns a new refresh token and ends
  the old one) and the JWT bearer grant of a Google service account;
- plain HTTP: token introspection (RFC 7662) for Dovecot's `oauth2` passdb
  (`/introspect?user=…&token=…`, or the token in a POSTed form).

Tokens live `ttl` seconds; `expire_all()` ends every token issued so far,
`revoke()` one, `fail_next()` makes the next token requests fail as Entra does
(`invalid_client`, AADSTS codes). An app's token opens only the mailboxes it
was given (`grant_mailboxes`), as Exchange's Add-MailboxPermission does.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def self_signed(common_name: str, ip: str | None = None, days: int = 2) -> tuple[bytes, bytes]:
    """(private key PEM, certificate PEM), an RSA key and a certificate signed by itself."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip)),
                                                                     x509.DNSName("localhost")]), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class App:
    """A registered client: a secret and/or a certificate (its public key), the mailboxes it may open."""

    client_id: str
    secret: str | None = None
    certificate_pem: bytes | None = None
    mailboxes: set[str] | None = None  # None: every mailbox


@dataclass
class Issued:
    token: str
    subject: str | None  # the user of a delegated or service-account token; None for an app token
    client_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class TokenServer:
    root: Path
    host: str = "127.0.0.1"
    ttl: float = 3600.0
    apps: dict[str, App] = field(default_factory=dict)
    service_accounts: dict[str, bytes] = field(default_factory=dict)  # client_email -> public key PEM
    refresh_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (client_id, user)
    issued: dict[str, Issued] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)  # grant, client_id, tenant of each request
    introspections: int = 0
    _fail: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        key, cert = self_signed(self.host, self.host)
        self.key_file = self.root / "tls-key.pem"
        self.ca_file = self.root / "tls-cert.pem"
        self.key_file.write_bytes(key)
        self.ca_file.write_bytes(cert)
        self._servers: list[ThreadingHTTPServer] = []

    # -- running -------------------------------------------------------------------

    def start(self) -> TokenServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/introspect":  # Dovecot asks with GET, the token appended to the URL
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    self._reply(*server._post(url.path, query, query))
                    return
                status, body = server._get(url.path)
                self._reply(status, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, body = server._post(url.path, form, query)
                self._reply(status, body)

        tls = ThreadingHTTPServer((self.host, 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.ca_file, self.key_file)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        plain = ThreadingHTTPServer((self.host, 0), Handler)
        for s in (tls, plain):
            s.daemon_threads = True
            threading.Thread(target=s.serve_forever, name="tokenserver", daemon=True).start()
            self._servers.append(s)
        self.https_port = tls.server_address[1]
        self.http_port = plain.server_address[1]
        return self

    def stop(self) -> None:
        for s in self._servers:
            s.shutdown()
            s.server_close()
        self._servers = []

    @property
    def authority_host(self) -> str:
        """What `authority_host` is set to, in place of https://login.microsoftonline.com."""
        return f"https://{self.host}:{self.https_port}"

    @property
    def token_url(self) -> str:
        return f"https://{self.host}:{self.https_port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://{self.host}:{self.http_port}/introspect"

    # -- what the tests set up and do ---------------------------------------------------

    def register_app(self, client_id: str, *, secret: str | None = None, certificate_pem: bytes | None = None,
                     mailboxes: set[str] | None = None) -> App:
        app = App(client_id, secret, certificate_pem, {m.lower() for m in mailboxes} if mailboxes is not None else None)
        self.apps[client_id] = app
        return app

    def grant_mailboxes(self, client_id: str, *mailboxes: str) -> None:
        app = self.apps[client_id]
        app.mailboxes = (app.mailboxes or set()) | {m.lower() for m in mailboxes}

    def register_service_account(self, client_email: str, public_key_pem: bytes) -> None:
        self.service_accounts[client_email] = public_key_pem

    def new_refresh_token(self, client_id: str, user: str) -> str:
        token = "rt-" + secrets.token_urlsafe(24)
        with self._lock:
            self.refresh_tokens[token] = (client_id, user.lower())
        return token

    def mint(self, user: str, client_id: str = "test-harness") -> str:
        """A token for `user` straight from the server (the test harness's own logins)."""
        return self._issue(user, client_id)["access_token"]

    def expire_all(self) -> None:
        """Every token issued so far ends now (as if an hour had passed)."""
        with self._lock:
            for t in self.issued.values():
                t.expires_at = 0.0

    def revoke(self, token: str) -> None:
        with self._lock:
            if token in self.issued:
                self.issued[token].revoked = True

    def fail_next(self, count: int = 1, status: int = 401, error: str = "invalid_client",
                  description: str = "AADSTS7000215: Invalid client secret provided.") -> None:
        with self._lock:
            self._fail += [(status, {"error": error, "error_description": description})] * count

    def check(self, token: str, user: str) -> bool:
        """Whether `token` opens `user`'s mailbox now."""
        return self._introspect(token, user).get("active") is True

    def grants(self, grant: str) -> int:
        return sum(1 for r in self.requests if r["grant"] == grant)

    # -- the endpoints ----------------------------------------------------------------

    def _get(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            base = f"{self.authority_host}/{tenant}"
            return 200, {"issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
                         "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                         "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                         "jwks_uri": f"{base}/discovery/v2.0/keys", "response_types_supported": ["code"]}
        return 404, {"error": "not_found"}

    def _post(self, path: str, form: dict[str, str], query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/introspect":
            with self._lock:
                self.introspections += 1
            return 200, self._introspect(form.get("token", ""), query.get("user") or form.get("user"))
        parts = path.strip("/").split("/")
        if path == "/token" or parts[1:] == ["oauth2", "v2.0", "token"]:
            tenant = parts[0] if len(parts) == 4 else ""
            return self._token(form, tenant, f"https://{self.host}:{self.https_port}{path}")
        return 404, {"error": "not_found"}

    def _token(self, form: dict[str, str], tenant: str, url: str) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type", "")
        with self._lock:
            self.requests.append({"grant": grant, "client_id": form.get("client_id", ""), "tenant": tenant,
                                  "scope": form.get("scope", "")})
            if self._fail:
                return self._fail.pop(0)
        if grant == "client_credentials":
            app = self.apps.get(form.get("client_id", ""))
            if app is None:
                return 400, {"error": "unauthorized_client",
                             "error_description": f"AADSTS700016: Application with identifier "
                                                  f"'{form.get('client_id')}' was not found in the directory."}
            if not self._client_ok(app, form, url):
                return 401, {"error": "invalid_client",
                             "error_description": "AADSTS7000215: Invalid client secret provided."}
            return 200, self._issue(None, app.client_id)
        if grant == "refresh_token":
            with self._lock:
                found = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if found is None or found[0] != form.get("client_id"):
                return 400, {"error": "invalid_grant",
                             "error_description": "AADSTS70008: The provided refresh token has expired or was revoked."}
            client_id, user = found
            body = self._issue(user, client_id)
            body["refresh_token"] = self.new_refresh_token(client_id, user)  # the old one is spent
            return 200, body
        if grant == JWT_BEARER:
            try:
                head = jwt.decode(form.get("assertion", ""), options={"verify_signature": False})
                key = self.service_accounts[head["iss"]]
                # google-auth signs for Google's own token URL whatever token_uri it posts to, as Google expects
                claims = jwt.decode(form["assertion"], key, algorithms=["RS256"],
                                    audience=[url, "https://oauth2.googleapis.com/token"])
            except (jwt.PyJWTError, KeyError):
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            if not claims.get("sub"):
                return 400, {"error": "unauthorized_client", "error_description": "no subject"}
            return 200, self._issue(str(claims["sub"]), str(claims["iss"]))
        return 400, {"error": "unsupported_grant_type", "error_description": grant}

    def _client_ok(self, app: App, form: dict[str, str], url: str) -> bool:
        if form.get("client_secret") is not None:
            return app.secret is not None and secrets.compare_digest(form["client_secret"], app.secret)
        if form.get("client_assertion_type") == ASSERTION_TYPE and app.certificate_pem is not None:
            public = x509.load_pem_x509_certificate(app.certificate_pem).public_key()
            try:
                claims = jwt.decode(form.get("client_assertion", ""), public,  # type: ignore[arg-type]
                                    algorithms=["RS256", "PS256"], audience=url)
            except jwt.PyJWTError:
                return False
            return bool(claims.get("iss") == app.client_id and claims.get("sub") == app.client_id)
        return False

    def _issue(self, subject: str | None, client_id: str) -> dict[str, Any]:
        token = "at-" + secrets.token_urlsafe(32)
        with self._lock:
            self.issued[token] = Issued(token, subject.lower() if subject else None, client_id, time.time() + self.ttl)
        return {"token_type": "Bearer", "access_token": token, "expires_in": int(self.ttl),
                "ext_expires_in": int(self.ttl)}

    def _introspect(self, token: str, user: str | None) -> dict[str, Any]:
        with self._lock:
            t = self.issued.get(token)
            if t is None or t.revoked or t.expires_at <= time.time():
                return {"active": False}
            if t.subject is not None:
                who = t.subject
            elif user is None:  # an app's token asked about without a user: it names none (the app instead)
                return {"active": True, "username": f"app:{t.client_id}", "client_id": t.client_id}
            else:  # an app's token: any mailbox the app was given
                app = self.apps.get(t.client_id)
                if app is None or (app.mailboxes is not None and user.lower() not in app.mailboxes):
                    return {"active": False}
                who = user.lower()
            if user is not None and user.lower() != who:
                return {"active": False}
            return {"active": True, "username": who, "client_id": t.client_id, "exp": int(t.expires_at)}
