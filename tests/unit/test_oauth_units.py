"""OAuth 2.0 pieces without servers: the config keys, the token cache's clock, the refresh token file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from mailflow import config as config_mod
from mailflow.config import ImapSettings, SmtpSettings
from mailflow.errors import ConfigError, TokenError
from mailflow.oauth.refresh import RefreshTokenFile
from mailflow.oauth.tokens import AccessToken, OAuthCredentials, TokenCache
from mailflow.testing.tomlw import dumps

ROOT = Path(__file__).resolve().parent.parent.parent

MS = {"host": "outlook.office365.com", "username": "synpunkter@kommun.se", "auth": "oauth2", "provider": "microsoft",
      "tenant_id": "11111111-2222-3333-4444-555555555555", "client_id": "aaaa", "client_secret_env": "MF_SECRET"}


def imap(**changes: Any) -> ImapSettings:
    return ImapSettings.model_validate({k: v for k, v in {**MS, **changes}.items() if v is not None})


# -- the config keys -----------------------------------------------------------------------------


def test_microsoft_client_credentials_ask_for_exchange_onlines_default_scope() -> None:
    s = imap()
    assert s.password_env is None and s.oauth_scope() == "https://outlook.office365.com/.default"
    assert s.authority_host == "https://login.microsoftonline.com"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"provider": None}, "provider"),
    ({"tenant_id": None}, "tenant_id and client_id"),
    ({"client_secret_env": None}, "exactly one"),
    ({"client_certificate_path": "app.pem"}, "exactly one"),
    ({"auth": "password"}, "password_env is needed"),
    ({"provider": "google"}, "service_account_file"),
    ({"provider": "generic"}, "token_url"),
    ({"grant": "refresh_token"}, "refresh_token_path"),
    ({"authority_host": "http://login.example"}, "https://"),
])
def test_an_incomplete_oauth_section_is_refused_with_the_reason(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        imap(**changes)


def test_smtp_with_oauth_needs_the_account_name() -> None:
    with pytest.raises(ValueError, match="username"):
        SmtpSettings.model_validate({k: v for k, v in MS.items() if k != "username"})
    assert SmtpSettings.model_validate({"host": "smtp.office365.com"}).auth == "password"


def _config(tmp_path: Path, service_extra: str = "", imap_extra: dict[str, Any] | None = None) -> Path:
    (tmp_path / "organizations").mkdir()
    import tomllib

    data = tomllib.loads((ROOT / "config" / "organizations" / "norrmalm.toml").read_text(encoding="utf-8"))
    data["imap"] = {**data["imap"], **(imap_extra or {})}
    (tmp_path / "organizations" / "norrmalm.toml").write_text(dumps(data), encoding="utf-8")
    path = tmp_path / "mailflow.toml"
    path.write_text('[smtp]\nhost = "127.0.0.1"\n' + service_extra, encoding="utf-8")
    return path


def test_key_files_are_relative_to_the_service_file(tmp_path: Path) -> None:
    path = _config(tmp_path, imap_extra={"auth": "oauth2", "provider": "microsoft", "tenant_id": "t",
                                         "client_id": "c", "client_certificate_path": "certs/app.pem"})
    cfg = config_mod.load(path, env={})
    assert cfg.org("norrmalm").imap.client_certificate_path == str(tmp_path / "certs" / "app.pem")


def test_a_bad_oauth_section_names_the_file_and_the_section(tmp_path: Path) -> None:
    path = _config(tmp_path, imap_extra={"auth": "oauth2", "provider": "microsoft", "client_id": "c"})
    with pytest.raises(ConfigError) as caught:
        config_mod.load(path, env={})
    assert caught.value.file.endswith("norrmalm.toml") and caught.value.key == "imap"
    assert "tenant_id and client_id are needed" in caught.value.reason


def test_metrics_are_off_unless_configured_and_the_environment_may_move_them(tmp_path: Path) -> None:
    path = _config(tmp_path)
    assert config_mod.load(path, env={}).metrics is None
    cfg = config_mod.load(path, env={"MAILFLOW_METRICS_BIND": "0.0.0.0:9108"})
    assert cfg.metrics is not None and cfg.metrics.address() == ("0.0.0.0", 9108)
    path.write_text(path.read_text() + '[metrics]\nbind = "127.0.0.1:9999"\n')
    metrics = config_mod.load(path, env={}).metrics
    assert metrics is not None and metrics.address() == ("127.0.0.1", 9999)
    path.write_text(path.read_text().replace("127.0.0.1:9999", "9999"))
    with pytest.raises(ConfigError, match="HOST:PORT"):
        config_mod.load(path, env={})


# -- the token cache -----------------------------------------------------------------------------------


class CountingSource:
    describe = "provider test"

    def __init__(self, clock: list[float], lifetime: float) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.fetched = 0
        self.forgotten = 0

    def fetch(self) -> AccessToken:
        self.fetched += 1
        now = self.clock[0]
        return AccessToken(f"token-{self.fetched}", now + self.lifetime, obtained_at=now)

    def forget(self) -> None:
        self.forgotten += 1


def test_a_token_is_renewed_five_minutes_before_it_ends() -> None:
    clock = [1000.0]
    source = CountingSource(clock, 3600)
    cache = TokenCache(source, clock=lambda: clock[0])
    assert cache.token() == "token-1"
    clock[0] += 3600 - 301
    assert cache.token() == "token-1"
    clock[0] += 2
    assert cache.token() == "token-2" and source.fetched == 2


def test_a_short_lived_token_is_renewed_at_half_its_life() -> None:
    clock = [0.0]
    source = CountingSource(clock, 60)
    cache = TokenCache(source, clock=lambda: clock[0])
    cache.token()
    clock[0] = 29
    assert cache.token() == "token-1"
    clock[0] = 30
    assert cache.token() == "token-2"


def test_a_refused_token_is_never_handed_out_again() -> None:
    clock = [0.0]
    source = CountingSource(clock, 3600)
    creds = OAuthCredentials("box@kommun.se", TokenCache(source, clock=lambda: clock[0]), "IMAP account box")
    first = creds.token()
    creds.invalidate(first)
    assert creds.token() == "token-2" and source.forgotten == 1


def test_a_token_error_names_the_account() -> None:
    class Refusing(CountingSource):
        def fetch(self) -> AccessToken:
            raise TokenError("(tenant t, app a): invalid_client: AADSTS7000215: Invalid client secret provided.",
                             reason="invalid_client: AADSTS7000215", permanent=True)

    creds = OAuthCredentials("box@kommun.se", TokenCache(Refusing([0.0], 1)), "IMAP account box@kommun.se")
    with pytest.raises(TokenError) as caught:
        creds.token()
    assert str(caught.value).startswith("no OAuth 2.0 token for IMAP account box@kommun.se (tenant t, app a): ")
    assert caught.value.permanent


def test_a_token_never_shows_in_a_repr() -> None:
    token = AccessToken("eyJ-very-secret", 123.0)
    assert "eyJ" not in repr(token) and "eyJ" not in str(token)


# -- the refresh token file ------------------------------------------------------------------------------


def test_the_refresh_token_file_is_replaced_whole_and_stays_0600(tmp_path: Path) -> None:
    store = RefreshTokenFile(tmp_path / "rt")
    store.write("first")
    assert stat.S_IMODE((tmp_path / "rt").stat().st_mode) == 0o600
    with store.locked():
        assert store.read() == "first"
        store.write("second")
    assert store.read() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rt", "rt.lock"]  # no temporary file left


def test_a_refresh_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rt"
    path.write_text("token\n")
    os.chmod(path, 0o644)
    with pytest.raises(TokenError, match="chmod 600"):
        RefreshTokenFile(path).read()
    with pytest.raises(TokenError, match="does not exist"):
        RefreshTokenFile(tmp_path / "missing").read()
