"""The workspace's tables (SQLAlchemy 2 declarative models).

The schema is owned by the Alembic migrations in ``migrations/versions``; these models describe the
same tables for the repository code and must change only together with a new migration.

Tables
------
campaigns
    One saved campaign: ``name`` (unique in the workspace), ``author``, ``created_at`` (UTC),
    ``start_date``/``end_date``, ``dataset`` (the dataset id: name, users, first and last event),
    ``segmentation``, ``plan`` (offers and assumptions, as in a plan file), ``forecast`` (the
    forecast.json record: per segment and total), the forecast's summary columns
    (``forecast_profit``, ``forecast_profit_low``/``_high``, ``forecast_roi``, ``forecast_cost``),
    the assignment's ``seed`` and ``holdout_share``, its counts (``n_targets``, ``n_holdout``) and
    ``status`` (planned / running / measured / closed).
campaign_targets
    The target/holdout assignment, compactly: one row per user (``user_id``, ``segment``,
    ``holdout`` true/false). The offer of each row follows from the campaign's plan.
readouts
    A measurement of a campaign: ``result`` (per-segment and total measured results, JSON) and the
    summary columns ``measured_profit``, ``measured_profit_low``/``_high``, ``roi`` and ``lift``.
experiments
    A saved A/B result summary (JSON) with its name, author and time.
assumption_sets
    A saved set of planning assumptions (JSON) with its name, author and time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAME_LENGTH = 200


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("name", name="uq_campaigns_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    author: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    dataset: Mapped[dict[str, Any]] = mapped_column(JSON)
    segmentation: Mapped[str] = mapped_column(String(40))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    forecast: Mapped[dict[str, Any]] = mapped_column(JSON)
    forecast_profit: Mapped[float | None] = mapped_column(Float)
    forecast_profit_low: Mapped[float | None] = mapped_column(Float)
    forecast_profit_high: Mapped[float | None] = mapped_column(Float)
    forecast_roi: Mapped[float | None] = mapped_column(Float)
    forecast_cost: Mapped[float | None] = mapped_column(Float)
    seed: Mapped[int | None] = mapped_column(Integer)
    holdout_share: Mapped[float | None] = mapped_column(Float)
    n_targets: Mapped[int] = mapped_column(Integer, default=0)
    n_holdout: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="planned")


class Target(Base):
    __tablename__ = "campaign_targets"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    segment: Mapped[str] = mapped_column(String(NAME_LENGTH))
    holdout: Mapped[bool] = mapped_column(Boolean)


class Readout(Base):
    __tablename__ = "readouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str] = mapped_column(String(NAME_LENGTH))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    measured_profit: Mapped[float | None] = mapped_column(Float)
    measured_profit_low: Mapped[float | None] = mapped_column(Float)
    measured_profit_high: Mapped[float | None] = mapped_column(Float)
    roi: Mapped[float | None] = mapped_column(Float)
    lift: Mapped[float | None] = mapped_column(Float)


class Experiment(Base):
    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("name", name="uq_experiments_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    author: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class AssumptionSet(Base):
    __tablename__ = "assumption_sets"
    __table_args__ = (UniqueConstraint("name", name="uq_assumption_sets_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    author: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
