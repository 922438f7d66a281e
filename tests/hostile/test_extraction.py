"""The hostile corpus (tests/hostile/corpus.py) through every site's extraction and the real pipeline stages.

For each case and each site: no exception escapes, every extracted item is kept or dropped with a known
reason, every kept item honours the normalisers' contracts and can be stored. On the case's own site: the
valid reviews it embeds are all kept, and the drops and skips are the ones expected.

The big cases (50 MB pages, 100,000 nested elements, thousands of reviews) take ~35 s through every site:
they run with DRAMASCORE_HOSTILE_SLOW=1, and always in ``bench/hostile.py``; one of them runs by default on
its own site. The 50 MB page and the gzip bomb also go through a real crawl in test_http_limits.py.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from .corpus import build_corpus
from .harness import SITES, failures, normaliser_problems, response_body, run

CASES = build_corpus()
FAST = [c for c in CASES if not c.slow]
SLOW = [c for c in CASES if c.slow]
# The normalisers read at most this much of each page in the fast run (the bench reads all of it).
NORMALISER_SAMPLE = 64 * 1024


def through_every_site(case, *, decode: bool = True) -> list[str]:
    body = case.body
    out = []
    for site in SITES:
        outcome = run(body, case.url, site, content_type=case.content_type, decode=decode)
        out += [f"{site}: {problem}" for problem in failures(case, outcome)]
    return out


def test_the_corpus_is_big_and_covers_every_kind():
    kinds = {c.kind for c in CASES}
    assert len(CASES) >= 200 and len({c.name for c in CASES}) == len(CASES)
    assert kinds >= {"empty", "binary", "truncated", "charset", "huge", "nesting", "json_shape", "missing",
                     "absurd_score", "absurd_date", "absurd_number", "long_field", "xss", "control_chars"}
    # Every site has cases of its own shape, each embedding a known number of valid reviews.
    assert {c.site for c in CASES} >= set(SITES)
    assert sum(c.expect.kept for c in CASES) >= 500


@pytest.mark.parametrize("case", FAST, ids=lambda c: c.name)
def test_case_through_every_site(case):
    assert through_every_site(case) == []


@pytest.mark.parametrize("case", [c for c in FAST if isinstance(c.data, bytes)], ids=lambda c: c.name)
def test_saved_page_bytes_through_every_site(case):
    # `dramascore extract` hands a saved file's bytes over undecoded (a UTF-8 page reads the same either way):
    # no crash, nothing lost without a reason.
    for site in SITES:
        outcome = run(case.data, case.url, site, content_type=case.content_type, decode=False)
        assert outcome.crashes == [] and outcome.problems == []
        assert outcome.extracted == len(outcome.kept) + sum(outcome.dropped.values())


@pytest.mark.parametrize("case", FAST, ids=lambda c: c.name)
def test_every_normaliser_takes_the_page_as_a_raw_value(case):
    text = response_body(case.body, case.url, case.content_type)
    text = text if isinstance(text, str) else text.decode("utf-8", "replace")
    assert normaliser_problems(text[:NORMALISER_SAMPLE]) == []


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DRAMASCORE_HOSTILE_SLOW"), reason="big cases: DRAMASCORE_HOSTILE_SLOW=1")
@pytest.mark.parametrize("case", SLOW, ids=lambda c: c.name)
def test_big_case_through_every_site(case):
    assert through_every_site(case) == []


@pytest.mark.slow
def test_100k_nested_divs_before_the_reviews_cost_no_review():
    # The one big case of the default run, on its own site (~1.5 s): libxml2 alone would drop all three reviews.
    case = next(c for c in SLOW if c.name == "nesting/mydramalist/100k-divs-before-reviews")
    outcome = run(case.body, case.url, case.site, content_type=case.content_type)
    assert failures(case, outcome) == [] and len(outcome.kept) == 3


def test_the_bench_script_prints_the_table_and_fails_on_nothing(capsys):
    spec = importlib.util.spec_from_file_location("hostile_bench", Path(__file__).parents[2] / "bench" / "hostile.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--fast", "--kind", "empty"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| kind | cases | runs | valid reviews | kept |")
    assert "| empty | 18 | 72 | 0 | 0 |" in out and "| **all** | 18 | 72 |" in out
