"""The workspace: a database that remembers campaigns, their target/holdout assignments and readouts,
saved A/B experiments and saved assumptions.

SQLite by default (``~/.promoscope/workspace.db``, created on first use), PostgreSQL for a team; the
schema is versioned with Alembic migrations that run when a workspace is opened. The core never imports
streamlit: the app hands over a URL or an engine built from ``st.connection("workspace", type="sql")``.
"""

from .store import (
    CAMPAIGN_COLUMNS,
    ENV_VAR,
    CampaignDetail,
    Workspace,
    create_workspace_engine,
    default_author,
    default_path,
    dumps,
    jsonable,
    open_workspace,
    resolve_url,
    safe_url,
)

_MIGRATE = ("current_revision", "head_revision", "known_revisions", "upgrade")


def __getattr__(name: str):
    """The migration helpers, imported on first use (alembic is only needed when a workspace is opened)."""
    if name in _MIGRATE:
        from . import migrate
        return getattr(migrate, name)
    raise AttributeError(name)


__all__ = [
    "CAMPAIGN_COLUMNS", "ENV_VAR", "CampaignDetail", "Workspace", "create_workspace_engine", "current_revision",
    "default_author", "default_path", "dumps", "head_revision", "jsonable", "known_revisions", "open_workspace",
    "resolve_url", "safe_url", "upgrade",
]
