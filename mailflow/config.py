"""Configuration: TOML read once into frozen, validated models.

`config/mailflow.toml` holds the service, `organizations/*.toml` next to it one
file per organization. `load(path)` validates everything and raises
`ConfigError` naming the file, the key and the reason; nothing else in mailflow
reads TOML or the environment for settings.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mailflow.errors import ConfigError

EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}$")
DEFAULT_CONFIG = Path("config/mailflow.toml")


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL_RE.match(value):
        raise ValueError(f"not an e-mail address: {value!r}")
    return value.lower()


Email = Annotated[str, AfterValidator(_email)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
# what a token is asked for, per provider and grant, unless `scope` says otherwise
DEFAULT_SCOPES = {
    ("microsoft", "client_credentials"): "https://outlook.office365.com/.default",
    ("microsoft", "refresh_token"): "https://outlook.office.com/IMAP.AccessAsUser.All "
                                    "https://outlook.office.com/SMTP.Send offline_access",
    ("google", "client_credentials"): "https://mail.google.com/",
    ("google", "refresh_token"): "https://mail.google.com/",
}


class MailAuth(_Model):
    """How mailflow logs in to a mail server: a password, or an OAuth 2.0 access token (XOAUTH2).

    `auth = "oauth2"` with `provider`:
    - "microsoft": an app registration's client credentials (`tenant_id`, `client_id`, and
      `client_secret_env` or `client_certificate_path`), tokens from MSAL; or with
      `grant = "refresh_token"` a delegated sign-in whose rotating refresh token lives in
      `refresh_token_path`;
    - "google": a service account with domain-wide delegation (`service_account_file`), or a
      stored refresh token (`grant = "refresh_token"`);
    - "generic": any OAuth 2.0 token endpoint (`token_url`), client credentials or refresh token.
    """

    auth: Literal["password", "oauth2"] = "password"
    provider: Literal["microsoft", "google", "generic"] | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    # a PEM file with the private key and its certificate (or a .pfx/.p12), in place of a secret
    client_certificate_path: str | None = None
    client_certificate_thumbprint: str | None = None  # SHA-1, as the portal shows it; else read from the file
    client_certificate_password_env: str | None = None
    # Microsoft's sign-in host (a national cloud: https://login.microsoftonline.us)
    authority_host: str = MICROSOFT_AUTHORITY
    token_url: str | None = None
    scope: str | None = None
    grant: Literal["client_credentials", "refresh_token"] = "client_credentials"
    # the refresh token of a delegated sign-in; replaced by each new one the endpoint returns (mode 0600)
    refresh_token_path: str | None = None
    service_account_file: str | None = None  # Google: the service account's JSON key
    # a CA bundle to trust for the token endpoint (a proxy that inspects TLS); default: the system's
    ca_file: str | None = None

    def oauth_scope(self) -> str:
        if self.scope:
            return self.scope
        return DEFAULT_SCOPES.get((self.provider or "", self.grant), "")

    def _check_auth(self, account: str | None, password_env: str | None, password_needed: bool) -> None:
        if self.auth == "password":
            if password_needed and not password_env:
                raise ValueError('password_env is needed with auth = "password" (or set auth = "oauth2")')
            return
        if not account:
            raise ValueError('username (the mailbox address) is needed with auth = "oauth2"')
        if self.provider is None:
            raise ValueError('provider ("microsoft", "google" or "generic") is needed with auth = "oauth2"')
        if self.authority_host and not self.authority_host.startswith("https://"):
            raise ValueError("authority_host must be an https:// address")
        if self.grant == "refresh_token":
            if not self.refresh_token_path:
                raise ValueError('refresh_token_path is needed with grant = "refresh_token"')
            if not self.client_id:
                raise ValueError('client_id is needed with grant = "refresh_token"')
            if self.provider == "generic" and not self.token_url:
                raise ValueError('token_url is needed with provider = "generic"')
            if self.provider == "microsoft" and not self.tenant_id:
                raise ValueError('tenant_id is needed with provider = "microsoft"')
            return
        if self.provider == "microsoft":
            if not self.tenant_id or not self.client_id:
                raise ValueError('tenant_id and client_id are needed with provider = "microsoft"')
            if bool(self.client_secret_env) == bool(self.client_certificate_path):
                raise ValueError("give either client_secret_env or client_certificate_path (exactly one)")
        elif self.provider == "google":
            if not self.service_account_file:
                raise ValueError('service_account_file (a service account with domain-wide delegation) is needed '
                                 'with provider = "google", or grant = "refresh_token"')
        else:
            if not self.token_url or not self.client_id or not self.client_secret_env:
                raise ValueError('token_url, client_id and client_secret_env are needed with provider = "generic"')


_A = TypeVar("_A", bound=MailAuth)


class ImapSettings(MailAuth):
    host: str
    port: int = 993
    username: str
    password_env: str | None = None
    ssl: bool = True
    starttls: bool = False
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    timeout_seconds: float = 60.0
    idle: bool = True

    @field_validator("port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 0 < v < 65536:
            raise ValueError("port must be between 1 and 65535")
        return v

    @model_validator(mode="after")
    def _auth(self) -> ImapSettings:
        self._check_auth(self.username, self.password_env, password_needed=True)
        return self


class SmtpSettings(MailAuth):
    host: str
    port: int = 587
    username: str | None = None
    password_env: str | None = None
    starttls: bool = True
    ssl: bool = False
    timeout_seconds: float = 60.0
    # a mail that fails for now is tried again after retry_base_seconds, doubling up to two hours
    retry_base_seconds: float = 60.0
    # attempts before a mail counts as failed (each claim of it counts, also one a crash interrupted)
    max_attempts: int = 12
    # connections the outbox sends over at once
    connections: int = 3

    @field_validator("retry_base_seconds", "timeout_seconds")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be positive")
        return v

    @field_validator("max_attempts", "connections")
    @classmethod
    def _count(cls, v: int) -> int:
        if not 1 <= v <= 100:
            raise ValueError("must be between 1 and 100")
        return v

    @model_validator(mode="after")
    def _auth(self) -> SmtpSettings:
        self._check_auth(self.username, self.password_env, password_needed=False)
        return self


class MetricsSettings(_Model):
    """`[metrics]`: where `mailflow run` serves /healthz and /metrics (off when the section is absent)."""

    bind: str = "127.0.0.1:9108"

    @field_validator("bind")
    @classmethod
    def _bind(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected HOST:PORT, e.g. 127.0.0.1:9108, got {v!r}")
        return v

    def address(self) -> tuple[str, int]:
        host, _, port = self.bind.rpartition(":")
        return host.strip("[]"), int(port)


class ServiceSettings(_Model):
    database_url: str = "sqlite:///var/mailflow.db"
    timezone: str = "Europe/Stockholm"
    poll_interval_seconds: float = 60.0
    archive_dir: str = "var/archive"
    digest_time: str = "07:30"
    templates_dir: str | None = None
    organizations_dir: str = "organizations"
    # raw messages, sent mail bodies and person records are kept this long (`purge`)
    retention_days: int = 730
    # acknowledgments one sender may get per day before mailflow goes quiet
    ack_limit_per_day: int = 5
    # acknowledgments per day for the same text from different senders (an autoresponder with changing
    # addresses); a campaign of identical letters is registered in full, the acknowledgments stop here
    ack_limit_same_text_per_day: int = 25
    # working hours for reminders and escalations
    working_hours: tuple[str, str] = ("08:00", "17:00")
    # a message larger than this is quarantined unread (Exchange Online takes 35 MB at most)
    max_message_bytes: int = 35 * 1024 * 1024
    # the manager's forward carries the original up to this size; above it, the text and a list of attachments
    forward_attachments_max_mb: float = 25.0
    # a mail server (SMTP, a mailbox) unusable this long is told to the registrar, once per outage
    outage_notice_minutes: float = 10.0
    # an optional address of the IT operations, told of outages too
    operations_address: Email | None = None
    # a mail due in the outbox and not sent for this long makes the outbox "stuck": /healthz fails and
    # the registrar (and operations_address) is told once, as of an outage
    outbox_stuck_minutes: float = 30.0
    # processes that parse (and classify, route, de-identify) messages while the service writes the previous
    # ones (default: 1 with 2 cores or more)
    parse_processes: int | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _timezone(v)

    @field_validator("digest_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        _clock_time(v)
        return v

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, v: tuple[str, str]) -> tuple[str, str]:
        start, end = (_clock_time(x) for x in v)
        if start >= end:
            raise ValueError("working_hours must start before they end")
        return v

    @field_validator("poll_interval_seconds", "max_message_bytes", "forward_attachments_max_mb")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be positive")
        return v

    @field_validator("outage_notice_minutes", "outbox_stuck_minutes")
    @classmethod
    def _not_negative(cls, v: float) -> float:
        if v < 0:
            raise ValueError("must not be negative")
        return v


class WebSettings(_Model):
    """The e-service (`mailflow web`): the citizens' form and the staff's register."""

    # attachments on the citizens' form: at most this many, together at most this size
    attachments_max: int = 3
    attachments_max_mb: float = 10.0
    # the text of a submission, in characters
    text_max_chars: int = 20000
    # submissions per visitor address (IP) per hour, and per e-mail address given per day
    submissions_per_ip_per_hour: int = 10
    submissions_per_address_per_day: int = 5
    # a signed-in session ends after this many hours without a request, and after max_hours anyhow
    session_idle_hours: float = 8.0
    session_max_hours: float = 24.0
    # failed sign-ins before an account is locked, and for how long
    login_attempts: int = 5
    lockout_minutes: float = 15.0
    # "auto": Secure cookies when the request came over HTTPS (as the reverse proxy says); true: always
    secure_cookies: bool | Literal["auto"] = "auto"
    # how long a blank form stays valid (its CSRF token), in hours
    form_valid_hours: float = 12.0

    @field_validator("attachments_max")
    @classmethod
    def _files(cls, v: int) -> int:
        if not 0 <= v <= 10:
            raise ValueError("must be between 0 and 10")
        return v

    @field_validator("attachments_max_mb", "session_idle_hours", "session_max_hours", "lockout_minutes",
                     "form_valid_hours")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be positive")
        return v

    @field_validator("text_max_chars", "submissions_per_ip_per_hour", "submissions_per_address_per_day",
                     "login_attempts")
    @classmethod
    def _count(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be at least 1")
        return v


class Policy(_Model):
    first_response_working_days: int | None = None
    feedback_working_days: int
    remind_before_working_days: int = 2
    anonymous_requires_feedback: bool = False
    notify_citizen_on_delay: bool = False
    # a provider's or other district's report: due this many working days after arrival
    # (default: the feedback deadline minus two working days)
    report_working_days: int | None = None
    # what the forward tells the manager the answer must contain
    answer_expectations: str = ""
    delay_reason: str = ""

    @field_validator("feedback_working_days", "remind_before_working_days", "first_response_working_days")
    @classmethod
    def _days(cls, v: int | None) -> int | None:
        if v is not None and v < 0:
            raise ValueError("must not be negative")
        return v


class Contact(_Model):
    name: str
    title: str
    email: Email
    phone: str
    address: str


class Counterpart(_Model):
    """An external provider or another district's unit that handles a case."""

    name: str
    contact: Email


