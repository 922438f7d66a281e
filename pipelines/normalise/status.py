"""Watch status: the reviewer's progress as the site labels it -> ``completed`` / ``ongoing`` / ``dropped``."""

from __future__ import annotations

import re
import unicodedata

_STATUSES = {
    "completed": "completed",
    "complete": "completed",
    "finished": "completed",
    "ongoing": "ongoing",
    "watching": "ongoing",
    "currently watching": "ongoing",
    "dropped": "dropped",
}
# Real statuses that say nothing about how much of the show the reviewer judged.
_OTHER = frozenset({"on hold", "plan to watch", "not interested"})


def watch_status(raw: str | None) -> str | None:
    """``completed``, ``ongoing``, ``dropped`` or None (on hold, plan to watch, unknown).

    ``" Currently  Watching "`` -> ``"ongoing"``
    """
    return watch_status_with_reason(raw)[0]


def watch_status_with_reason(raw: str | None) -> tuple[str | None, str | None]:
    """(status, None) or (None, reason): ``empty``, ``other_status`` (on hold, plan to watch), ``unrecognised``.

    ``"On-Hold"`` -> ``(None, "other_status")``
    """
    if not isinstance(raw, str):
        return None, "empty"
    key = " ".join(re.sub(r"[-_]", " ", unicodedata.normalize("NFKC", raw)).split()).lower()
    if not key:
        return None, "empty"
    if key in _STATUSES:
        return _STATUSES[key], None
    return None, "other_status" if key in _OTHER else "unrecognised"
