"""The deployment files, checked as far as this machine can (no Docker daemon here).

compose.yaml is parsed and held to what it must do; the Dockerfile's stages are
read and linted for what the final image must and must not have; the systemd
unit is verified by systemd-analyze with its paths pointed at this checkout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|cc|make|build-essential|python3-dev|libpq-dev|clang)\b")


def stages(dockerfile: str) -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split into stages at each FROM."""
    text = re.sub(r"\\\n", " ", dockerfile)
    out: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append([])
        out[-1].append(line)
    return out


def test_the_image_is_built_in_stages_and_runs_small_and_not_as_root() -> None:
    parts = stages((ROOT / "Dockerfile").read_text())
    assert len(parts) >= 2
    final = parts[-1]
    assert final[0].startswith("FROM python:3.11-slim")
    assert any(i.startswith("COPY --from=build /opt/mailflow") for i in final)
    assert not [i for i in final if i.upper().startswith("RUN") and BUILD_TOOLS.search(i)]
    assert not [i for i in final if "apt-get install" in i]
    user = [i.split()[1] for i in final if i.upper().startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
    health = [i for i in final if i.upper().startswith("HEALTHCHECK ")]
    assert len(health) == 1 and "/healthz" in health[0]
    assert any("MAILFLOW_METRICS_BIND=0.0.0.0:9108" in i for i in final)  # the health check can reach it
    cmd = [i for i in final if i.upper().startswith("CMD ")][-1]
    assert cmd.index("db upgrade") < cmd.index("exec mailflow run")


def test_compose_runs_migrations_before_mailflow_beside_postgresql_with_volumes() -> None:
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = spec["services"]
    assert set(services) == {"postgres", "migrate", "mailflow"}
    assert services["migrate"]["command"] == ["mailflow", "db", "upgrade"]
    app = services["mailflow"]
    assert app["command"] == ["mailflow", "run"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    for name in ("migrate", "mailflow"):
        url = services[name]["environment"]["MAILFLOW_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/mailflow" in url
    assert {"pgdata", "mailflow-var"} <= set(spec["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "mailflow-var:/app/var" in app["volumes"]
    assert app["ports"] == ["127.0.0.1:9108:9108"]  # metrics and health on loopback of the host only
    assert "${POSTGRES_PASSWORD:?" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]


def unit_lines() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (ROOT / "deploy" / "mailflow.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_the_systemd_unit_upgrades_the_database_before_it_runs() -> None:
    unit = unit_lines()
    assert unit["ExecStartPre"] == ["/opt/mailflow/bin/mailflow db upgrade"]
    assert unit["ExecStart"] == ["/opt/mailflow/bin/mailflow run"]
    assert unit["User"] == ["mailflow"] and unit["KillSignal"] == ["SIGTERM"]
    assert "PrivateTmp" not in unit  # the PostgreSQL sent journal lives in TMPDIR and must outlive a restart
    assert unit["Environment"] == ["MAILFLOW_CONFIG=/etc/mailflow/mailflow.toml", "TMPDIR=/var/lib/mailflow"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    mailflow = ROOT / ".venv" / "bin" / "mailflow"
    text = (ROOT / "deploy" / "mailflow.service").read_text().replace("/opt/mailflow/bin/mailflow", str(mailflow))
    good = tmp_path / "mailflow.service"
    good.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(good)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    # the check can fail: a unit whose ExecStart is not an absolute path is refused
    bad = tmp_path / "broken.service"
    bad.write_text(text.replace(f"ExecStart={mailflow} run", "ExecStart=mailflow-missing run"))
    broken = subprocess.run(["systemd-analyze", "verify", str(bad)], capture_output=True, text=True, check=False)
    assert broken.returncode != 0 or "mailflow-missing" in broken.stderr
