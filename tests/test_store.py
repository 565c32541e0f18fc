"""The register on SQLite and PostgreSQL: migrations match the tables; case numbers under concurrency."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlmodel import SQLModel

from mailflow.adapters import tables  # noqa: F401
from mailflow.adapters.store import Store
from mailflow.adapters.tables import CaseCounter
from mailflow.migrate import current_revision, head_revision

pytestmark = pytest.mark.integration


def test_migrations_create_exactly_the_tables_the_code_uses(db_url: str) -> None:
    store = Store(db_url)
    try:
        assert current_revision(store.engine) == head_revision()
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == []
        store.check_schema()
    finally:
        store.dispose()


def test_the_schema_check_reads_the_same_revisions_as_alembic(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    from mailflow.migrate import alembic_config

    store = Store(db_url)
    try:
        assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
        with store.engine.connect() as conn:
            assert current_revision(store.engine) == MigrationContext.configure(conn).get_current_revision()
    finally:
        store.dispose()


def test_an_empty_database_is_at_no_revision(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert current_revision(store.engine) is None
    finally:
        store.dispose()


def test_case_numbers_are_gap_free_and_unique_under_concurrent_writers(db_url: str) -> None:
    store = Store(db_url)
    got: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    class Rollback(Exception):
        pass

    def worker(n: int) -> None:
        for i in range(8):
            try:
                with store.transaction() as reg:
                    ref, _ = reg.allocate_ref("norrmalm", "NM", 2026)
                    if (n + i) % 3 == 0:
                        raise Rollback()  # a failed registration gives its number back
                    with lock:
                        got.append(ref)
            except Rollback:
                pass
            except BaseException as exc:  # anything else is a failure of the test
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        numbers = sorted(int(r.rsplit("-", 1)[1]) for r in got)
        assert numbers == list(range(1, len(got) + 1))
        assert len(got) == 32  # 48 attempts, every third rolled back
        with store.transaction() as reg:
            counter = reg.session.execute(select(CaseCounter)).scalar_one()
        assert counter.last_number == 32
    finally:
        store.dispose()


def test_numbers_restart_per_organization_and_year(db_url: str) -> None:
    store = Store(db_url)
    try:
        with store.transaction() as reg:
            assert reg.allocate_ref("norrmalm", "NM", 2026) == ("NM-2026-0001", 1)
            assert reg.allocate_ref("norrmalm", "NM", 2026) == ("NM-2026-0002", 2)
            assert reg.allocate_ref("nacka", "NK", 2026) == ("NK-2026-0001", 1)
            assert reg.allocate_ref("norrmalm", "NM", 2027) == ("NM-2027-0001", 1)
    finally:
        store.dispose()
