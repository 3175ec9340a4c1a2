"""Alembic migrations of the workspace schema, shipped inside the package and run by :func:`..migrate.upgrade`."""
