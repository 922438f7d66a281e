"""JSON-LD ``<script>`` blocks read one at a time, leniently: what real sites put there is often not JSON.

``json.loads`` first (raw control characters allowed); then HTML comment and CDATA wrappers, JavaScript
comments and trailing commas are removed and every JSON value in the text is read (some sites put two
objects in one script). A block that still fails says why, with the first error (the real fault).
"""

from __future__ import annotations

import re

import jstyleson

from spiders.extractors.limits import decoder, load_json, scrub

# HTML comments and CDATA sections that wrap (or sit beside) the JSON in a script, from older templates.
_COMMENT_LINE = re.compile(r"\s*(?:<!--.*-->|<!--|-->|(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>)\s*")
_EDGES = re.compile(r"^\s*(?:<!--|(?://\s*)?<!\[CDATA\[)|(?:-->|(?://\s*)?\]\]>)\s*$")


def _loads_all(text: str) -> list:
    """Every JSON value in `text` (some sites put two objects in one script)."""
    reader, values, pos = decoder(strict=False), [], 0
    while pos < len(text):
        value, pos = reader.raw_decode(text, pos)
        values.append(scrub(value))
        while pos < len(text) and text[pos] in " \t\r\n;":
            pos += 1
    return values


def parse_jsonld_block(text: str) -> tuple[list | None, bool, str | None]:
    """(values, repaired, error) for one script's text; values is None when it cannot be read at all."""
    try:
        return [load_json(text, strict=False)], False, None
    except RecursionError:
        return None, False, "nested too deeply"
    except ValueError as exc:
        error = str(exc)
    try:
        lines = (line for line in text.splitlines() if not _COMMENT_LINE.fullmatch(line))
        values = _loads_all(jstyleson.dispose(_EDGES.sub("", "\n".join(lines))).strip())
    except RecursionError:
        return None, False, "nested too deeply"
    except (ValueError, TypeError, IndexError):
        return None, False, error  # the first error names the real fault, not one our cleanup made
    return (values, True, None) if values else (None, False, "no JSON in the block")
