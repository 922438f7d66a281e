"""Tests of aggregator.store and the Alembic migrations."""
