"""The two workspace backends every workspace test runs on: a SQLite file and a real PostgreSQL server.

PostgreSQL comes from ``PROMOSCOPE_TEST_PG_URL`` (exported by scripts/pg_test_server.sh, which
scripts/test.sh sources). Each test gets a fresh database on that server. Without the variable the
PostgreSQL runs are skipped on a developer's machine and FAIL under CI=true.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_ENV = "PROMOSCOPE_TEST_PG_URL"


def _pg_database():
    import sqlalchemy as sa
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{PG_ENV} is not set: CI must run the workspace tests on PostgreSQL "
                        "(scripts/test.sh starts one with scripts/pg_test_server.sh)")
        pytest.skip(f"{PG_ENV} not set (run: source scripts/pg_test_server.sh)")
    name = "ws_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    return admin, name, url


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace_url(request, tmp_path):
    """A URL of an empty workspace database, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workspace.db'}"
        return
    import sqlalchemy as sa
    admin, name, url = _pg_database()
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def workspace(workspace_url):
    from promo_core.workspace import open_workspace
    ws = open_workspace(workspace_url)
    yield ws
    ws.close()
