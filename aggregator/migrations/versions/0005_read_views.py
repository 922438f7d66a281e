"""The read interface: per-source and per-episode consensus rows, and the SQL views downstream readers use.

The views (``v_dramas``, ``v_reviews``, ``v_drama_sources``, ``v_drama_episodes``) are the stable contract
documented in docs/schema.md. A later migration that renames, removes or retypes a view column is a breaking
change and must say "BREAKING" in its docstring; adding a column is compatible.

The views are plain SELECTs with joins and correlated subqueries (no JSON functions), so they read the same on
SQLite and PostgreSQL and open in any SQLite tool. SQLite checks views when a table is renamed, so a later
migration that rebuilds a table they read (batch mode) must drop them first and create them again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The editor decisions still in force on one unordered review pair (:a, :b), latest first.
_PAIR_DECISIONS = """
    FROM corrections p
    WHERE p.revoked_at IS NULL AND p.kind IN ('split_duplicate', 'force_duplicate')
      AND ((p.review_id = {a} AND p.other_review_id = {b}) OR (p.review_id = {b} AND p.other_review_id = {a}))
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT 1"""

# duplicate_of as scoring applies it (aggregator.store.corrections.CorrectionSet.duplicate_of): the detector's
# link unless an editor split that pair (or forced it the other way), else the review an editor forced it onto.
_DUPLICATE_OF = f"""
    CASE
      WHEN dl.canonical_id IS NOT NULL AND COALESCE((
          SELECT CASE WHEN p.kind = 'force_duplicate' AND p.review_id = r.id THEN 1 ELSE 0 END
          {_PAIR_DECISIONS.format(a="r.id", b="dl.canonical_id")}
        ), 1) = 1
      THEN dl.canonical_id
      ELSE (
        SELECT f.other_review_id FROM corrections f
        WHERE f.revoked_at IS NULL AND f.kind = 'force_duplicate' AND f.review_id = r.id
          AND f.id = (SELECT p.id {_PAIR_DECISIONS.format(a="f.review_id", b="f.other_review_id")})
        ORDER BY f.created_at, f.id
        LIMIT 1
      )
    END"""

VIEWS: dict[str, str] = {
    "v_dramas": """
SELECT
  d.id AS drama_id, d.title, d.native_title, d.year, d.country, d.episodes, d.needs_review, d.created_at,
  (SELECT m.other_drama_id FROM corrections m
   WHERE m.kind = 'merge_dramas' AND m.revoked_at IS NULL AND m.drama_id = d.id
   ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS merged_into_id,
  COALESCE(s.n_stored, 0) AS n_reviews_stored, s.last_review_at,
  c.score, c.ci_low, c.ci_high, c.mean, c.median, c.stdev, c.pct_positive,
  c.n_reviews, c.n_scored, c.n_inferred, c.band, c.agreement, c.tbd, c.method, c.computed_at
FROM dramas d
LEFT JOIN consensus c ON c.drama_id = d.id
LEFT JOIN (
  SELECT drama_id, COUNT(*) AS n_stored, MAX(COALESCE(published_at, first_seen_at)) AS last_review_at
  FROM reviews GROUP BY drama_id
) s ON s.drama_id = d.id""",
    "v_reviews": f"""
SELECT
  r.id AS review_id, r.drama_id, d.title AS drama_title, r.source_id, src.name AS source, r.source_review_id,
  r.kind, r.url,
  r.author_id, COALESCE(a.display_name, a.handle, r.author_raw) AS author, a.handle AS author_handle,
  r.author_raw,
  r.title, r.body, r.body_raw, r.language,
  r.published_at, r.published_raw,
  r.score, r.score_raw, r.score_scale, r.inferred_score, r.inferred_method,
  r.spoiler, r.spoiler_reason, r.helpful_votes, r.episodes_seen, r.episodes_total, r.watch_status,
  r.watch_status_raw,
  x.duplicate_of,
  CASE WHEN x.duplicate_of IS NULL THEN NULL WHEN x.duplicate_of = x.linked_to THEN x.link_rule ELSE 'editor' END
    AS duplicate_rule,
  EXISTS (
    SELECT 1 FROM corrections e WHERE e.kind = 'exclude_review' AND e.revoked_at IS NULL AND e.review_id = r.id
  ) AS excluded,
  r.first_seen_at, r.last_seen_at, r.crawled_at, r.crawl_run_id
FROM reviews r
JOIN (
  SELECT r.id AS review_id, dl.canonical_id AS linked_to, dl.rule AS link_rule, {_DUPLICATE_OF} AS duplicate_of
  FROM reviews r LEFT JOIN duplicate_links dl ON dl.review_id = r.id
) x ON x.review_id = r.id
JOIN dramas d ON d.id = r.drama_id
JOIN sources src ON src.id = r.source_id
LEFT JOIN authors a ON a.id = r.author_id""",
    "v_drama_sources": """
SELECT cs.drama_id, src.id AS source_id, cs.source, cs.n AS n_scored, cs.mean, cs.weight
FROM consensus_sources cs
LEFT JOIN sources src ON src.name = cs.source""",
    "v_drama_episodes": """
SELECT ce.drama_id, ce.episode, ce.n AS n_scored, ce.mean
FROM consensus_episodes ce""",
}

CONSENSUS = sa.table(
    "consensus",
    sa.column("drama_id", sa.Integer()),
    sa.column("per_source", sa.JSON()),
    sa.column("per_episode", sa.JSON()),
)


def _backfill(sources: sa.Table, episodes: sa.Table) -> None:
    """Child rows for the consensus rows already stored (their JSON), so the views are complete at once."""
    conn = op.get_bind()
    by_source, by_episode = [], []
    for drama_id, per_source, per_episode in conn.execute(sa.select(CONSENSUS)):
        for name, s in sorted((per_source or {}).items()):
            row = {"drama_id": drama_id, "source": name, "n": s["n"], "mean": s["mean"], "weight": s["weight"]}
            by_source.append(row)
        for episode, e in sorted((per_episode or {}).items(), key=lambda kv: int(kv[0])):
            by_episode.append({"drama_id": drama_id, "episode": int(episode), "n": e["n"], "mean": e["mean"]})
    if by_source:
        op.bulk_insert(sources, by_source)
    if by_episode:
        op.bulk_insert(episodes, by_episode)


def upgrade() -> None:
    sources = op.create_table(
        "consensus_sources",
        sa.Column("drama_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Double(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drama_id"],
            ["consensus.drama_id"],
            name=op.f("fk_consensus_sources_drama_id_consensus"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("drama_id", "source", name=op.f("pk_consensus_sources")),
    )
    episodes = op.create_table(
        "consensus_episodes",
        sa.Column("drama_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drama_id"],
            ["consensus.drama_id"],
            name=op.f("fk_consensus_episodes_drama_id_consensus"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("drama_id", "episode", name=op.f("pk_consensus_episodes")),
    )
    if not context.is_offline_mode():
        _backfill(sources, episodes)
    for name, select in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {select.strip()}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_table("consensus_episodes")
    op.drop_table("consensus_sources")
