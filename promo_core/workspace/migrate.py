"""Schema versions: Alembic migrations shipped in ``migrations/`` and run programmatically.

:func:`upgrade` brings a database to the newest revision this version of PromoScope knows (``upgrade
head``), creating the tables in an empty database. A database stamped with a revision this version does
not know (written by a newer PromoScope) is refused with a DataError rather than touched.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from ..i18n import _
from ..schema import DataError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def known_revisions() -> list[str]:
    """Every revision shipped, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is stamped with (None: an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest), refusing an unknown newer schema."""
    cfg = alembic_config()
    with engine.begin() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current is not None and current not in known_revisions():
            raise DataError(
                _("This workspace database was written by a newer version of PromoScope (schema {revision}), "
                  "which this version cannot read").format(revision=current),
                hint=_("Upgrade PromoScope to the version your team uses, or open another workspace"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