class Unit(_Model):
    id: str
    name: str
    manager: Email
    manager_name: str = ""
    department: str
    keywords: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    provider: Counterpart | None = None
    district: Counterpart | None = None


class Department(_Model):
    id: str
    name: str
    head: Email
    head_name: str = ""
    # care under SoL or LSS, where Lex Sarah applies (not preschool, parks, culture)
    care: bool = True


class LexSarah(_Model):
    handler: Email
    keywords: tuple[str, ...] = ()


class Classifier(_Model):
    """Lexicons added to the built-in Swedish and English ones."""

    complaint: tuple[str, ...] = ()
    opinion: tuple[str, ...] = ()
    praise: tuple[str, ...] = ()
    anonymous: tuple[str, ...] = ()
    about_employee: tuple[str, ...] = ()
    min_unit_score: float = 1.0


class Organization(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    case_prefix: str = Field(pattern=r"^[A-Z]{1,8}$")
    complaints_address: Email
    registrar: Email
    staff_domains: tuple[str, ...] = ()
    # the staff's language (staff mails, the digest) and the languages citizens are answered in
    language: str = "sv"
    languages: tuple[str, ...] = ()  # default: (language, "en")
    calendar: str = "SE"
    timezone: str | None = None
    extra_closed_days: tuple[str, ...] = ()
    # staff mail counts only with a DKIM or DMARC pass stamped by this server (RFC 8601 authserv-id)
    trusted_authserv_id: str | None = None
    director: Email
    director_name: str = ""
    imap: ImapSettings
    registrar_imap: ImapSettings | None = None
    policy: Policy
    contact: Contact
    units: tuple[Unit, ...]
    departments: tuple[Department, ...]
    lex_sarah: LexSarah
    classifier: Classifier = Classifier()

    @field_validator("staff_domains")
    @classmethod
    def _domains(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for d in v:
            d = d.strip().lower().lstrip("@")
            if not re.match(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.[a-z]{2,}$", d):
                raise ValueError(f"not a mail domain: {d!r}")
            out.append(d)
        return tuple(out)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return None if v is None else _timezone(v)

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        return _catalog_language(v)

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_catalog_language(x) for x in v))

    @model_validator(mode="after")
    def _default_languages(self) -> Organization:
        if not self.languages:
            object.__setattr__(self, "languages", tuple(dict.fromkeys((self.language, "en"))))
        elif self.language not in self.languages:
            raise ValueError(f"languages must include the organization's language {self.language!r}")
        return self

    def unit(self, unit_id: str | None) -> Unit | None:
        return next((u for u in self.units if u.id == unit_id), None)

    def department(self, dept_id: str | None) -> Department | None:
        return next((d for d in self.departments if d.id == dept_id), None)

    def staff_addresses(self) -> frozenset[str]:
        """Every address the configuration names as staff."""
        addrs = {self.registrar, self.director, self.lex_sarah.handler, self.contact.email}
        for u in self.units:
            addrs.add(u.manager)
            for c in (u.provider, u.district):
                if c is not None:
                    addrs.add(c.contact)
        addrs.update(d.head for d in self.departments)
        return frozenset(addrs)

    def is_staff(self, address: str | None) -> bool:
        if not address:
            return False
        address = address.lower()
        domain = address.rpartition("@")[2]
        return address in self.staff_addresses() or domain in self.staff_domains


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    path: Path
    service: ServiceSettings
    smtp: SmtpSettings
    organizations: tuple[Organization, ...]
    org_files: dict[str, Path] = field(default_factory=dict)
    metrics: MetricsSettings | None = None
    web: WebSettings = field(default_factory=WebSettings)

    def org(self, org_id: str) -> Organization:
        for o in self.organizations:
            if o.id == org_id:
                return o
        raise KeyError(org_id)

    def org_for_ref(self, ref: str) -> Organization | None:
        prefix = ref.split("-", 1)[0].upper()
        return next((o for o in self.organizations if o.case_prefix == prefix), None)

    def own_addresses(self) -> frozenset[str]:
        """Addresses mailflow itself sends from."""
        return frozenset(o.complaints_address for o in self.organizations)

    def org_timezone(self, org: Organization) -> ZoneInfo:
        return ZoneInfo(org.timezone or self.service.timezone)

    def templates_dir(self) -> Path:
        if self.service.templates_dir:
            return Path(self.service.templates_dir)
        here = Path("templates")
        if here.is_dir():
            return here
        return Path(__file__).resolve().parent.parent / "templates"


class _ServiceFile(_Model):
    service: ServiceSettings = ServiceSettings()
    smtp: SmtpSettings
    metrics: MetricsSettings | None = None
    web: WebSettings = WebSettings()


def _catalog_language(v: str) -> str:
    """A language code with a gettext catalog (sv, en, fi, or one an installation adds)."""
    from mailflow import i18n

    v = v.strip().lower()
    have = i18n.available()
    if v not in have:
        raise ValueError(f"no catalog for language {v!r} (have: {', '.join(have)})")
    return v


def _timezone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {v!r}") from exc
    return v


def _clock_time(v: str) -> time:
    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", v)
    if not m:
        raise ValueError(f"expected HH:MM, got {v!r}")
    return time(int(m.group(1)), int(m.group(2)))


def clock_time(v: str) -> time:
    """'07:30' -> time(7, 30); the value was validated at load."""
    return _clock_time(v)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}") from None


