"""Correction forms of the editors' page, read into `apply_correction` arguments (pure; ValueError on bad input).

Only the targets a kind uses are read (`KIND_TARGETS`), so a stray field never changes what is recorded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aggregator.store.corrections import KIND_TARGETS

INT_FIELDS = ("review_id", "other_review_id", "drama_id", "other_drama_id", "source_id")
MAX_REASON = 2000


def _int(form: Mapping[str, str], name: str) -> int | None:
    text = (form.get(name) or "").strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{name.replace('_', ' ')} must be a number, got {text[:40]!r}")
    return int(text)


def _value(form: Mapping[str, str]) -> float | None:
    text = (form.get("value") or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"value must be a number, got {text[:40]!r}") from None
    if not math.isfinite(value):
        raise ValueError("value must be a finite number")
    return value


def parse_correction(form: Mapping[str, str]) -> tuple[str, str, dict[str, Any]]:
    """(kind, reason, targets) from a submitted form.

    >>> parse_correction({"kind": "exclude_review", "review_id": "42", "reason": "spam", "value": "9"})
    ('exclude_review', 'spam', {'review_id': 42})
    """
    kind = (form.get("kind") or "").strip()
    if kind not in KIND_TARGETS:
        raise ValueError(f"unknown correction {kind[:40]!r}")
    reason = " ".join((form.get("reason") or "").split())
    if not reason:
        raise ValueError("every correction needs a reason")
    if len(reason) > MAX_REASON:
        raise ValueError(f"a reason of at most {MAX_REASON} characters, please")
    required, optional = KIND_TARGETS[kind]
    wanted = set(required + optional)
    targets: dict[str, Any] = {}
    for name in INT_FIELDS:
        if name in wanted:
            targets[name] = _int(form, name)
    if "value" in wanted:
        targets["value"] = _value(form)
    if "payload" in wanted:
        ids = [part.strip().lstrip("#") for part in (form.get("review_ids") or "").replace(" ", ",").split(",")]
        ids = [part for part in ids if part]
        if not all(part.isdigit() for part in ids):
            raise ValueError("review ids must be numbers separated by commas")
        title = " ".join((form.get("title") or "").split())
        targets["payload"] = {"review_ids": [int(i) for i in ids], **({"title": title} if title else {})}
        if not ids:
            targets["payload"] = None
    return kind, reason, targets
