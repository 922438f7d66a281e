"""Initial schema: sources, dramas and their aliases, authors, reviews, ratings, crawl runs.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The models' UTCDateTime is this type plus UTC conversion in Python; migrations stay free of model code.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spider", sa.String(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("reviews_new", sa.Integer(), nullable=False),
        sa.Column("reviews_updated", sa.Integer(), nullable=False),
        sa.Column("reviews_unchanged", sa.Integer(), nullable=False),
        sa.Column("items_dropped", sa.Integer(), nullable=False),
        sa.Column("drops", sa.JSON(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('running', 'finished', 'failed')", name=op.f("ck_crawl_runs_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "dramas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("native_title", sa.String(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("episodes", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dramas")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("base_url", sa.String(), nullable=True),
        sa.Column("weight", sa.Double(), server_default="1.0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=True),
        sa.Column("profile_url", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_authors_source_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("source_id", "handle", name=op.f("uq_authors_source_id_handle")),
    )
    op.create_table(
        "drama_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drama_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("alias_key", sa.String(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["drama_id"], ["dramas.id"], name=op.f("fk_drama_aliases_drama_id_dramas")),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_drama_aliases_source_id_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drama_aliases")),
        sa.UniqueConstraint("source_id", "site_id", name=op.f("uq_drama_aliases_source_id_site_id")),
    )
    op.create_index(op.f("ix_drama_aliases_alias_key"), "drama_aliases", ["alias_key"], unique=False)
    op.create_index(op.f("ix_drama_aliases_drama_id"), "drama_aliases", ["drama_id"], unique=False)
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_review_id", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("drama_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_raw", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("body_raw", sa.Text(), nullable=True),
        sa.Column("published_raw", sa.String(), nullable=True),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("score_raw", sa.String(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("score_scale", sa.String(), nullable=True),
        sa.Column("spoiler", sa.Boolean(), nullable=True),
        sa.Column("spoiler_reason", sa.Text(), nullable=True),
        sa.Column("spoiler_flag_raw", sa.Boolean(), nullable=True),
        sa.Column("spoiler_marker_raw", sa.Text(), nullable=True),
        sa.Column("helpful_votes", sa.Integer(), nullable=True),
        sa.Column("episodes_seen", sa.Integer(), nullable=True),
        sa.Column("episodes_total", sa.Integer(), nullable=True),
        sa.Column("watch_status_raw", sa.String(), nullable=True),
        sa.Column("watch_status", sa.String(), nullable=True),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("null_reasons", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("crawled_at", UTC_DATETIME, nullable=True),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], name=op.f("fk_reviews_author_id_authors")),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_reviews_crawl_run_id_crawl_runs"),
        ),
        sa.ForeignKeyConstraint(["drama_id"], ["dramas.id"], name=op.f("fk_reviews_drama_id_dramas")),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_reviews_source_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint(
            "source_id",
            "source_review_id",
            name=op.f("uq_reviews_source_id_source_review_id"),
        ),
    )
    op.create_index(op.f("ix_reviews_author_id"), "reviews", ["author_id"], unique=False)
    op.create_index(op.f("ix_reviews_drama_id"), "reviews", ["drama_id"], unique=False)
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("aspect_raw", sa.String(), nullable=True),
        sa.Column("aspect", sa.String(), nullable=True),
        sa.Column("episode", sa.Integer(), nullable=True),
        sa.Column("score_raw", sa.String(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("scale", sa.String(), nullable=True),
        sa.CheckConstraint("kind IN ('aspect', 'episode')", name=op.f("ck_ratings_kind")),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_ratings_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
    )
    op.create_index(op.f("ix_ratings_review_id"), "ratings", ["review_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ratings_review_id"), table_name="ratings")
    op.drop_table("ratings")
    op.drop_index(op.f("ix_reviews_drama_id"), table_name="reviews")
    op.drop_index(op.f("ix_reviews_author_id"), table_name="reviews")
    op.drop_table("reviews")
    op.drop_index(op.f("ix_drama_aliases_drama_id"), table_name="drama_aliases")
    op.drop_index(op.f("ix_drama_aliases_alias_key"), table_name="drama_aliases")
    op.drop_table("drama_aliases")
    op.drop_table("authors")
    op.drop_table("sources")
    op.drop_table("dramas")
    op.drop_table("crawl_runs")
