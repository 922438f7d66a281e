"""The review store: SQLAlchemy models (`models`), engines and the committing retry loop (`engine`),
batched writes (`reviews`) and read queries (`queries`). Schema changes go through `aggregator/migrations`.
"""
