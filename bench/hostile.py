"""The whole hostile corpus (tests/hostile/corpus.py), big cases included, through every site's extraction, the
real pipeline stages and every normaliser; prints what happened per kind of case.

Run: ``python bench/hostile.py [--fast] [--kind KIND]`` from the project root. Columns: cases; runs (a case
through one site); reviews the cases embed (each must be kept on its own site); items extracted on any site,
kept, dropped by the stages (by reason), skipped by the extractors (by reason); crashes (exceptions that
escaped); failures (a case whose own site kept, dropped or skipped other than expected, or an item breaking a
normaliser's contract); seconds. ``--fast`` leaves the big cases out (what the test suite runs). Exits 1 when
anything crashed or failed. The output goes in docs/reliability.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.hostile lives beside bench/

from tests.hostile.corpus import build_corpus
from tests.hostile.harness import (
    SITES,
    failures,
    normaliser_problems,
    response_body,
    run,
)


def _reasons(counter: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "-"


def _new_totals() -> dict:
    return {"cases": 0, "runs": 0, "embedded": 0, "kept": 0, "dropped": Counter(), "skipped": Counter(),
            "other_kept": 0, "other_dropped": 0, "crashes": 0, "failures": 0, "seconds": 0.0}  # fmt: skip


def run_case(case, totals: dict) -> list[str]:
    """One case through every site and every normaliser; adds to `totals`, returns its failures."""
    body = case.body
    bad = []
    for site in SITES:
        out = run(body, case.url, site, content_type=case.content_type)
        totals["runs"] += 1
        if site == case.site:
            totals["kept"] += len(out.kept)
            totals["dropped"].update(out.dropped)
            totals["skipped"].update(out.skipped)
        else:
            totals["other_kept"] += len(out.kept)
            totals["other_dropped"] += sum(out.dropped.values())
        totals["crashes"] += len(out.crashes)
        bad += [f"{case.name} @ {site}: {f}" for f in failures(case, out)]
    text = response_body(body, case.url, case.content_type)
    try:
        bad += [f"{case.name} @ normalisers: {p}" for p in normaliser_problems(
            text if isinstance(text, str) else text.decode("utf-8", "replace"))]  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - counted, reported
        totals["crashes"] += 1
        bad.append(f"{case.name} @ normalisers: {type(exc).__name__}: {exc}")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="leave the big cases out")
    parser.add_argument("--kind", help="only cases of this kind")
    args = parser.parse_args(argv)
    cases = [c for c in build_corpus() if not (args.fast and c.slow) and args.kind in (None, c.kind)]
    per_kind: dict[str, dict] = defaultdict(_new_totals)
    problems: list[str] = []
    started = time.perf_counter()
    for case in cases:
        totals = per_kind[case.kind]
        began = time.perf_counter()
        bad = run_case(case, totals)
        totals["seconds"] += time.perf_counter() - began
        totals["cases"] += 1
        totals["embedded"] += case.expect.kept
        totals["failures"] += bool(bad)
        problems += bad
    header = ("kind", "cases", "runs", "valid reviews", "kept", "dropped (reason)", "skipped (reason)",
              "other sites kept/dropped", "crashes", "failures", "s")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    grand = _new_totals()
    for kind, t in sorted(per_kind.items()):
        print(f"| {kind} | {t['cases']} | {t['runs']} | {t['embedded']} | {t['kept']} | {_reasons(t['dropped'])} | "
              f"{_reasons(t['skipped'])} | {t['other_kept']}/{t['other_dropped']} | {t['crashes']} | {t['failures']} | "
              f"{t['seconds']:.1f} |")  # fmt: skip
        for key, value in t.items():
            grand[key] += value
    print(f"| **all** | {grand['cases']} | {grand['runs']} | {grand['embedded']} | {grand['kept']} | "
          f"{sum(grand['dropped'].values())} | {sum(grand['skipped'].values())} | "
          f"{grand['other_kept']}/{grand['other_dropped']} | {grand['crashes']} | {grand['failures']} | "
          f"{time.perf_counter() - started:.1f} |")  # fmt: skip
    print(f"\nOn the cases' own sites: dropped {_reasons(grand['dropped'])}; skipped {_reasons(grand['skipped'])}.")
    print(f"Sites: {', '.join(SITES)}; every case runs through each. 'valid reviews' is what the cases embed: each must "
          "be kept on its own site; other sites may read a page of another site's shape only without crashing.")
    for line in problems[:50]:
        print("FAIL", line[:300])
    return 1 if problems or grand["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
