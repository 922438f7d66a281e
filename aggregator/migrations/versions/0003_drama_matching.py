"""Drama matching: dramas can be flagged for review, aliases get a compact key and the new normalised keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALIASES = sa.table(
    "drama_aliases",
    sa.column("id", sa.Integer()),
    sa.column("alias", sa.String()),
    sa.column("alias_key", sa.String()),
    sa.column("compact_key", sa.String()),
)


def _rekey(new_keys) -> None:
    """Rewrite each alias's keys as ``new_keys(alias) -> {column: value}``."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(ALIASES.c.id, ALIASES.c.alias)).all()
    updates = [{"row_id": row_id, **new_keys(alias)} for row_id, alias in rows]
    if updates:
        values = {name: sa.bindparam(name) for name in updates[0] if name != "row_id"}
        conn.execute(ALIASES.update().where(ALIASES.c.id == sa.bindparam("row_id")).values(values), updates)


def _old_key(alias: str) -> str:
    # The key of revisions 0001-0002, restored on downgrade.
    return " ".join(alias.split()).casefold()


def _aliases_as_added() -> sa.Table:
    """drama_aliases right after compact_key was added: offline SQLite batch mode cannot reflect it."""
    return sa.Table(
        "drama_aliases",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drama_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("alias_key", sa.String(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.String(), nullable=True),
        sa.Column("compact_key", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["drama_id"], ["dramas.id"], name="fk_drama_aliases_drama_id_dramas"),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_drama_aliases_source_id_sources"),
        sa.PrimaryKeyConstraint("id", name="pk_drama_aliases"),
        sa.UniqueConstraint("source_id", "site_id", name="uq_drama_aliases_source_id_site_id"),
        sa.Index("ix_drama_aliases_alias_key", "alias_key"),
        sa.Index("ix_drama_aliases_drama_id", "drama_id"),
    )


def upgrade() -> None:
    # A constant default: SQLite adds such a column in place, and '0' reads as false on both databases.
    with op.batch_alter_table("dramas") as batch:
        batch.add_column(sa.Column("needs_review", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("match_note", sa.Text(), nullable=True))
    with op.batch_alter_table("drama_aliases") as batch:
        batch.add_column(sa.Column("compact_key", sa.String(), nullable=True))

    if context.is_offline_mode():
        # No rows to read when only rendering SQL: an approximation from the old key, which the next online
        # start does not correct. Run offline SQL on an empty store, or re-key with `rekey_aliases`.
        op.execute(ALIASES.update().values(compact_key=sa.func.replace(ALIASES.c.alias_key, " ", "")))
    else:
        # The keys are Python functions (Unicode-aware normalisation no SQL dialect here has), so the
        # stored ones are recomputed row by row by the pure matching module (no model code), with the
        # models' fallback for a name that normalises to nothing.
        from aggregator.matching import compact_key, title_key

        def keys(alias: str) -> dict[str, str]:
            key = title_key(alias) or _old_key(alias)
            return {"alias_key": key, "compact_key": compact_key(alias) or "".join(key.split())}

        _rekey(keys)

    offline_sqlite = context.is_offline_mode() and op.get_context().dialect.name == "sqlite"
    with op.batch_alter_table("drama_aliases", copy_from=_aliases_as_added() if offline_sqlite else None) as batch:
        batch.alter_column("compact_key", existing_type=sa.String(), nullable=False)
        batch.create_index(batch.f("ix_drama_aliases_compact_key"), ["compact_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("drama_aliases") as batch:
        batch.drop_index(batch.f("ix_drama_aliases_compact_key"))
        batch.drop_column("compact_key")
    if not context.is_offline_mode():
        _rekey(lambda alias: {"alias_key": _old_key(alias)})
    # Rebuilding `dramas` (batch mode's way) means dropping a table that aliases and reviews point at,
    # which SQLite refuses with foreign keys on; SQLite 3.35+ drops these plain columns in place instead.
    in_place = sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("dramas", recreate="never" if in_place else "auto") as batch:
        batch.drop_column("match_note")
        batch.drop_column("needs_review")
