"""schema.org reviews from any page: JSON-LD, microdata or RDFa ``Review`` / ``CriticReview`` / ``UserReview``.

Pure functions (body and URL in, raw items out) that never raise. Reviews are found anywhere in the data:
top-level objects, ``@graph`` containers, arrays, ``review`` lists of the reviewed show, ``@id`` references
between nodes. Types match with or without the schema.org prefix and inside a type list.

JSON-LD is read one ``<script>`` block at a time from a plain lxml tree (``spiders.extractors.jsonld``:
extruct's own JSON-LD pass drops every block of a page when one fails); a block that still fails is counted
in the report, never fatal. extruct reads microdata and RDFa, only on pages that have ``itemscope`` /
``typeof`` attributes: those are read again with extruct's DOM parser, the others never pay for it.

Scores: ``reviewRating`` is read as ``ratingValue/bestRating``, bestRating defaulting to 5 as schema.org
says. worstRating is ignored: sites mean "8 out of 10" even when they declare a worst of 1, and mapping
through it would turn an honest 1/5 into 0. A ratingValue that is not a plain number ("8/10") is kept as
written for the score normaliser.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import extruct
from extruct.xmldom import XmlDomHTMLParser
from lxml import etree

from aggregator.items import ReviewItem
from spiders.extractors import html_tree
from spiders.extractors.jsonld import parse_jsonld_block
from spiders.extractors.limits import (
    MAX_URL,
    http_url,
    short_text,
)

SOURCE = "schemaorg"
REVIEW_TYPES = frozenset({"Review", "CriticReview", "UserReview"})
# What a drama review can be about; an itemReviewed of another type (Product, Book...) gives no drama fields.
WORK_TYPES = frozenset({
    "TVSeries", "TVSeason", "TVEpisode", "Movie", "MovieSeries", "CreativeWork", "CreativeWorkSeries",
    "CreativeWorkSeason", "Episode",
})  # fmt: skip
_PREFIXES = ("http://schema.org/", "https://schema.org/", "http://www.schema.org/", "https://www.schema.org/",
             "schema:")  # fmt: skip
_MAX_DEPTH = 64  # real review data sits a few levels deep; deeper is garbage or an attack
_MAX_NODES = 50_000
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_LEADING_INT = re.compile(r"^\s*(\d{1,5})\b")
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_SPACE = re.compile(r"\s+")
_LD_TYPE = "application/ld+json"
_PREFIXED: dict[str, tuple[str, ...]] = {}  # property -> its prefixed names, made once (_get)
# Property names under which a show lists its reviews, plain or prefixed (no prefix starts another one).
_REVIEW_KEYS = frozenset(p + k for p in ("", *_PREFIXES) for k in ("review", "reviews"))
# Skipping a syntax the page does not use at all saves extruct a full pass (RDFa's is slow).
_MARKERS = (("microdata", etree.XPath("boolean(//*[@itemscope])")), ("rdfa", etree.XPath("boolean(//*[@typeof])")))


# --- small readers ------------------------------------------------------------------------------------------


def _short(name: Any) -> str:
    """'https://schema.org/Review' / 'schema:Review' -> 'Review'."""
    if not isinstance(name, str):
        return ""
    # Every prefix has a colon; most names have none.
    return next((name[len(p):] for p in _PREFIXES if name.startswith(p)), name) if ":" in name else name


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _get(node: dict, key: str) -> Any:
    """A property under its plain or prefixed name."""
    if key in node:
        return node[key]
    names = _PREFIXED.get(key) or _PREFIXED.setdefault(key, tuple(p + key for p in _PREFIXES))
    return next((node[name] for name in names if name in node), None)


def _types(node: dict) -> set[str]:
    # schema.org's JSON-LD context aliases "type" and "id" to "@type" and "@id"; extruct's microdata uses them.
    raw = node.get("@type", node.get("type"))
    return {_short(t) for t in _as_list(raw) if isinstance(t, str)}


def _node_id(node: dict) -> str | None:
    raw = node.get("@id", node.get("id"))
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


def _text(value: Any) -> str | None:
    """The first non-empty string (or number) in a value, list or ``{"@value": ...}``."""
    for v in _as_list(value):
        if isinstance(v, dict):
            v = v.get("@value")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(v)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def _url(value: Any, base: str) -> str | None:
    raw = _text(value)
    try:
        url = urljoin(base, raw) if raw else ""
    except ValueError:
        return None
    return http_url(url)


def _number(pattern: re.Pattern, value: Any) -> int | None:
    """The first group of `pattern` in a value's text as an int: a year in "2023-04-08", 16 in "16 episodes"."""
    match = pattern.search(_text(value) or "")
    return int(match.group(1)) if match else None


