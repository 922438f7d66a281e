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
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from datasketch import MinHash, MinHashLSH

RULES = ("same_url", "same_text", "near_text", "editor")
THRESHOLD = 0.8
NUM_PERM = 128
SHINGLE = 5
MIN_WORDS = 30
# Fixed, so the same reviews always give the same signatures and the same links.
SEED = 20_261_121
# Chance that LSH misses a pair exactly at the threshold (the banding is chosen for it, see `lsh_params`).
LSH_MISS = 0.01

# --- normalisation -----------------------------------------------------------------------------------------

_APOSTROPHES = re.compile("['\u2018\u2019\u201b\u02bc`\u00b4]")
# Han, kana: scripts written without spaces, where each character is taken as a word.
_UNSPACED = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NON_WORD = re.compile(r"[\W_]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid"})
_ANCHOR_ID = re.compile(r"\d")


def normalise_for_dupes(text: str | None) -> str:
    """Lower-case words separated by single spaces: NFKC, casefold, apostrophes dropped, punctuation folded.

    ``"It's  GREAT — really!"`` -> ``"its great really"``
    """
    if not text:
        return ""
    if text.isascii():  # most reviews: NFKC changes nothing and casefold is lower
        folded = text.lower().replace("'", "").replace("`", "")
    else:
        folded = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold())
        folded = _UNSPACED.sub(r" \g<0> ", folded)
    return " ".join(_NON_WORD.sub(" ", folded).split())


def normalise_url(url: str | None) -> str | None:
    """The address a review is known by, or None when it is no http(s) URL.

    Scheme and host lower-cased, default port, trailing slash and tracking parameters (``utm_*``, click ids)
    dropped, the rest of the query sorted. A fragment is dropped unless it holds a digit: ``#comment-12`` or
    ``#review-345`` name one item of a page (a blog comment is its post's URL plus such an anchor), while
    ``#respond`` or ``#comments`` are only places on the page.
    """
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING
    )
    fragment = parts.fragment if _ANCHOR_ID.search(parts.fragment) else ""
    return urlunsplit((scheme, netloc, path, urlencode(query), fragment))


# --- shingles and signatures -------------------------------------------------------------------------------

_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd, so the polynomial of word hashes keeps word order
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
# MurmurHash3's 32-bit finaliser, as datasketch pre-mixes inputs in its "affine32" scheme.
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
# Reviews whose signatures are computed in one array operation (about 30 MB of scratch at 128 permutations).
_SIGNATURE_BATCH = 256


@lru_cache(maxsize=1 << 20)
def _word_hash(word: str) -> int:
    # blake2b rather than hash(): Python salts str hashes per process, and links must not change between runs.
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def _shingle_hashes(word_hashes: np.ndarray, k: int) -> np.ndarray:
    """Sorted unique 32-bit hashes of the k-word shingles (the whole text as one when it is shorter)."""
    if not word_hashes.size:
        return np.empty(0, dtype=np.uint32)
    k = min(k, word_hashes.size)
    n = word_hashes.size - k + 1
    h = word_hashes[:n].copy()
    for j in range(1, k):
        h *= _MULT
        h += word_hashes[j : j + n]
    shift, m1, m2 = _FMIX64  # every input bit reaches the 32 bits kept
    h ^= h >> shift
    h *= m1
    h ^= h >> shift
    h *= m2
    h ^= h >> shift
    return np.unique((h >> np.uint64(32)).astype(np.uint32))


def _shingle_array(words: list[str], k: int) -> np.ndarray:
    hashes = np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    return _shingle_hashes(hashes, k)


def shingles(text: str | None, k: int = SHINGLE) -> set[int]:
    """The hashed k-word shingles of `text` after `normalise_for_dupes` (32-bit ints)."""
    return set(_shingle_array(normalise_for_dupes(text).split(), k).tolist())


def jaccard(a: Collection[int], b: Collection[int]) -> float:
    """|a ∩ b| / |a ∪ b| of two shingle sets (0.0 when both are empty)."""
    a, b = set(a), set(b)
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _jaccard(a: np.ndarray, b: np.ndarray) -> float | None:
    if not a.size or not b.size:
        return None
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


def lsh_params(threshold: float = THRESHOLD, num_perm: int = NUM_PERM, miss: float = LSH_MISS) -> tuple[int, int]:
    """(bands, rows) with the fewest spurious candidates that still miss a pair at `threshold` at most `miss`.

    A pair of Jaccard s shares a band with probability 1 - (1 - s^r)^b. datasketch's own optimum weighs
    misses and false candidates alike and gives (9, 13) for 0.8, which misses 60% of pairs at 0.8; false
    candidates cost one exact Jaccard each, so recall is what to buy.
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if (1 - threshold**rows) ** bands <= miss:
            return bands, rows
    return num_perm, 1


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> np.ndarray:
    return MinHash(num_perm=num_perm, seed=SEED, scheme="affine32").permutations


def signatures(shingle_sets: list[np.ndarray], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signatures (one row per set of uint32 shingle hashes, none empty), computed in batches.

    The same values as datasketch's ``MinHash(num_perm, seed=SEED, scheme="affine32", hashfunc=int)``
    updated with the hashes (its pre-mix, then ``a * h + b mod 2^32``), without a Python loop per shingle.
    """
    a, b = _permutations(num_perm)
    s1, m1, s2, m2 = _FMIX32
    out = np.empty((len(shingle_sets), num_perm), dtype=np.uint32)
    for start in range(0, len(shingle_sets), _SIGNATURE_BATCH):
        batch = shingle_sets[start : start + _SIGNATURE_BATCH]
        hv = np.concatenate(batch)
        hv ^= hv >> s1
        hv *= m1
        hv ^= hv >> s2
        hv *= m2
        hv ^= hv >> s1
        offsets = np.cumsum([0] + [len(x) for x in batch[:-1]])
        permuted = a[:, None] * hv + b[:, None]  # one row per permutation: the reduction runs along rows
        out[start : start + len(batch)] = np.minimum.reduceat(permuted, offsets, axis=1).T
    return out


def _minhash(signature: np.ndarray) -> MinHash:
    return MinHash(seed=SEED, hashvalues=signature, permutations=_permutations(len(signature)), scheme="affine32")


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
