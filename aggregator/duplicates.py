"""Duplicate reviews, as pure functions: which stored reviews repeat another one of the same drama.

Nothing is deleted: a duplicate gets a `Link` to its canonical review (the earliest of its cluster) and scoring
counts canonical reviews only. Three rules, strongest first:

- ``same_url``: the same address after `normalise_url` (one review stored twice, e.g. by two sources);
- ``same_text``: the same body after `normalise_for_dupes`;
- ``near_text``: near-copies (edited, trimmed, signed, cross-posted). Candidates come from MinHash LSH
  (datasketch) over hashed word shingles, each one confirmed by the exact Jaccard of the shingle sets, so the
  work grows with the number of reviews, never with the number of pairs.

Short bodies (under ``min_words``) never match on text: "Loved it!" twice is two opinions, not a copy. Links
stay within one drama; a copy under another drama is reported (`Detection.cross_drama`), never linked, since
it means the drama resolution is wrong. Editors' decisions win: ``never`` pairs are not put in one cluster,
``forced`` links are always made (rule ``editor``).
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from datasketch import MinHashLSH

# The text side lives in aggregator.shingling; the public names stay importable from here.
from aggregator.shingling import (  # noqa: F401
    NUM_PERM,
    SEED,
    SHINGLE,
    THRESHOLD,
    _jaccard,
    _minhash,
    _shingle_array,
    _shingle_hashes,
    _word_hash,
    jaccard,
    lsh_params,
    normalise_for_dupes,
    normalise_url,
    shingles,
    signatures,
)

RULES = ("same_url", "same_text", "near_text", "editor")
MIN_WORDS = 30

# --- detection ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """A review as the detector sees it. `group` is its drama; `order_key` sorts the earliest first
    (published_at, else first_seen_at); `source` tells a page of several reviews from one review (see
    `find_duplicates`)."""

    id: int
    group: Hashable
    text: str | None
    order_key: Any = None
    url: str | None = None
    source: Hashable = None


@dataclass(frozen=True, order=True)
class Link:
    """`review_id` repeats `canonical_id`: why (`rule`) and how close (Jaccard over shingles, None if unknown)."""

    review_id: int
    canonical_id: int
    rule: str
    similarity: float | None


@dataclass
class Detection:
    """What `detect` found: the links, the copies across dramas it left alone, and counts."""

    links: list[Link]
    cross_drama: list[Link] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


class _Clusters:
    """Union-find that refuses a union putting an editor's "never" pair in one cluster."""

    def __init__(self, n: int, never: Mapping[int, set[int]]):
        self.parent = list(range(n))
        self.size = [1] * n
        self.banned = {i: set(partners) for i, partners in never.items()}
        self.held = {i: {i} for i in never}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> str:
        """Join the clusters of i and j: "joined", "same" (already one) or "refused"."""
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return "same"
        if self.held.get(rj, set()) & self.banned.get(ri, set()):
            return "refused"
        if self.size[ri] < self.size[rj]:
            ri, rj = rj, ri
        self.parent[rj] = ri
        self.size[ri] += self.size[rj]
        for sets in (self.banned, self.held):
            if rj in sets:
                sets.setdefault(ri, set()).update(sets.pop(rj))
        return "joined"


_PRIORITY = {rule: n for n, rule in enumerate(RULES)}


def find_duplicates(
    docs: Iterable[Doc],
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    k: int = SHINGLE,
    min_words: int = MIN_WORDS,
    never: Collection[frozenset[int]] = frozenset(),
    forced: Mapping[int, int] | None = None,
) -> list[Link]:
    """The duplicate links among `docs`, sorted by review id; the same links whatever the input order.

    `threshold`: least Jaccard of two bodies' `k`-word shingle sets for ``near_text``; `num_perm`: MinHash
    permutations; bodies under `min_words` words never match on text. `never`: editors' pairs never put in
    one cluster (clusters grow from the strongest evidence down; a union that would join such a pair is
    refused, so the review that came second stays on its own or with others); `forced`: review id -> the
    review it repeats (rule ``editor``, always linked, even across dramas). A source with several reviews at
    one URL is a page of reviews, and that URL links nothing.
    """
    return detect(
        docs, threshold=threshold, num_perm=num_perm, k=k, min_words=min_words, never=never, forced=forced
    ).links


def detect(
    docs: Iterable[Doc],
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    k: int = SHINGLE,
    min_words: int = MIN_WORDS,
    never: Collection[frozenset[int]] = frozenset(),
    forced: Mapping[int, int] | None = None,
) -> Detection:
    """`find_duplicates` with the cross-drama copies it left alone and its counts."""
    with _gc_paused():
        return _detect(list(docs), threshold, num_perm, k, min_words, never, forced or {})