def _non_latin(text: str) -> bool:
    return any(ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def _host(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


# --- the node graph -----------------------------------------------------------------------------------------

Graph = dict[tuple[int | None, str], dict]
Ref = Callable[[Any], Any]  # resolves a bare {"@id": ...} reference to its node (anything else unchanged)


def _index(root: Any, scope: int, graph: Graph) -> None:
    """Nodes by ``@id`` so references resolve; blank nodes (``_:b0``) only within the block that made them."""
    stack, visited = [(root, 0)], 0
    while stack and visited < _MAX_NODES:
        (value, depth), visited = stack.pop(), visited + 1
        if depth <= _MAX_DEPTH and isinstance(value, (list, dict)):
            if isinstance(value, dict) and (nid := _node_id(value)):
                key = (scope if nid.startswith("_:") else None, nid)
                # The fullest copy wins: a node and a bare {"@id": ...} reference share an id.
                if len(value) > len(graph.get(key, {})):
                    graph[key] = value
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))


def _resolver(scope: int, graph: Graph) -> Ref:
    def ref(value: Any) -> Any:
        nid = _node_id(value) if isinstance(value, dict) and set(value) <= {"@id", "id", "@type", "type"} else None
        return graph.get((scope if nid.startswith("_:") else None, nid), value) if nid else value

    return ref


def _find_reviews(root: Any, ref: Ref, found: list, seen: dict[int, int | None]) -> bool:
    """Appends [review, ref, parent] in document order, `parent` being the show whose `review` held it.

    False when the data was too large to walk to the end.
    """
    stack: list[tuple[Any, dict | None, int]] = [(root, None, 0)]
    visited = 0
    while stack and visited < _MAX_NODES:
        (value, parent, depth), visited = stack.pop(), visited + 1
        if depth > _MAX_DEPTH:
            continue
        if isinstance(value, list):
            stack.extend((v, parent, depth + 1) for v in reversed(value))
            continue
        value = ref(value)
        if not isinstance(value, dict):
            continue
        if id(value) in seen:
            # Met again through a show's `review` list after its own @graph entry: now we know the show.
            index = seen[id(value)]
            if index is not None and parent is not None and found[index][2] is None:
                found[index][2] = parent
            continue
        review = bool(_types(value) & REVIEW_TYPES)
        seen[id(value)] = len(found) if review else None
        if review:
            found.append([value, ref, parent])
        holder = None if review else value
        stack.extend(
            (child, holder if key in _REVIEW_KEYS else None, depth + 1) for key, child in reversed(value.items())
        )
    return not stack


# --- one review ---------------------------------------------------------------------------------------------


def _first(value: Any, ref: Ref) -> Any:
    return ref(next(iter(_as_list(value)), None))


def _author(value: Any, ref: Ref, base: str) -> tuple[str | None, str | None]:
    names, urls = [], []
    authors = [ref(a) for a in _as_list(value)]
    for author in authors:
        if isinstance(author, str) and author.strip():
            names.append(author.strip())
        elif isinstance(author, dict):
            given = " ".join(filter(None, (_text(_get(author, "givenName")), _text(_get(author, "familyName")))))
            name = _text(_get(author, "name")) or given or _text(_get(author, "alternateName"))
            names += [name] if name else []
            urls.append(_url(_get(author, "url"), base) or _url(_get(author, "sameAs"), base))
    # A profile URL identifies one person; with several authors it would pin the joined byline on one of them.
    url = urls[0] if len(authors) == 1 and urls else None
    return (", ".join(names) or None), url


