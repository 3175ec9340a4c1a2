"""Campaigns, their target/holdout assignment and their readouts.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("dataset", sa.JSON(), nullable=False),
        sa.Column("segmentation", sa.String(40), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("forecast", sa.JSON(), nullable=False),
        sa.Column("forecast_profit", sa.Float(), nullable=True),
        sa.Column("forecast_profit_low", sa.Float(), nullable=True),
        sa.Column("forecast_profit_high", sa.Float(), nullable=True),
        sa.Column("forecast_roi", sa.Float(), nullable=True),
        sa.Column("forecast_cost", sa.Float(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("holdout_share", sa.Float(), nullable=True),
        sa.Column("n_targets", sa.Integer(), nullable=False),
        sa.Column("n_holdout", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.UniqueConstraint("name", name="uq_campaigns_name"),
    )
    op.create_table(
        "campaign_targets",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(200), primary_key=True),
        sa.Column("segment", sa.String(200), nullable=False),
        sa.Column("holdout", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "readouts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("measured_profit", sa.Float(), nullable=True),
        sa.Column("measured_profit_low", sa.Float(), nullable=True),
        sa.Column("measured_profit_high", sa.Float(), nullable=True),
        sa.Column("roi", sa.Float(), nullable=True),
        sa.Column("lift", sa.Float(), nullable=True),
    )
    op.create_index("ix_readouts_campaign_id", "readouts", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_readouts_campaign_id", table_name="readouts")
    op.drop_table("readouts")
    op.drop_table("campaign_targets")
    op.drop_table("campaigns")