@contextmanager
def _gc_paused():
    """The cyclic garbage collector off for a while (refcounting still frees everything).

    datasketch's LSH keeps a set per bucket, millions at scale: full collections would walk them again and
    again (a quarter of the run time at 100k reviews). Nothing built here has reference cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _detect(
    docs: list[Doc],
    threshold: float,
    num_perm: int,
    k: int,
    min_words: int,
    never: Collection[frozenset[int]],
    forced: Mapping[int, int],
) -> Detection:
    docs = sorted(docs, key=lambda d: (d.order_key is None, d.order_key, d.id))  # index order = age order
    index = {d.id: i for i, d in enumerate(docs)}
    if len(index) != len(docs):
        raise ValueError("document ids must be unique")
    # Per review: its words as vocabulary indexes, and a digest of its normalised body when long enough.
    # No lists of words are kept: millions of them would cost the cyclic garbage collector dear.
    vocabulary: dict[str, int] = {}  # each distinct word is hashed once
    word_ids: list[np.ndarray] = []
    text_key: list[bytes | None] = []
    for d in docs:
        normalised = normalise_for_dupes(d.text)
        ws = normalised.split()
        word_ids.append(np.array([vocabulary.setdefault(w, len(vocabulary)) for w in ws], dtype=np.intp))
        long_enough = len(ws) >= max(min_words, 1)
        text_key.append(hashlib.blake2b(normalised.encode(), digest_size=16).digest() if long_enough else None)
    word_hashes = np.fromiter((_word_hash(w) for w in vocabulary), dtype=np.uint64, count=len(vocabulary))
    arrays: dict[int, np.ndarray] = {}

    def shingle_array(i: int) -> np.ndarray:
        if i not in arrays:
            arrays[i] = _shingle_hashes(word_hashes[word_ids[i]], k)
        return arrays[i]

    def similarity(i: int, j: int) -> float | None:
        return _jaccard(shingle_array(i), shingle_array(j))

    edges: list[tuple[int, float, int, int, str]] = []  # (priority, -similarity, older, younger, rule)
    crossing: dict[tuple[int, int], Link] = {}
    stats: dict[str, Any] = {"reviews": len(docs), "eligible": sum(key is not None for key in text_key), "url_pages": 0}

    def pair(i: int, j: int, rule: str, sim: float | None) -> None:
        i, j = min(i, j), max(i, j)
        if docs[i].group == docs[j].group:
            edges.append((_PRIORITY[rule], -(sim or 0.0), i, j, rule))
        elif (i, j) not in crossing:
            crossing[(i, j)] = Link(docs[j].id, docs[i].id, rule, _rounded(sim))

    # same_url. A source holding several reviews at one address makes it a page of reviews (a schema.org
    # critic page, reviews without an own URL), not the address of one review: such an address links nothing.
    url_key = [normalise_url(d.url) for d in docs]
    for members in _classes(url_key).values():
        known = [docs[i].source for i in members if docs[i].source is not None]
        if len(set(known)) < len(known):
            stats["url_pages"] += 1
            for i in members:
                url_key[i] = None
        else:
            _star(members, docs, lambda i, j: pair(i, j, "same_url", similarity(i, j)))

    never_idx: dict[int, set[int]] = defaultdict(set)  # editors' "never" pairs, as indexes
    for ids in never:
        found = sorted(index[x] for x in ids if x in index)
        if len(found) == 2:
            never_idx[found[0]].add(found[1])
            never_idx[found[1]].add(found[0])

    # same_text. The oldest member of a class in each drama stands for the class in the LSH, and so does a
    # member an editor split from others (it may still be a near-copy of a review outside its class).
    for members in _classes(text_key).values():
        _star(members, docs, lambda i, j: pair(i, j, "same_text", 1.0))
    firsts: dict[tuple[bytes, Hashable], int] = {}
    for i, key in enumerate(text_key):
        if key is not None:
            firsts.setdefault((key, docs[i].group) if i not in never_idx else (key, i), i)
    standing = sorted(firsts.values())

    # near_text: each review asks the LSH for the older ones sharing a band, then joins it; so every
    # candidate pair comes up once. Candidates are confirmed by their exact Jaccard.
    lsh = MinHashLSH(num_perm=num_perm, params=lsh_params(threshold, num_perm))
    candidates = 0
    rows = signatures([shingle_array(i) for i in standing], num_perm)
    for i, row in zip(standing, rows):
        sketch = _minhash(row)
        for j in lsh.query(sketch):
            candidates += 1
            sim = similarity(i, j)
            if sim is not None and sim >= threshold:
                pair(j, i, "near_text", sim)
        lsh.insert(i, sketch, check_duplication=False)
    stats["candidate_pairs"] = candidates

    # Clusters, strongest evidence first (then the closest texts); the oldest member is the canonical one.
    clusters = _Clusters(len(docs), never_idx)
    best_rule: dict[int, str] = {}
    refused = 0
    for _, _, i, j, rule in sorted(edges):
        outcome = clusters.union(i, j)
        refused += outcome == "refused"
        if outcome != "refused":
            best_rule.setdefault(i, rule)
            best_rule.setdefault(j, rule)
    stats["split_by_editor"] = refused

    detected: dict[int, tuple[int, str, float | None]] = {}
    canonical: dict[int, int] = {}
    for i in range(len(docs)):
        c = canonical.setdefault(clusters.find(i), i)  # indexes ascend with age: the first one is the oldest
        if c == i:
            continue
        if url_key[i] is not None and url_key[i] == url_key[c]:
            rule = "same_url"
        elif text_key[i] is not None and text_key[i] == text_key[c]:
            rule = "same_text"
        else:  # joined through another member: the strongest rule that brought it in
            sim = similarity(i, c)
            rule = "near_text" if sim is not None and sim >= threshold else best_rule[i]
        detected[docs[i].id] = (docs[c].id, rule, similarity(i, c))

    def by_id(a: int, b: int) -> float | None:
        return similarity(index[a], index[b]) if a in index and b in index else None

    links = _apply_forced(detected, forced, by_id)
    stats["links"] = {rule: sum(link.rule == rule for link in links) for rule in RULES}
    stats["cross_drama_candidates"] = len(crossing)
    return Detection(links, sorted(crossing.values()), stats)


def _rounded(sim: float | None) -> float | None:
    return None if sim is None else round(sim, 4)


def _classes(keys: list[Any]) -> dict[Any, list[int]]:
    """Indexes per key (None keys left out), each list in index order."""
    classes: dict[Any, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if key is not None:
            classes[key].append(i)
    return {key: members for key, members in classes.items() if len(members) > 1}


def _star(members: list[int], docs: list[Doc], connect) -> None:
    """Pair each member of a class with the oldest one of its drama; a drama's first member with the oldest
    member of another drama (a cross-drama copy, reported once per drama)."""
    heads: dict[Hashable, int] = {}
    for i in members:
        group = docs[i].group
        if group in heads:
            connect(heads[group], i)
        else:
            if heads:
                connect(next(iter(heads.values())), i)
            heads[group] = i


def _apply_forced(
    detected: dict[int, tuple[int, str, float | None]], forced: Mapping[int, int], similarity
) -> list[Link]:
    """Editors' links over the detector's, then every chain flattened so each link ends at a canonical review.

    A cycle (an editor forcing a review onto its own duplicate) is broken at a detector link if it has one,
    else at the lowest review id.
    """
    links = dict(detected)
    for review_id, target in sorted(forced.items()):
        if review_id != target:
            links[review_id] = (target, "editor", None)
    for cycle in _cycles(links):
        detector = sorted(x for x in cycle if links[x][1] != "editor")
        del links[detector[0] if detector else min(cycle)]

    roots: dict[int, int] = {}

    def root(x: int) -> int:
        path = []
        while x in links and x not in roots:
            path.append(x)
            x = links[x][0]
        end = roots.get(x, x)
        for p in path:
            roots[p] = end
        return end

    out = []
    for review_id, (target, rule, sim) in sorted(links.items()):
        end = root(review_id)
        if end != target and rule != "editor":
            sim = similarity(review_id, end)
        out.append(Link(review_id, end, rule, _rounded(sim)))
    return out


def _cycles(links: Mapping[int, tuple[int, str, float | None]]) -> list[list[int]]:
    """The cycles of a graph where each node has at most one successor."""
    state: dict[int, int] = {}  # 1 = on the current walk, 2 = done
    found = []
    for start in sorted(links):
        walk = []
        x = start
        while x in links and x not in state:
            state[x] = 1
            walk.append(x)
            x = links[x][0]
        if state.get(x) == 1:
            found.append(walk[walk.index(x) :])
        for w in walk:
            state[w] = 2
    return found


def brute_force_pairs(
    docs: Iterable[Doc], threshold: float = THRESHOLD, k: int = SHINGLE, *, min_words: int = MIN_WORDS
) -> set[tuple[int, int]]:
    """Every pair (lower id first) of same-drama bodies whose exact shingle Jaccard reaches `threshold`.

    All pairs within each drama: quadratic, for measuring the LSH's recall on test and bench data only.
    """
    groups: dict[Hashable, list[tuple[int, set[int]]]] = defaultdict(list)
    for d in docs:
        w = normalise_for_dupes(d.text).split()
        if len(w) >= min_words:
            groups[d.group].append((d.id, set(_shingle_array(w, k).tolist())))
    pairs = set()
    for members in groups.values():
        for n, (a, sa) in enumerate(members):
            for b, sb in members[n + 1 :]:
                common = len(sa & sb)
                if common and common / (len(sa) + len(sb) - common) >= threshold:
                    pairs.add((min(a, b), max(a, b)))
    return pairs