def _score(value: Any, ref: Ref) -> str | None:
    rating = _first(value, ref)
    if isinstance(rating, dict):
        raw, best = _text(_get(rating, "ratingValue")), _text(_get(rating, "bestRating"))
    else:
        raw, best = _text(rating), None
    if raw is None or not _NUMBER.fullmatch(raw):
        return raw  # "8/10", "4.5 stars": already carries its scale, or the normaliser says why not
    if best is None:
        best = "5"  # schema.org: "If bestRating is omitted, 5 is assumed"
    elif not _NUMBER.fullmatch(best):
        return raw  # an unreadable bestRating: the source's default scale decides, never a guess
    return f"{raw}/{best}"


def _work_fields(work: dict, ref: Ref, page_url: str) -> dict:
    types = _types(work)
    if types and not types & WORK_TYPES:
        return {}
    country, own_url = _first(_get(work, "countryOfOrigin"), ref), _url(_get(work, "url"), page_url)
    fields = {
        # A "name" of a thousand words is broken data, and no store could index it.
        "drama_title": short_text(_text(_get(work, "name")) or _text(_get(work, "headline"))),
        "drama_native_title": short_text(next(
            (n.strip() for n in _as_list(_get(work, "alternateName")) if isinstance(n, str) and _non_latin(n)), None
        )),
        "drama_year": _number(_YEAR, _get(work, "startDate")) or _number(_YEAR, _get(work, "datePublished")),
        "drama_episodes": _number(_LEADING_INT, _get(work, "numberOfEpisodes")),
        "drama_country": _text(_get(country, "name")) if isinstance(country, dict) else _text(country),
        # Only a page on the reviewing site is "the drama's page on the source"; IMDb links are not.
        "drama_url": own_url if own_url and _host(own_url) == _host(page_url) else None,
    }
    if not types & {"TVSeason", "CreativeWorkSeason", "TVEpisode", "Episode"}:
        return fields
    series, season = ref(_get(work, "partOfSeries")), ref(_get(work, "partOfSeason"))
    if not isinstance(series, dict) and isinstance(season, dict):
        series = ref(_get(season, "partOfSeries"))  # an episode of a season of a series
    parent = _work_fields(series, ref, page_url) if isinstance(series, dict) else {}
    episode = bool(types & {"TVEpisode", "Episode"})
    number = None if episode else _number(_LEADING_INT, _get(work, "seasonNumber"))
    later = number is not None and number >= 2
    if parent.get("drama_title"):
        fields["drama_title"] = parent["drama_title"] + (f" Season {number}" if later else "")
        # Season 2 is its own drama: the series' native title, year and episodes are not its own.
        for key, value in parent.items():
            if fields.get(key) is None and (not later or key in ("drama_country", "drama_url")):
                fields[key] = value
    elif episode:
        fields["drama_title"] = None  # "Episode 5" is no drama title
    return fields


def _drama(review: dict, parent: dict | None, ref: Ref, page_url: str) -> dict:
    for candidate in [*_as_list(_get(review, "itemReviewed")), parent]:
        candidate = ref(candidate)
        if isinstance(candidate, str) and candidate.strip():
            return {"drama_title": candidate.strip()}
        if isinstance(candidate, dict):
            return _work_fields(candidate, ref, page_url)
    return {}


def _spoiler_marker(review: dict) -> str | None:
    """A spoiler tag in the review's own keywords ("Spoilers"), verbatim; schema.org has no spoiler property."""
    for entry in _as_list(_get(review, "keywords")):
        for word in entry.split(",") if isinstance(entry, str) else []:
            if "spoil" in word.lower():
                return word.strip()
    return None


