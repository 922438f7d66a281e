"""Duplicates, editors' corrections and the consensus score; inferred scores on reviews.

New tables rather than new foreign keys on ``reviews``: adding a constraint to an existing SQLite table
means rebuilding it, and dropping ``reviews`` during a rebuild would cascade into ``ratings``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
KINDS = (
    "exclude_review", "split_duplicate", "force_duplicate", "merge_dramas", "split_drama", "source_weight",
    "override_inferred", "exclude_inferred",
)  # fmt: skip


def upgrade() -> None:
    # Plain nullable columns: SQLite adds them in place, no table rebuild.
    op.add_column("reviews", sa.Column("inferred_score", sa.Double(), nullable=True))
    op.add_column("reviews", sa.Column("inferred_method", sa.String(), nullable=True))

    op.create_table(
        "duplicate_links",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("canonical_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("similarity", sa.Double(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["canonical_id"], ["reviews.id"], name=op.f("fk_duplicate_links_canonical_id_reviews"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_duplicate_links_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_duplicate_links")),
    )
    op.create_index(op.f("ix_duplicate_links_canonical_id"), "duplicate_links", ["canonical_id"])

    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("other_review_id", sa.Integer(), nullable=True),
        sa.Column("drama_id", sa.Integer(), nullable=True),
        sa.Column("other_drama_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("editor", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")", name=op.f("ck_corrections_kind")),
        sa.ForeignKeyConstraint(["drama_id"], ["dramas.id"], name=op.f("fk_corrections_drama_id_dramas")),
        sa.ForeignKeyConstraint(["other_drama_id"], ["dramas.id"], name=op.f("fk_corrections_other_drama_id_dramas")),
        sa.ForeignKeyConstraint(
            ["other_review_id"], ["reviews.id"], name=op.f("fk_corrections_other_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_corrections_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_corrections_source_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index(op.f("ix_corrections_drama_id"), "corrections", ["drama_id"])
    op.create_index(op.f("ix_corrections_review_id"), "corrections", ["review_id"])

    op.create_table(
        "consensus",
        sa.Column("drama_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("computed_at", UTC_DATETIME, nullable=False),
        sa.Column("n_reviews", sa.Integer(), nullable=False),
        sa.Column("n_scored", sa.Integer(), nullable=False),
        sa.Column("n_inferred", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("mean", sa.Double(), nullable=True),
        sa.Column("median", sa.Double(), nullable=True),
        sa.Column("stdev", sa.Double(), nullable=True),
        sa.Column("ci_low", sa.Double(), nullable=True),
        sa.Column("ci_high", sa.Double(), nullable=True),
        sa.Column("pct_positive", sa.Double(), nullable=True),
        sa.Column("band", sa.String(), nullable=True),
        sa.Column("tbd", sa.Boolean(), nullable=False),
        sa.Column("agreement", sa.String(), nullable=True),
        sa.Column("per_source", sa.JSON(), nullable=False),
        sa.Column("per_episode", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drama_id"], ["dramas.id"], name=op.f("fk_consensus_drama_id_dramas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("drama_id", name=op.f("pk_consensus")),
    )


def downgrade() -> None:
    op.drop_table("consensus")
    op.drop_index(op.f("ix_corrections_review_id"), table_name="corrections")
    op.drop_index(op.f("ix_corrections_drama_id"), table_name="corrections")
    op.drop_table("corrections")
    op.drop_index(op.f("ix_duplicate_links_canonical_id"), table_name="duplicate_links")
    op.drop_table("duplicate_links")
    # SQLite 3.35+ drops plain columns in place.
    op.drop_column("reviews", "inferred_method")
    op.drop_column("reviews", "inferred_score")
