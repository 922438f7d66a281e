"""Sources by configuration: a TOML file names each source, its spider kind and what to crawl.

A bad file is rejected at start with the line and the reason (`SourcesError`), never half-loaded.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

# Keys every source may have, with their types; kind-specific keys are listed in KIND_OPTIONS.
COMMON = {
    "kind": str,
    "base_url": str,
    "language": str,
    "day_first": bool,
    "default_scale": float,
    "weight": float,
    "schedule": str,
    "enabled": bool,
}
# What each spider kind can be told to crawl. list[str] values must be lists of strings.
KIND_OPTIONS: dict[str, dict[str, Any]] = {
    "mydramalist": {"dramas": list, "listing_pages": int, "review_pages": int, "impersonate": str},
    "wordpress": {
        "api": bool,
        "search": list,
        "categories": list,
        "per_page": int,
        "max_pages": int,
        "post_urls": list,
        "comments": bool,
    },
    "reddit": {
        "subreddits": list,
        "search": list,
        "episode_threads": bool,
        "user_agent": str,
        "requests_per_minute": int,
        "max_threads": int,
        "follow_more": bool,
    },
    "schemaorg": {"urls": list},
}
DEFAULT_FILE = "sources.toml"


class SourcesError(ValueError):
    """The sources file is invalid; the message names the file, the line and the reason."""


@dataclass(frozen=True)
class SourceConfig:
    """One source: a site (or subreddit set, or URL list) crawled by one spider kind."""

    name: str
    """Unique source name; stored on every review (`reviews.source`)."""
    kind: str
    """Spider that crawls it: mydramalist, wordpress, reddit, schemaorg."""
    base_url: str = ""
    """Site root, e.g. ``https://mydramalist.com``; tests and the demo point it at 127.0.0.1."""
    language: str | None = None
    """Language of the reviews (BCP 47) when the site does not say."""
    day_first: bool = False
    """Whether "03/04/2022" on this site is 3 April."""
    default_scale: float | None = None
    """Scale of a bare number ("9.0" means 9/10 when this is 10)."""
    weight: float = 1.0
    """Weight of this source's reviews in the consensus."""
    schedule: str | None = None
    """Cron expression for scheduled crawls (operations)."""
    enabled: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)
    """Kind-specific: what to crawl (drama ids, categories, subreddits, searches, URL lists...)."""

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


def _line_of(text: str, name: str | None, key: str | None = None) -> int | None:
    """Line of `[sources.NAME]` (or of `key =` inside it) in the file text, for error messages."""
    if name is None:
        return None
    lines = text.splitlines()
    header = re.compile(rf'^\s*\[\s*sources\s*\.\s*"?{re.escape(name)}"?\s*(\.[^\]]*)?\]')
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return None
    if key is None:
        return start + 1
    keyre = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("[") and not lines[i].lstrip().startswith(f"[sources.{name}."):
            break
        if keyre.match(lines[i]):
            return i + 1
    return start + 1


def _check_type(value: Any, expected: type) -> bool:
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, expected)


def _type_name(expected: type) -> str:
    return {list: "a list of strings", float: "a number", int: "a whole number", bool: "true or false"}.get(
        expected, "a string"
    )


