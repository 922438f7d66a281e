"""Text and URL normalisation, hashed word shingles and MinHash signatures, for duplicate detection.

Deterministic: words are hashed with blake2b (not Python's salted `hash`) and MinHash uses a fixed seed, so
the same reviews always give the same signatures.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
SHINGLE = 5
THRESHOLD = 0.8
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