def _review_fields(review: dict, parent: dict | None, ref: Ref, page_url: str) -> dict:
    author_raw, author_url = _author(_get(review, "author"), ref, page_url)
    language = _text(_get(review, "inLanguage"))
    return {
        "url": _url(_get(review, "url"), page_url) or page_url,
        "title": _text(_get(review, "name")) or _text(_get(review, "headline")),
        "body_raw": _text(_get(review, "reviewBody")) or _text(_get(review, "description")),
        "author_raw": author_raw,
        "author_url": author_url,
        "published_raw": _text(_get(review, "datePublished")) or _text(_get(review, "dateCreated")),
        "score_raw": _score(_get(review, "reviewRating"), ref),
        "spoiler_marker_raw": _spoiler_marker(review),
        "language": language if language and _LANG.fullmatch(language) else None,
        **_drama(review, parent, ref, page_url),
    }


# --- the page -----------------------------------------------------------------------------------------------


def _decode(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")  # a wrong byte must not cost the page
    if not isinstance(body, str):
        return ""
    return body.replace("\x00", "").lstrip("\ufeff")  # lxml refuses NUL bytes


def _from_expanded(nodes: list) -> list[dict]:
    """extruct's RDFa (expanded JSON-LD: full IRIs, ``[{"@value": x}]``) as plain schema.org nodes."""
    out = []
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict):
            continue
        plain: dict[str, Any] = {"@id": node.get("@id"), "@type": [_short(t) for t in _as_list(node.get("@type"))]}
        for key, values in node.items():
            if not key.startswith("@"):
                flat = [v["@value"] if isinstance(v, dict) and "@value" in v else v for v in _as_list(values)]
                plain[_short(key)] = flat[0] if len(flat) == 1 else flat
        out.append(plain)
    return out


def _parse(text: str, parser_factory, report: dict):
    """The document's root element, or None with the failure counted in `report`."""
    try:
        tree = html_tree.parse(text, parser_factory=parser_factory)
    except Exception as exc:  # noqa: BLE001 - lxml has many ways to refuse a document; none may cost the crawl
        report["errors"].append(f"html: {type(exc).__name__}")
        report["syntax_errors"] += 1
        return None
    if tree is None:
        report["errors"].append("html: unreadable")
        report["syntax_errors"] += 1
    return tree


def _structured_data(text: str, url: str, report: dict) -> list[tuple[str, Any]]:
    """(syntax, data) per JSON-LD block, then microdata, then RDFa; failures counted in `report`."""
    tree = _parse(text, etree.HTMLParser, report)
    syntaxes = [syntax for syntax, marker in _MARKERS if tree is not None and marker(tree)]
    if syntaxes:
        # extruct's own parse_xmldom_html (but reading past a nesting depth of 256, html_tree): the same
        # document read again, only on the pages that need its DOM classes.
        tree = _parse(text, XmlDomHTMLParser, report)
    if tree is None:
        return []
    data: list[tuple[str, Any]] = []
    scripts = [s for s in tree.iter("script") if (s.get("type") or "").strip().lower().startswith(_LD_TYPE)]
    for number, script in enumerate(scripts, 1):
        report["jsonld_blocks"] += 1
        values, repaired, error = parse_jsonld_block(script.text or "")
        if values is None:
            report["bad_jsonld"] += 1
            report["errors"].append(f"json-ld block {number}: {error}")
            continue
        report["repaired_jsonld"] += int(repaired)
        data.extend(("json-ld", value) for value in values)
    for syntax in syntaxes:
        try:
            found = extruct.extract(tree, base_url=url, syntaxes=[syntax], uniform=True, errors="strict")[syntax]
        except Exception as exc:  # noqa: BLE001 - extruct raises whatever its parsers raise
            report["errors"].append(f"{syntax}: {type(exc).__name__}")
            report["syntax_errors"] += 1
            continue
        data.append((syntax, _from_expanded(found) if syntax == "rdfa" else found))
    return data


def _signatures(fields: dict) -> list[tuple]:
    """Keys under which one review met twice (in JSON-LD and in microdata, in two blocks) is recognised."""
    keys = []
    # An anonymous, untitled "Loved it!" in two blocks may well be two people: no key without a byline or title.
    if fields["body_raw"] and (fields["author_raw"] or fields["title"]):
        body = _SPACE.sub(" ", fields["body_raw"]).strip().lower()
        keys.append(("body", fields["author_raw"], fields["title"], body))
    if fields["author_raw"] and fields["published_raw"]:
        keys.append(("byline", fields["author_raw"], fields["published_raw"], fields.get("drama_title")))
    return keys


