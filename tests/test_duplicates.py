"""Duplicate detection (aggregator.duplicates): the three rules, editors' decisions, order-invariance, and the
LSH's recall against brute force on generated reviews."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.duplicates import (
    SEED,
    Doc,
    Link,
    brute_force_pairs,
    detect,
    find_duplicates,
    jaccard,
    lsh_params,
    normalise_for_dupes,
    normalise_url,
    shingles,
    signatures,
)

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2023, 1, 10, tzinfo=UTC)

GLORY = """I started The Glory expecting a standard revenge thriller and found something colder and far more \
patient. The first episodes move slowly, like a chess player setting up the board, and every flashback to the \
school years makes the present day feel heavier.

The lead plays her part with a stillness that is hard to look away from. She barely raises her voice, yet each \
quiet line lands like a slap. The villains are written broadly, sometimes too broadly, but the cast commits so \
fully that it works anyway.

My only complaint is the pacing in the middle of part two, where a couple of subplots stall and the detective \
story goes nowhere. Still, the final stretch pays off nearly every thread it set up, and I finished the last \
episode at two in the morning with my tea gone cold."""
# The blog cross-post: a sentence trimmed in the last paragraph, a signature line added.
GLORY_BLOG = GLORY.replace(" and the detective story goes nowhere", "") + "\n\n— cross-posted from my blog, kdramadiary"
OTHER_GLORY = """Everyone told me this was the drama of the year, so maybe my hopes were simply too high. The \
revenge plan is clever on paper, but the show keeps pausing it for long scenes of people staring at each other \
in expensive rooms. I liked the mother storyline far more than the main one, and the soundtrack is lovely. \
Seven out of ten for me: good, not great, and I will not rewatch it."""
MOVING = """A superhero story that is really about parents. The first half is mostly slow school romance and \
family dinners, and I loved every minute, because when the action finally arrives you care about every person \
on the screen. The flashback episodes about the fathers are the best television I saw that year, and the \
finale made me cry twice."""


def doc(id: int, text: str | None, *, group: int = 1, days: int = 0, url: str | None = None, source="mdl") -> Doc:
    return Doc(id=id, group=group, text=text, order_key=T0 + timedelta(days=days), url=url, source=source)


def by_review(links: list[Link]) -> dict[int, Link]:
    return {link.review_id: link for link in links}


# --- normalisation -------------------------------------------------------------------------------------------


def test_normalised_text_folds_case_punctuation_apostrophes_and_spaces():
    assert normalise_for_dupes("It's  GREAT — really!\n\nTen/10.") == "its great really ten 10"
    assert normalise_for_dupes("It\u2019s great, REALLY") == normalise_for_dupes("its great really")
    assert normalise_for_dupes("ＴＨＥ　ＧＬＯＲＹ") == "the glory", "full-width letters fold too (NFKC)"
    assert normalise_for_dupes("我喜欢这部剧") == "我 喜 欢 这 部 剧", "unspaced scripts count per character"
    assert normalise_for_dupes(None) == normalise_for_dupes("  ...  ") == ""


@pytest.mark.parametrize(
    "variant",
    [
        "https://blog.example.com/2023/01/glory-review/",
        "HTTPS://Blog.Example.COM:443/2023/01/glory-review",
        "https://blog.example.com/2023/01/glory-review/?utm_source=twitter&utm_medium=social",
        "https://blog.example.com/2023/01/glory-review#respond",
        "https://blog.example.com/2023/01/glory-review/?fbclid=abc#comments",
    ],
)
def test_url_variants_normalise_alike(variant):
    assert normalise_url(variant) == "https://blog.example.com/2023/01/glory-review"


def test_url_normalisation_keeps_what_tells_reviews_apart():
    assert normalise_url("http://blog.example.com:8080/p?b=2&a=1") == "http://blog.example.com:8080/p?a=1&b=2"
    assert normalise_url("https://blog.example.com/p#comment-12") != normalise_url("https://blog.example.com/p")
    assert normalise_url("https://mdl.example/685237/reviews#review-9") == "https://mdl.example/685237/reviews#review-9"
    assert normalise_url("http://x.test/p") != normalise_url("https://x.test/p")
    assert normalise_url("mailto:someone@example.com") is None and normalise_url("") is None
    assert normalise_url("https://[broken/p") is None


def test_shingles_are_hashed_word_windows():
    text = "one two three four five six"
    assert len(shingles(text, 5)) == 2 and all(isinstance(h, int) and 0 <= h < 2**32 for h in shingles(text, 5))
    assert shingles("One, two; THREE four five six!", 5) == shingles(text, 5)
    assert len(shingles("only three words", 5)) == 1, "a text shorter than k is one shingle"
    assert shingles("", 5) == set()
    assert jaccard(shingles(GLORY), shingles(GLORY_BLOG)) == pytest.approx(0.8639, abs=1e-4)


def test_signatures_are_datasketch_minhashes():
    values = sorted(shingles(GLORY))
    arrays = [np.array(values, dtype=np.uint32), np.array(values[:7], dtype=np.uint32)]
    rows = signatures(arrays, 128)
    for array, row in zip(arrays, rows):
        m = MinHash(num_perm=128, seed=SEED, hashfunc=int)
        m.update_batch(array.tolist())
        assert (m.hashvalues == row).all()


def test_lsh_banding_rarely_misses_a_pair_at_the_threshold():
    bands, rows = lsh_params(0.8, 128)
    assert bands * rows <= 128
    assert (1 - 0.8**rows) ** bands <= 0.01
    assert 1 - (1 - 0.3**rows) ** bands < 0.02, "unrelated texts rarely become candidates"


# --- the rules ---------------------------------------------------------------------------------------------------


def test_same_url_links_the_later_review_to_the_earlier_one():
    docs = [
        doc(1, GLORY, url="https://blog.example.com/2023/01/glory-review/", source="kdramadiary", days=1),
        doc(2, GLORY_BLOG, url="HTTPS://Blog.Example.com/2023/01/glory-review?utm_source=rss", source="feed", days=3),
        doc(3, "Loved it!", url="https://blog.example.com/2023/01/glory-review#respond", source="html", days=5),
    ]
    links = by_review(find_duplicates(docs))
    assert links[2] == Link(2, 1, "same_url", 0.8639)
    assert links[3].canonical_id == 1 and links[3].rule == "same_url", "a URL links whatever the body's length"
    assert links[3].similarity == 0.0, "similarity still says how alike the bodies are"
    assert 1 not in links


def test_a_source_with_several_reviews_at_one_url_is_a_page_not_a_copy():
    page = "https://critics.example/the-glory"
    docs = [doc(1, GLORY, url=page, source="critics"), doc(2, OTHER_GLORY, url=page, source="critics", days=1)]
    result = detect(docs)
    assert result.links == [] and result.stats["url_pages"] == 1
    comments = [
        doc(3, "First!", url="https://blog.example.com/p/#comment-1", source="blog"),
        doc(4, "Second!", url="https://blog.example.com/p/#comment-2", source="blog", days=1),
    ]
    assert find_duplicates(comments) == [], "blog comments differ by their anchor"


def test_identical_text_after_normalisation_is_same_text():
    shouted = GLORY.upper().replace(",", " ,").replace("\n\n", "   ")
    links = find_duplicates([doc(1, GLORY), doc(2, shouted, days=2)])
    assert links == [Link(2, 1, "same_text", 1.0)]


def test_an_edited_cross_post_with_a_signature_is_near_text():
    (link,) = find_duplicates([doc(1, GLORY), doc(2, GLORY_BLOG, days=4, source="kdramadiary")])
    assert (link.review_id, link.canonical_id, link.rule) == (2, 1, "near_text")
    assert 0.8 <= link.similarity < 1.0


def test_unrelated_reviews_of_one_drama_are_not_linked():
    docs = [doc(1, GLORY), doc(2, OTHER_GLORY, days=1), doc(3, MOVING, days=2)]
    assert find_duplicates(docs) == []


def test_short_comments_are_never_copies_of_each_other():
    docs = [doc(i, text, days=i) for i, text in enumerate(["Loved it!", "loved it", "LOVED IT!!", "Meh."])]
    result = detect(docs)
    assert result.links == [] and result.stats["eligible"] == 0
    short = " ".join(GLORY.split()[:29])  # 29 words: under the default 30
    assert find_duplicates([doc(1, short), doc(2, short, days=1)]) == []
    assert find_duplicates([doc(1, short), doc(2, short, days=1)], min_words=10) == [Link(2, 1, "same_text", 1.0)]


def test_a_copy_under_another_drama_is_counted_not_linked():
    docs = [doc(1, GLORY, group=1), doc(2, GLORY_BLOG, group=2, days=1), doc(3, GLORY, group=3, days=2)]
    result = detect(docs)
    assert result.links == []
    assert result.stats["cross_drama_candidates"] == 3
    assert {(c.review_id, c.canonical_id, c.rule) for c in result.cross_drama} == {
        (2, 1, "near_text"),
        (3, 1, "same_text"),
        (3, 2, "near_text"),
    }


def test_the_canonical_review_is_the_earliest_then_the_lowest_id():
    docs = [doc(7, GLORY, days=0), doc(3, GLORY_BLOG, days=5), doc(9, GLORY.upper(), days=2)]
    assert {(link.review_id, link.canonical_id) for link in find_duplicates(docs)} == {(3, 7), (9, 7)}
    tied = [doc(7, GLORY), doc(3, GLORY.upper())]
    assert find_duplicates(tied) == [Link(7, 3, "same_text", 1.0)]
    undated = [Doc(1, 1, GLORY, None), Doc(2, 1, GLORY.lower(), T0)]
    assert find_duplicates(undated) == [Link(1, 2, "same_text", 1.0)], "an unknown date counts as latest"


def test_a_member_linked_only_through_another_keeps_its_similarity_to_the_canonical():
    words = GLORY.split()
    middle = " ".join(words[:120] + ["(edited)"] + words[120:])
    trimmed = " ".join(words[12:])
    links = by_review(find_duplicates([doc(1, GLORY), doc(2, middle, days=1), doc(3, trimmed, days=2)]))
    assert links[2].canonical_id == links[3].canonical_id == 1
    assert links[3].similarity == pytest.approx(jaccard(shingles(GLORY), shingles(trimmed)), abs=1e-4)


# --- editors -----------------------------------------------------------------------------------------------------


def test_split_duplicate_keeps_the_pair_apart_and_the_member_on_its_own():
    docs = [doc(1, GLORY), doc(2, GLORY_BLOG, days=1), doc(3, GLORY.upper(), days=2)]
    result = detect(docs, never={frozenset({1, 2})})
    assert result.links == [Link(3, 1, "same_text", 1.0)]
    assert result.stats["split_by_editor"] >= 1
    assert find_duplicates(docs, never={frozenset({2, 3}), frozenset({1, 2})}) == [Link(3, 1, "same_text", 1.0)]


def test_force_duplicate_always_links_even_across_dramas():
    docs = [doc(1, GLORY), doc(2, OTHER_GLORY, days=1), doc(3, MOVING, group=2, days=2)]
    links = find_duplicates(docs, forced={2: 1, 3: 1})
    assert links == [Link(2, 1, "editor", None), Link(3, 1, "editor", None)]


def test_forced_links_end_at_a_canonical_review_and_cycles_are_broken():
    docs = [doc(1, GLORY), doc(2, GLORY_BLOG, days=1), doc(3, OTHER_GLORY, days=2)]
    # 3 repeats 2, which repeats 1: 3 points at 1.
    assert by_review(find_duplicates(docs, forced={3: 2}))[3] == Link(3, 1, "editor", None)
    # The editor says 1 repeats 2 while the detector says 2 repeats 1: the editor wins.
    assert find_duplicates(docs, forced={1: 2}) == [Link(1, 2, "editor", None)]
    # A forced review outside the documents is still linked (the store passes only its own reviews' links).
    assert Link(3, 99, "editor", None) in find_duplicates(docs, forced={3: 99})


# --- determinism and scale -----------------------------------------------------------------------------------


def test_same_input_same_links_in_another_process():
    code = (
        "from aggregator.duplicates import shingles; import sys; "
        "print(sorted(shingles(sys.stdin.read()))[:5])"
    )  # fmt: skip
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], input=GLORY, capture_output=True, text=True, check=True, cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed}, timeout=60,
        ).stdout
        for seed in ("1", "2")
    }  # fmt: skip
    assert outputs == {f"{sorted(shingles(GLORY))[:5]}\n"}, "no salted hashing: links do not change between runs"
    docs = [doc(1, GLORY), doc(2, GLORY_BLOG, days=1), doc(3, GLORY.lower(), days=2), doc(4, MOVING, days=3)]
    assert find_duplicates(docs) == find_duplicates(docs)


ORDER_DOCS = [
    doc(1, GLORY, days=3),
    doc(2, GLORY_BLOG, days=1),
    doc(3, GLORY.upper(), days=3),
    doc(4, OTHER_GLORY, days=0),
    doc(5, MOVING, group=2, days=2),
    doc(6, MOVING + " Ten out of ten from me.", group=2, days=4),
    doc(7, GLORY, group=2, days=5),
    doc(8, "Loved it!", days=6, url="https://blog.example.com/p/", source="a"),
    doc(9, "Loved it too!", days=7, url="https://blog.example.com/p", source="b"),
]


@settings(max_examples=40, deadline=None)
@given(st.permutations(ORDER_DOCS))
def test_links_do_not_depend_on_the_input_order(docs):
    expected = detect(ORDER_DOCS, never={frozenset({3, 1})})
    got = detect(docs, never={frozenset({3, 1})})
    assert set(got.links) == set(expected.links) and got.cross_drama == expected.cross_drama
    # 2 is the oldest Glory review; 3 (same text as 1) cannot join 1's cluster and stays on its own.
    assert [(x.review_id, x.canonical_id, x.rule) for x in expected.links] == [
        (1, 2, "near_text"), (6, 5, "near_text"), (9, 8, "same_url"),
    ]  # fmt: skip


def _bench():
    spec = importlib.util.spec_from_file_location("near_duplicates_bench", ROOT / "bench" / "near_duplicates.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_lsh_recall_against_brute_force_on_generated_reviews():
    bench = _bench()
    data = bench.generate_reviews(1000, seed=11)
    started = time.perf_counter()
    links = find_duplicates(data.docs)
    elapsed = time.perf_counter() - started
    truth = brute_force_pairs(data.docs)
    quality = bench.quality(links, truth)
    assert quality.truth_pairs >= 40, "the generator plants enough copies to measure anything"
    assert quality.recall >= 0.95
    assert quality.precision >= 0.95
    assert elapsed < 5


def test_the_bench_script_prints_recall_and_the_ratio_last():
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "near_duplicates.py"), "--max", "2000"],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=120,
    ).stdout  # fmt: skip
    lines = out.strip().splitlines()
    assert "recall" in out and "precision" in out
    assert lines[-1].startswith("time ratio 2,000 / 200 reviews:") and "target <= 12x" in lines[-1]
