"""Scale, recall and precision of `aggregator.duplicates.find_duplicates` on generated reviews.

Run: ``python bench/near_duplicates.py [--max 1000000] [--seed 7]``. For 10k, 100k and 1M generated reviews
(``--max 100000`` stops at 100k) it prints the time of `find_duplicates` and the process's peak RSS so far; at
10k also recall and precision against `brute_force_pairs` (exact Jaccard over every same-drama pair); last,
the time ratio per 10x data (linear would be 10x; target <= 12x).

The generator (`generate_reviews`, also used by tests/test_duplicates.py) writes drama-review-like text from
an invented vocabulary with Zipf-like word and drama frequencies; 10% of the reviews are near-copies of an
earlier one (edited words, a trimmed paragraph or sentence, a signature line, or verbatim), a few of them
under another drama; 15% are short comments, many of them alike.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aggregator.duplicates import Doc, Link, brute_force_pairs, detect

FUNCTION_WORDS = (
    "the and a to of i it was is that this in but with for my so not as on all they be at by her his she he "
    "we you are what have just from one an when about more there their very too had will can would me who "
    "how which them than because even if out up only also then really much still"
).split()
REVIEW_WORDS = (
    "drama episode episodes story plot ending finale lead leads actor actress acting cast chemistry romance "
    "couple villain character characters writing script director pacing soundtrack ost music scene scenes "
    "cinematography season series show watch watched rewatch binge twist twists cliffhanger flashback "
    "subplot comedy melodrama thriller revenge family friendship love hate tears laugh cried smile heart "
    "boring slow fast predictable refreshing beautiful gorgeous stunning messy rushed perfect brilliant "
    "disappointing underrated overrated charming painful sweet bitter warm cold dark bright quiet loud "
    "second first last middle half whole strong weak honest clever silly lovely awful great good bad fine "
    "moments dialogue performance performances emotions tension mystery secret secrets past memory "
    "hospital office school palace village city rain snow summer winter night morning kiss confession "
    "rival boss mother father sister brother grandmother friend friends enemy prince detective lawyer "
    "doctor chef idol singer writer teacher student ghost time travel contract marriage wedding chaebol"
).split()
SYLLABLES = "ka ri mo na se jin hye soo min woo ra do yu han bo ji tae eun seo hwa lee kim park".split()
STOCK_COMMENTS = (
    "Loved it!", "Loved it!", "So good.", "Meh.", "Best drama of the year!", "Dropped it after episode 4.",
    "The OST is everything.", "Crying at the finale, again.", "Not for me, sorry.", "Ten out of ten, no notes.",
    "Who else is rewatching this right now?", "The second lead deserved better honestly.",
)  # fmt: skip
SIGNATURES = (
    "— cross-posted from my blog, {blog}", "Originally posted on {blog}.", "(also on my blog {blog})",
    "Read more reviews like this at {blog}!",
)  # fmt: skip
BLOGS = ("kdramadiary", "sunday drama club", "the rewatch corner", "noona reviews", "popcorn and subtitles")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Generated:
    docs: list[Doc]
    # (original id, copy id) of every planted copy, and those planted under another drama.
    copies: list[tuple[int, int]] = field(default_factory=list)
    cross_drama: list[tuple[int, int]] = field(default_factory=list)


def _vocabulary(rng: random.Random, extra: int = 3000) -> tuple[list[str], list[float]]:
    words = FUNCTION_WORDS + REVIEW_WORDS
    invented = set()
    while len(invented) < extra:  # names and rare words: the long tail real text has
        invented.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    words = words + sorted(invented)
    weights = [1.0 / (rank + 8) ** 1.1 for rank in range(len(words))]
    return words, weights


def _sentence(rng: random.Random, words: list[str], cum: list[float]) -> str:
    chosen = rng.choices(words, cum_weights=cum, k=rng.randint(6, 18))
    return chosen[0].capitalize() + " " + " ".join(chosen[1:]) + rng.choice(".!.?.")


def _review(rng: random.Random, words: list[str], cum: list[float]) -> list[list[str]]:
    return [[_sentence(rng, words, cum) for _ in range(rng.randint(2, 5))] for _ in range(rng.randint(2, 5))]


def _render(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def _near_copy(rng: random.Random, paragraphs: list[list[str]], words: list[str]) -> str:
    paras = [list(p) for p in paragraphs]
    ops = rng.sample(["edit", "trim", "signature", "verbatim"], rng.randint(1, 3))
    if "verbatim" in ops and len(ops) == 1:
        text = _render(paras)
        return text.upper() if rng.random() < 0.3 else text  # same words, other case
    if "trim" in ops:
        if len(paras) >= 4 and rng.random() < 0.5:
            paras.pop(rng.choice([0, len(paras) - 1]))
        else:
            longest = max(paras, key=len)
            if len(longest) > 1:
                longest.pop()
    text = _render(paras)
    if "edit" in ops:
        tokens = text.split(" ")
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(tokens))
            kind = rng.random()
            if kind < 0.4:
                tokens[at] = rng.choice(words)
            elif kind < 0.7:
                tokens.insert(at, rng.choice(words))
            elif len(tokens) > 1:
                tokens.pop(at)
        text = " ".join(tokens)
    if "signature" in ops:
        text += "\n\n" + rng.choice(SIGNATURES).format(blog=rng.choice(BLOGS))
    return text


def generate_reviews(n: int, *, seed: int = 7, copy_rate: float = 0.1, per_drama: int = 20) -> Generated:
    """`n` reviews of about n / `per_drama` dramas (a few popular ones hold many), `copy_rate` of them copies."""
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    dramas = max(1, n // per_drama)
    drama_cum, total = [], 0.0
    for rank in range(dramas):
        total += 1.0 / (rank + 1) ** 0.8
        drama_cum.append(total)
    out = Generated([])
    originals: list[tuple[int, int, list[list[str]]]] = []  # (id, drama, paragraphs)
    for i in range(n):
        review_id = i + 1
        drama = rng.choices(range(dramas), cum_weights=drama_cum)[0]
        roll = rng.random()
        if roll < copy_rate and originals:
            source_id, drama, paragraphs = rng.choice(originals)
            if rng.random() < 0.03 and dramas > 1:
                drama = (drama + 1 + rng.randrange(dramas - 1)) % dramas
                out.cross_drama.append((source_id, review_id))
            out.copies.append((source_id, review_id))
            text = _near_copy(rng, paragraphs, words)
        elif roll < copy_rate + 0.15:
            text = rng.choice(STOCK_COMMENTS)
        else:
            paragraphs = _review(rng, words, cum)
            originals.append((review_id, drama, paragraphs))
            text = _render(paragraphs)
        out.docs.append(
            Doc(
                id=review_id,
                group=drama,
                text=text,
                order_key=T0 + timedelta(minutes=i),
                url=f"https://site{review_id % 5}.test/reviews/{review_id}",
                source=f"site{review_id % 5}",
            )
        )
    return out


@dataclass
class Quality:
    recall: float
    precision: float
    truth_pairs: int
    links: int


def quality(links: list[Link], truth: set[tuple[int, int]]) -> Quality:
    """Recall: brute-force pairs whose reviews share a canonical review. Precision: links whose review and
    canonical are in one brute-force cluster (a chain of pairs each above the threshold)."""
    canonical = {link.review_id: link.canonical_id for link in links}
    found = sum(canonical.get(a, a) == canonical.get(b, b) for a, b in truth)
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in truth:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    right = sum(find(link.review_id) == find(link.canonical_id) for link in links)
    return Quality(
        recall=found / len(truth) if truth else 1.0,
        precision=right / len(links) if links else 1.0,
        truth_pairs=len(truth),
        links=len(links),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--max", type=int, default=1_000_000, help="largest size: 1000000, 100000 (under 10000: a quick check)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sizes = [n for n in (10_000, 100_000, 1_000_000) if n <= args.max] or [args.max // 10, args.max]
    times: list[tuple[int, float]] = []
    for n in sizes:
        data = generate_reviews(n, seed=args.seed)
        started = time.perf_counter()
        result = detect(data.docs)
        elapsed = time.perf_counter() - started
        times.append((n, elapsed))
        s = result.stats
        print(
            f"n={n:>9,}  find_duplicates {elapsed:7.2f} s  ({elapsed / n * 1e6:.0f} µs/review)  "
            f"links {s['links']}  candidates {s['candidate_pairs']:,}  "
            f"cross-drama {s['cross_drama_candidates']} (planted {len(data.cross_drama)})  "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
        )
        if n <= 10_000:
            started = time.perf_counter()
            truth = brute_force_pairs(data.docs)
            brute = time.perf_counter() - started
            q = quality([link for link in result.links if link.rule != "editor"], truth)
            print(
                f"             recall {q.recall:.4f} (target >= 0.95)  precision {q.precision:.4f}  "
                f"brute-force pairs {q.truth_pairs:,} ({brute:.1f} s)  links {q.links:,}"
            )
    for (n0, t0), (n1, t1) in itertools.pairwise(times):
        print(f"time ratio {n1:,} / {n0:,} reviews: {t1 / t0:.1f}x per {n1 // n0}x data (target <= 12x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