def _rdfa_position(text: str, node: dict) -> tuple[int, str]:
    # RDFa output is ordered by random blank-node ids; the review's text position restores page order.
    probe = _text(_get(node, "reviewBody")) or _text(_get(node, "name")) or ""
    found = text.find(probe[:80]) if probe else -1
    return (found if found >= 0 else len(text), probe)


def _own_id(review: dict, url: str) -> str | None:
    """The review's @id (not a blank node) or url, absolute."""
    nid = _node_id(review)
    own = nid if nid and not nid.startswith("_:") else _text(_get(review, "url"))
    return (_url(own, url) or own) if own and len(own) <= MAX_URL else None


def _unique(found: list, url: str, report: dict) -> list[dict]:
    """Fields of each review worth keeping: not empty, not a copy of one met in another block or syntax."""
    kept: list[dict] = []
    signatures: dict[tuple, Ref] = {}
    for review, ref, parent in found:
        fields = _review_fields(review, parent, ref, url)
        if not any(fields[k] for k in ("title", "body_raw", "score_raw", "author_raw")):
            report["empty_reviews"] += 1
            continue
        # Each block or syntax has its own resolver; equal entries of one list are different reviews.
        keys = _signatures(fields)
        if any(signatures.get(key, ref) is not ref for key in keys):
            report["duplicates"] += 1
            continue
        signatures.update((key, ref) for key in keys)
        kept.append({**fields, "source_review_id": _own_id(review, url)})
    return kept


def extract_reviews_with_report(body: str | bytes, url: str) -> tuple[list[ReviewItem], dict]:
    """The page's reviews and a report: ``jsonld_blocks``, ``bad_jsonld``, ``repaired_jsonld``, ``review_nodes``
    (review objects found), ``empty_reviews`` (objects with nothing to keep), ``duplicates``, ``syntax_errors``
    (microdata / RDFa / HTML passes that failed) and ``errors`` (one message per failure, for the log)."""
    report: dict[str, Any] = {
        "jsonld_blocks": 0, "bad_jsonld": 0, "repaired_jsonld": 0, "review_nodes": 0, "empty_reviews": 0,
        "duplicates": 0, "syntax_errors": 0, "errors": [],
    }  # fmt: skip
    text, url = _decode(body), url if isinstance(url, str) else ""
    data = _structured_data(text, url, report) if text.strip() else []
    graph: Graph = {}
    for scope, (_syntax, value) in enumerate(data):
        _index(value, scope, graph)
    found: list[list] = []
    seen: dict[int, int | None] = {}
    for scope, (syntax, value) in enumerate(data):
        start = len(found)
        if not _find_reviews(value, _resolver(scope, graph), found, seen):
            report["errors"].append(f"{syntax}: too large, read in part")
        if syntax == "rdfa":
            found[start:] = sorted(found[start:], key=lambda entry: _rdfa_position(text, entry[0]))
    report["review_nodes"] = len(found)
    kept = _unique(found, url, report)
    # An @id or url names one review only when no other review on the page shares it (user reviews often
    # all carry the page's URL); otherwise the position on the page is the id.
    owners = Counter(fields["source_review_id"] for fields in kept)
    page = url.split("#", 1)[0]
    for number, fields in enumerate(kept, 1):
        if not fields["source_review_id"] or owners[fields["source_review_id"]] > 1:
            fields["source_review_id"] = f"{page}#review-{number}"
    return [ReviewItem(source=SOURCE, kind="review", **fields) for fields in kept], report


def extract_reviews(body: str | bytes, url: str) -> list[ReviewItem]:
    """The schema.org reviews of one page as raw ReviewItems (see the module docstring for the mapping)."""
    return extract_reviews_with_report(body, url)[0]