def parse_sources(text: str, *, origin: str = "<sources>", variables: Mapping[str, str] | None = None) -> list[SourceConfig]:
    """Sources from TOML text; ``${name}`` in string values is replaced from `variables` (the demo's base URL).

    Raises SourcesError naming the origin, line and reason for anything wrong.
    """

    def fail(reason: str, name: str | None = None, key: str | None = None, line: int | None = None):
        line = line or _line_of(text, name, key)
        where = f"{origin}:{line}" if line else origin
        raise SourcesError(f"{where}: {reason}")

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        # tomllib names no line for an error at the end of the file: the last line is where to look.
        line = int(match.group(1)) if match else max(1, len(text.splitlines()))
        fail(f"not valid TOML: {exc}", line=line)
    unknown_top = set(data) - {"sources"}
    if unknown_top:
        fail(f"unknown top-level key(s) {sorted(unknown_top)}; sources go under [sources.NAME]")
    table = data.get("sources")
    if not isinstance(table, dict) or not table:
        fail("no sources: add at least one [sources.NAME] table")

    out = []
    for name, raw in table.items():
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
            fail(f"source name {name!r} must be letters, digits, '_', '-' or '.'", name)
        if not isinstance(raw, dict):
            fail(f"sources.{name} must be a table", name)
        kind = raw.get("kind")
        if kind not in KIND_OPTIONS:
            fail(f"sources.{name}: kind must be one of {sorted(KIND_OPTIONS)}, got {kind!r}", name, "kind")
        allowed = {**COMMON, **KIND_OPTIONS[kind]}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in allowed:
                fail(f"sources.{name}: unknown key {key!r} for kind {kind!r}", name, key)
            if not _check_type(value, allowed[key]):
                fail(f"sources.{name}.{key} must be {_type_name(allowed[key])}, got {value!r}", name, key)
            values[key] = _substitute(value, variables or {}, lambda reason: fail(reason, name, key))
        if "weight" in values and values["weight"] < 0:
            fail(f"sources.{name}.weight must not be negative", name, "weight")
        if "default_scale" in values and values["default_scale"] <= 0:
            fail(f"sources.{name}.default_scale must be positive", name, "default_scale")
        base_url = values.get("base_url", "")
        if base_url and not re.match(r"https?://", base_url):
            fail(f"sources.{name}.base_url must start with http:// or https://", name, "base_url")
        common = {k: values.pop(k) for k in list(values) if k in COMMON}
        if "default_scale" in common:
            common["default_scale"] = float(common["default_scale"])
        if "weight" in common:
            common["weight"] = float(common["weight"])
        out.append(SourceConfig(name=name, **common, options=values))
    return out


def _substitute(value: Any, variables: Mapping[str, str], fail) -> Any:
    if isinstance(value, list):
        return [_substitute(v, variables, fail) for v in value]
    if not isinstance(value, str):
        return value

    def repl(match: re.Match) -> str:
        if match.group(1) not in variables:
            fail(f"unknown variable ${{{match.group(1)}}}")
        return variables[match.group(1)]

    return re.sub(r"\$\{([A-Za-z_]+)\}", repl, value)


def load_sources(path: str | Path | None = None, *, variables: Mapping[str, str] | None = None) -> list[SourceConfig]:
    """Sources from `path`, else ./sources.toml, else the default file that ships with dramascore."""
    if path is None and Path(DEFAULT_FILE).is_file():
        path = DEFAULT_FILE
    if path is None:
        text = resources.files("aggregator").joinpath("sources.default.toml").read_text(encoding="utf-8")
        return parse_sources(text, origin="aggregator/sources.default.toml", variables=variables)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_sources(text, origin=str(path), variables=variables)


def select_sources(
    sources: list[SourceConfig], *, names: list[str] | None = None, kinds: list[str] | None = None
) -> list[SourceConfig]:
    """The enabled sources matching `names` and `kinds` (all enabled ones when both are empty)."""
    known = {s.name for s in sources}
    missing = [n for n in names or [] if n not in known]
    if missing:
        raise SourcesError(f"unknown source(s) {missing}; known: {sorted(known)}")
    bad_kinds = [k for k in kinds or [] if k not in KIND_OPTIONS]
    if bad_kinds:
        raise SourcesError(f"unknown spider kind(s) {bad_kinds}; known: {sorted(KIND_OPTIONS)}")
    picked = [s for s in sources if (not names or s.name in names) and (not kinds or s.kind in kinds)]
    # A source named explicitly runs even when disabled; a broad selection skips disabled ones.
    return [s for s in picked if s.enabled or (names and s.name in names)]


def source_by_name(sources: list[SourceConfig], name: str) -> SourceConfig:
    for source in sources:
        if source.name == name:
            return source
    raise SourcesError(f"unknown source {name!r}; known: {sorted(s.name for s in sources)}")