def _key(loc: tuple[Any, ...], data: Any) -> str:
    """('units', 2, 'manager') -> 'units[2] (id "x").manager'."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict):
                ident = node[item].get("id")
                if ident:
                    label += f' (id "{ident}")'
            parts.append(label)
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)


def _validate(model: type[BaseModel], data: dict[str, Any], file: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        reason = first["msg"]
        if first["type"] == "extra_forbidden":
            reason = "unknown key (misspelt?)"
        elif first["type"] == "missing":
            reason = "required key is missing"
        if len(errors) > 1:
            more = "; ".join(f"{_key(e['loc'], data)}: {e['msg']}" for e in errors[1:4])
            reason += f" (also: {more}{'; …' if len(errors) > 4 else ''})"
        raise ConfigError(str(file), _key(first["loc"], data), reason) from None


def _check_org(org: Organization, file: Path) -> None:
    def fail(key: str, reason: str) -> None:
        raise ConfigError(str(file), key, reason)

    dept_ids = [d.id for d in org.departments]
    if len(set(dept_ids)) != len(dept_ids):
        fail("departments", "department ids must be unique")
    unit_ids = [u.id for u in org.units]
    if len(set(unit_ids)) != len(unit_ids):
        fail("units", "unit ids must be unique")
    if not org.units:
        fail("units", "at least one unit is needed")
    for i, u in enumerate(org.units):
        if u.department not in dept_ids:
            fail(f'units[{i}] (id "{u.id}").department', f"no department with id {u.department!r}")
        if u.provider and u.district:
            fail(f'units[{i}] (id "{u.id}")', "a unit has a provider or a district, not both")
    p = org.policy
    if p.remind_before_working_days >= p.feedback_working_days:
        fail("policy.remind_before_working_days", "must be smaller than feedback_working_days")
    try:
        import holidays

        holidays.country_holidays(org.calendar)
    except NotImplementedError:
        fail("calendar", f"no holiday calendar for country {org.calendar!r}")
    for i, day in enumerate(org.extra_closed_days):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{2}-\d{2}", day):
            fail(f"extra_closed_days[{i}]", f"expected YYYY-MM-DD or MM-DD, got {day!r}")


def load(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Config:
    """Read and validate the service file and every organization file."""
    env = dict(os.environ) if env is None else env
    path = Path(path or env.get("MAILFLOW_CONFIG") or DEFAULT_CONFIG)
    raw = _read_toml(path)
    svc: _ServiceFile = _validate(_ServiceFile, raw, path)
    service = svc.service
    if env.get("MAILFLOW_DATABASE_URL"):
        service = service.model_copy(update={"database_url": env["MAILFLOW_DATABASE_URL"]})
    metrics = svc.metrics
    if env.get("MAILFLOW_METRICS_BIND"):  # the container listens on all its addresses
        metrics = _validate(MetricsSettings, {"bind": env["MAILFLOW_METRICS_BIND"]}, Path("MAILFLOW_METRICS_BIND"))

    org_dir = Path(service.organizations_dir)
    if not org_dir.is_absolute():
        org_dir = path.parent / org_dir
    files = sorted(org_dir.glob("*.toml"))
    if not files:
        raise ConfigError(str(path), "service.organizations_dir", f"no *.toml files in {org_dir}")
    orgs: list[Organization] = []
    org_files: dict[str, Path] = {}
    for f in files:
        org: Organization = _validate(Organization, _read_toml(f), f)
        _check_org(org, f)
        org = org.model_copy(update={
            "imap": _auth_paths(org.imap, path.parent),
            "registrar_imap": _auth_paths(org.registrar_imap, path.parent) if org.registrar_imap else None})
        for other in orgs:
            for key in ("id", "case_prefix", "complaints_address"):
                if getattr(other, key) == getattr(org, key):
                    raise ConfigError(
                        str(f), key, f"{getattr(org, key)!r} is also used by {org_files[other.id]}"
                    )
        orgs.append(org)
        org_files[org.id] = f
    return Config(path=path, service=service, smtp=_auth_paths(svc.smtp, path.parent), organizations=tuple(orgs),
                  org_files=org_files, metrics=metrics, web=svc.web)


def _auth_paths(settings: _A, base: Path) -> _A:
    """Key and certificate files relative to the service file's folder, as the other config files are
    (a refresh token file is data: relative to the working directory, like the database)."""
    update = {}
    for key in ("client_certificate_path", "service_account_file", "ca_file"):
        value = getattr(settings, key)
        if value and not Path(value).is_absolute():
            update[key] = str(base / value)
    return settings.model_copy(update=update) if update else settings



def secret(name: str | None, env: dict[str, str] | None = None, *, what: str, kind: str = "the password") -> str:
    """The value of the environment variable a config key names."""
    env = dict(os.environ) if env is None else env
    if not name:
        return ""
    value = env.get(name)
    if value is None:
        raise ConfigError("environment", name, f"not set ({kind} of {what})")
    return value
