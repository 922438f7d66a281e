"""Precision and recall of `aggregator.matching.match_title` over the labelled pairs, per accept threshold.

Run: ``python bench/title_matching.py [--pairs tests/data/title_pairs.csv] [--misses]``. A pair counts as
matched when title_a resolves to title_b's drama; a doubtful match counts as not matched (it would become
a new drama flagged for review).
"""

from __future__ import annotations

import argparse
import csv
import time
from dataclasses import dataclass
from pathlib import Path

from aggregator.matching import ACCEPT, DOUBT, Match, TitleFacts, match_title

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "title_pairs.csv"
THRESHOLDS = range(85, 99)


@dataclass
class Pair:
    a: TitleFacts
    b: TitleFacts
    same: bool
    note: str

    @property
    def hard(self) -> bool:
        return self.note.startswith("hard")


def _int(value: str) -> int | None:
    return int(value) if value.strip() else None


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Pair(
                TitleFacts([row["title_a"]], _int(row["year_a"]), _int(row["episodes_a"])),
                TitleFacts([row["title_b"]], _int(row["year_b"]), _int(row["episodes_b"])),
                row["same"].strip() == "1",
                row["note"],
            )
            for row in csv.DictReader(f)
        ]


def predict(pair: Pair, accept: float = ACCEPT, doubt: float = DOUBT) -> Match:
    return match_title(pair.a, {1: pair.b}, accept=accept, doubt=doubt)


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    doubtful: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(pairs: list[Pair], accept: float = ACCEPT, doubt: float = DOUBT) -> tuple[Scores, list]:
    """Confusion counts over `pairs`, and the wrong ones as (pair, match)."""
    scores, wrong = Scores(), []
    for pair in pairs:
        match = predict(pair, accept, doubt)
        matched = match.drama_id == 1
        scores.doubtful += match.doubtful
        if matched and pair.same:
            scores.tp += 1
        elif matched:
            scores.fp += 1
            wrong.append((pair, match))
        elif pair.same:
            scores.fn += 1
            wrong.append((pair, match))
        else:
            scores.tn += 1
    return scores, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--misses", action="store_true", help="list the misses and false matches at the default")
    args = parser.parse_args()
    pairs = load_pairs(args.pairs)
    hard = [p for p in pairs if p.hard]
    print(f"{len(pairs)} pairs: {sum(p.same for p in pairs)} same, {len(hard)} hard negatives; doubt={DOUBT:g}")
    print(f"{'accept':>6} {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4} {'doubtful':>8} {'precision':>9} {'recall':>7}"
          f" {'hard FP':>7}")  # fmt: skip
    for accept in THRESHOLDS:
        scores, _ = evaluate(pairs, accept)
        hard_fp = evaluate(hard, accept)[0].fp
        mark = "  <- chosen" if accept == ACCEPT else ""
        print(f"{accept:>6} {scores.tp:>4} {scores.fp:>4} {scores.fn:>4} {scores.tn:>4} {scores.doubtful:>8}"
              f" {scores.precision:>9.3f} {scores.recall:>7.3f} {hard_fp:>7}{mark}")  # fmt: skip
    started = time.perf_counter()
    scores, wrong = evaluate(pairs)
    elapsed = time.perf_counter() - started
    print(f"chosen accept={ACCEPT:g}: precision {scores.precision:.3f}, recall {scores.recall:.3f} "
          f"({scores.tp} TP, {scores.fp} FP, {scores.fn} FN; {elapsed * 1000:.0f} ms)")  # fmt: skip
    if args.misses:
        for pair, match in wrong:
            kind = "FALSE MATCH" if match.drama_id == 1 else "miss"
            print(f"  {kind}: {pair.a.titles[0]!r} vs {pair.b.titles[0]!r} -> {match.rule} {match.score:.0f}"
                  f" {match.note or ''} [{pair.note}]")  # fmt: skip


if __name__ == "__main__":
    main()
