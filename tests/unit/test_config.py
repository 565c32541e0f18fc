"""The shipped config loads with the policies of SPEC section 3; a bad config is refused plainly."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mailflow import config as config_mod
from mailflow.config import Config, Organization
from mailflow.errors import ConfigError
from mailflow.testing.tomlw import dumps

ROOT = Path(__file__).resolve().parent.parent.parent
SHIPPED = ROOT / "config" / "mailflow.toml"
ORG_DIR = ROOT / "config" / "organizations"


@pytest.fixture(scope="module")
def shipped() -> Config:
    return config_mod.load(SHIPPED, env={})


# -- the shipped config -------------------------------------------------------------


def test_shipped_config_loads_both_organizations(shipped: Config) -> None:
    assert sorted(o.id for o in shipped.organizations) == ["nacka", "norrmalm"]
    assert shipped.org("norrmalm").case_prefix == "NM"
    assert shipped.org("nacka").case_prefix == "NK"
    assert shipped.org_files["norrmalm"].name == "norrmalm.toml"
    assert shipped.org_files["nacka"].name == "nacka.toml"


def test_norrmalm_policy_is_14_working_days_without_first_response(shipped: Config) -> None:
    p = shipped.org("norrmalm").policy
    assert p.first_response_working_days is None
    assert p.feedback_working_days == 14
    assert p.remind_before_working_days == 2
    assert p.anonymous_requires_feedback is False
    assert p.notify_citizen_on_delay is False


def test_nacka_policy_is_5_then_10_working_days_and_tells_citizen_of_delay(shipped: Config) -> None:
    p = shipped.org("nacka").policy
    assert p.first_response_working_days == 5
    assert p.feedback_working_days == 10
    assert p.remind_before_working_days == 1
    assert p.anonymous_requires_feedback is False
    assert p.notify_citizen_on_delay is True


@pytest.mark.parametrize("org_id", ["norrmalm", "nacka"])
def test_every_unit_belongs_to_an_existing_department(shipped: Config, org_id: str) -> None:
    org = shipped.org(org_id)
    assert org.units
    for unit in org.units:
        assert org.department(unit.department) is not None, unit.id


def test_shipped_service_defaults_to_sqlite_without_env(shipped: Config) -> None:
    assert shipped.service.database_url == "sqlite:///var/mailflow.db"


def test_database_url_env_overrides_config() -> None:
    url = "postgresql+psycopg://mf@db.example/mailflow"
    cfg = config_mod.load(SHIPPED, env={"MAILFLOW_DATABASE_URL": url})
    assert cfg.service.database_url == url


def test_config_path_comes_from_env_when_not_given() -> None:
    cfg = config_mod.load(None, env={"MAILFLOW_CONFIG": str(SHIPPED)})
    assert cfg.path == SHIPPED


# -- who is staff ---------------------------------------------------------------------


def _with_domains(org: Organization, domains: tuple[str, ...]) -> Organization:
    return org.model_copy(update={"staff_domains": domains})


def test_staff_domain_matches_exactly_not_subdomains(shipped: Config) -> None:
    org = _with_domains(shipped.org("norrmalm"), ("example.se",))
    assert org.is_staff("handlaggare@example.se")
    assert org.is_staff("Handlaggare@EXAMPLE.se")
    assert not org.is_staff("kund@kund.example.se")
    assert not org.is_staff("kund@example.se.attacker.net")
    assert not org.is_staff("kund@notexample.se")


def test_shipped_staff_domain_does_not_cover_lookalike_domains(shipped: Config) -> None:
    org = shipped.org("norrmalm")
    assert org.is_staff("anna.andersson@stockholm.example.se")
    assert not org.is_staff("anna@kund.stockholm.example.se")
    assert not org.is_staff("anna@example.se")
    assert not org.is_staff("anna@gmail.com")


def test_no_address_is_not_staff(shipped: Config) -> None:
    org = shipped.org("norrmalm")
    assert not org.is_staff(None)
    assert not org.is_staff("")


def test_configured_addresses_are_staff_even_outside_staff_domains(shipped: Config) -> None:
    org = _with_domains(shipped.org("norrmalm"), ())
    hemtjanst = org.unit("hemtjanst")
    assert hemtjanst is not None
    assert org.is_staff(hemtjanst.manager)
    assert org.is_staff(hemtjanst.manager.upper())
    assert org.is_staff(org.registrar)
    assert org.is_staff(org.lex_sarah.handler)
    assert org.is_staff("avdelningschef.forskola.norrmalm@stockholm.example.se")  # a department head
    assert not org.is_staff("anna.andersson@stockholm.example.se")  # only the domain made her staff


def test_staff_addresses_name_managers_heads_and_counterparts(shipped: Config) -> None:
    org = shipped.org("norrmalm")
    addrs = org.staff_addresses()
    assert {u.manager for u in org.units} <= addrs
    assert {d.head for d in org.departments} <= addrs
    assert {org.registrar, org.director, org.lex_sarah.handler, org.contact.email} <= addrs
    assert "kvalitet@omsorgsgruppen.example.se" in addrs  # external provider
    assert "enhetschef.forsorjningsstod.ostermalm@stockholm.example.se" in addrs  # other district
    assert org.is_staff("kvalitet@omsorgsgruppen.example.se")
    assert not any("nacka" in a for a in addrs)


# -- broken copies --------------------------------------------------------------------


Mutate = Callable[[dict[str, Any], dict[str, dict[str, Any]]], None]


def _write_copy(tmp_path: Path, mutate: Mutate | None = None) -> Path:
    """The shipped config, changed by `mutate(service, {org_id: org})`, written to tmp_path."""
    service = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    orgs = {f.stem: tomllib.loads(f.read_text(encoding="utf-8")) for f in ORG_DIR.glob("*.toml")}
    if mutate is not None:
        mutate(service, orgs)
    (tmp_path / "organizations").mkdir()
    (tmp_path / "mailflow.toml").write_text(dumps(service), encoding="utf-8")
    for name, data in orgs.items():
        (tmp_path / "organizations" / f"{name}.toml").write_text(dumps(data), encoding="utf-8")
    return tmp_path / "mailflow.toml"


def _refused(tmp_path: Path, mutate: Mutate) -> ConfigError:
    path = _write_copy(tmp_path, mutate)
    with pytest.raises(ConfigError) as info:
        config_mod.load(path, env={})
    return info.value


def _unit_index(org: dict[str, Any], unit_id: str) -> int:
    return next(i for i, u in enumerate(org["units"]) if u["id"] == unit_id)


def test_unchanged_copy_of_shipped_config_loads(tmp_path: Path) -> None:
    # the baseline every refusal below differs from by one change
    cfg = config_mod.load(_write_copy(tmp_path), env={})
    assert sorted(o.id for o in cfg.organizations) == ["nacka", "norrmalm"]
    assert cfg.org("nacka").policy.first_response_working_days == 5


def test_misspelt_key_is_reported_as_unknown(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        policy = orgs["nacka"]["policy"]
        policy["notify_citizen_on_delays"] = policy.pop("notify_citizen_on_delay")

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "organizations" / "nacka.toml"
    assert err.key == "policy.notify_citizen_on_delays"
    assert "unknown key" in err.reason


def test_misspelt_service_key_names_the_service_file(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        svc["service"]["poll_intervall_seconds"] = 30

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "mailflow.toml"
    assert err.key == "service.poll_intervall_seconds"
    assert "unknown key" in err.reason


def test_missing_required_key_is_reported(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        del orgs["norrmalm"]["registrar"]

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "organizations" / "norrmalm.toml"
    assert err.key == "registrar"
    assert err.reason == "required key is missing"


def test_missing_required_policy_key_is_reported(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        del orgs["norrmalm"]["policy"]["feedback_working_days"]

    err = _refused(tmp_path, mutate)
    assert err.key == "policy.feedback_working_days"
    assert err.reason == "required key is missing"


def test_invalid_manager_address_names_the_unit(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        org = orgs["norrmalm"]
        org["units"][_unit_index(org, "sabbatsberg")]["manager"] = "enhetschef.sabbatsberg(at)stockholm"

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "organizations" / "norrmalm.toml"
    assert '(id "sabbatsberg")' in err.key
    assert err.key.startswith("units[")
    assert err.key.endswith(".manager")
    assert "not an e-mail address" in err.reason


def test_unit_with_unknown_department_is_refused(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        org = orgs["nacka"]
        org["units"][_unit_index(org, "dagverksamhet")]["department"] = "hemvard"

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "organizations" / "nacka.toml"
    assert '(id "dagverksamhet")' in err.key
    assert err.key.endswith(".department")
    assert "hemvard" in err.reason


def test_unknown_service_time_zone_is_refused(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        svc["service"]["timezone"] = "Europe/Stokholm"

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "mailflow.toml"
    assert err.key == "service.timezone"
    assert "Europe/Stokholm" in err.reason
    assert "time zone" in err.reason


def test_unknown_organization_time_zone_is_refused(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        orgs["nacka"]["timezone"] = "Mars/Olympus_Mons"

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "organizations" / "nacka.toml"
    assert err.key == "timezone"
    assert "time zone" in err.reason


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = _write_copy(tmp_path)
    broken = tmp_path / "organizations" / "nacka.toml"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n[policy\nfeedback_working_days = 10\n")
    with pytest.raises(ConfigError) as info:
        config_mod.load(path, env={})
    assert Path(info.value.file) == broken
    assert info.value.key == ""
    assert info.value.reason.startswith("not valid TOML")


def test_missing_service_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mailflow.toml"
    with pytest.raises(ConfigError) as info:
        config_mod.load(missing, env={})
    assert Path(info.value.file) == missing
    assert info.value.reason == "file not found"


def test_empty_organizations_folder_is_refused(tmp_path: Path) -> None:
    path = _write_copy(tmp_path)
    for f in (tmp_path / "organizations").glob("*.toml"):
        f.unlink()
    with pytest.raises(ConfigError) as info:
        config_mod.load(path, env={})
    assert Path(info.value.file) == path
    assert info.value.key == "service.organizations_dir"


def test_two_organizations_with_one_case_prefix_are_refused(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        orgs["nacka"]["case_prefix"] = "NM"

    err = _refused(tmp_path, mutate)
    # files load in name order: nacka.toml first, so norrmalm.toml is the one that clashes
    assert Path(err.file) == tmp_path / "organizations" / "norrmalm.toml"
    assert err.key == "case_prefix"
    assert "'NM'" in err.reason
    assert "nacka.toml" in err.reason


def test_digest_time_past_midnight_is_refused(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        svc["service"]["digest_time"] = "25:00"

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "mailflow.toml"
    assert err.key == "service.digest_time"
    assert "25:00" in err.reason


@pytest.mark.parametrize("remind", [10, 11])
def test_reminder_not_before_feedback_deadline_is_refused(tmp_path: Path, remind: int) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        orgs["nacka"]["policy"]["remind_before_working_days"] = remind  # feedback is 10

    err = _refused(tmp_path, mutate)
    assert Path(err.file) == tmp_path / "organizations" / "nacka.toml"
    assert err.key == "policy.remind_before_working_days"
    assert "feedback_working_days" in err.reason


def test_config_error_message_carries_file_key_and_reason(tmp_path: Path) -> None:
    def mutate(svc: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> None:
        svc["service"]["digest_time"] = "25:00"

    err = _refused(tmp_path, mutate)
    assert str(err) == f"{err.file}: service.digest_time: {err.reason}"
