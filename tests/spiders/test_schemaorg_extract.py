"""schema.org extraction: our own critic-site-shaped fixtures (JSON-LD, @graph, microdata), inline cases, hostile
input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.items import ReviewItem
from pipelines.apply import NormaliseConfig, normalise_item
from spiders.extractors.schemaorg import (
    extract_reviews,
    extract_reviews_with_report,
    parse_jsonld_block,
)

CRITIC_URL = "https://hallyudesk.example/reviews/moonlit-ferry-review/"
YOAST_URL = "https://jadescreen.example/2024/03/paper-lanterns-review/"
SHOW_URL = "https://dramashelf.example/shows/salt-road-detectives"
PAGE = "https://critics.example/post/42"
NORMALISED_FIELDS = ["author_handle", "author_name", "published_at", "score", "score_scale", "spoiler", "body"]


@pytest.fixture(scope="module")
def pages(fixtures_dir: Path):
    return lambda name: (fixtures_dir / "schemaorg" / name).read_bytes()


def ld(*blocks) -> str:
    """A page with one JSON-LD script per block (dicts are dumped, strings are used as written)."""
    scripts = "".join(
        f'<script type="application/ld+json">{b if isinstance(b, str) else json.dumps(b)}</script>' for b in blocks
    )
    return f"<html><head>{scripts}</head><body><p>page</p></body></html>"


def review(**fields) -> dict:
    return {"@context": "https://schema.org", "@type": "Review", "reviewBody": "Fine show.", **fields}


def normalised(item: ReviewItem) -> ReviewItem:
    item.crawled_at = datetime(2025, 1, 1, tzinfo=UTC)
    return normalise_item(item, NormaliseConfig())


# --- the fixtures ---------------------------------------------------------------------------------------------


def test_critic_review_every_field(pages):
    items, report = extract_reviews_with_report(pages("critic-review.html"), CRITIC_URL)
    (item,) = items
    assert report["jsonld_blocks"] == 1 and report["review_nodes"] == 1 and report["bad_jsonld"] == 0
    assert item.kind == "review" and item.source_review_id == CRITIC_URL and item.url == CRITIC_URL
    assert item.title == "Moonlit Ferry Review: a slow crossing worth taking"
    assert item.body_raw.startswith("<p>Moonlit Ferry takes its time.")
    assert (item.author_raw, item.author_url) == ("Mira Solberg", "https://hallyudesk.example/author/mira-solberg/")
    assert item.published_raw == "2023-06-02T09:15:00+09:00"  # datePublished, not dateModified
    assert item.score_raw == "8.5/10"  # worstRating 1 plays no part
    assert (item.drama_title, item.drama_native_title) == ("Moonlit Ferry", "달빛 나룻배")
    # startDate's year, not the "aired 2019" in the article text; an IMDb link is not the drama's page here.
    assert (item.drama_year, item.drama_episodes, item.drama_country) == (2023, 12, "South Korea")
    assert item.drama_url is None and item.language == "en" and item.spoiler_marker_raw is None
    assert all(getattr(item, name) is None for name in NORMALISED_FIELDS)


def test_critic_review_normalises_end_to_end(pages):
    (item,) = extract_reviews(pages("critic-review.html"), CRITIC_URL)
    normalised(item)
    assert (item.score, item.score_scale) == (85.0, "10")
    assert item.published_at == datetime(2023, 6, 2, 0, 15, tzinfo=UTC)
    assert item.author_handle == "mira-solberg" and item.body.startswith("Moonlit Ferry takes its time.")


def test_yoast_graph_review_among_other_nodes(pages):
    items, report = extract_reviews_with_report(pages("yoast-graph.html"), YOAST_URL)
    (item,) = items  # WebPage, Organization, WebSite, Person, BreadcrumbList are not reviews
    assert report["review_nodes"] == 1
    assert item.source_review_id == f"{YOAST_URL}#review" and item.url == YOAST_URL
    # Author and itemReviewed are @id references to other nodes of the graph.
    assert (item.author_raw, item.author_url) == ("Wen Calloway", "https://jadescreen.example/author/wen/")
    assert item.drama_title == "Paper Lanterns of Suzhou" and item.drama_native_title == "苏州纸灯笼"
    assert (item.drama_year, item.drama_episodes) == (2024, 40)
    assert item.drama_url == "https://jadescreen.example/dramas/paper-lanterns-of-suzhou/"
    assert item.title == "Paper Lanterns of Suzhou – Review" and item.body_raw.startswith("Paper Lanterns of Suzhou is")
    assert item.spoiler_marker_raw == "Spoilers"  # the review's own keywords tag it
    normalised(item)
    assert (item.score, item.score_scale) == (80.0, "5") and item.spoiler is True


def test_user_reviews_nested_in_the_series(pages):
    items, report = extract_reviews_with_report(pages("series-user-reviews.html"), SHOW_URL)
    assert report["review_nodes"] == 3 and len(items) == 3
    # All three carry the show page's URL, so it names none of them: the position on the page does.
    assert [i.source_review_id for i in items] == [f"{SHOW_URL}#review-{n}" for n in (1, 2, 3)]
    assert [i.score_raw for i in items] == ["9/10", None, "4/5"]
    assert [i.author_raw for i in items] == ["tidepool_kim", "Ollie R.", "Bea"]
    assert items[0].author_url == "https://dramashelf.example/users/tidepool_kim"
    assert [i.published_raw for i in items] == ["2022-11-02", "2022-11-20", "2023-01-08"]  # dateCreated fallback
    assert items[1].title == "Dropped at episode 6"
    for item in items:
        assert (item.drama_title, item.drama_year, item.drama_episodes) == ("Salt Road Detectives", 2022, 16)
        assert item.drama_native_title is None  # the alternateName is Latin script
        assert item.drama_url == SHOW_URL and item.url == SHOW_URL
    assert [normalised(i).score for i in items] == [90.0, None, 80.0]
    assert "score" not in items[1].null_reasons  # no rating is a missing score, not a broken one


def test_microdata_only_page(pages):
    url = "https://asianscreenlog.example/reviews/spring-exam-blues"
    items, report = extract_reviews_with_report(pages("microdata-review.html"), url)
    (item,) = items
    assert report["jsonld_blocks"] == 0 and report["review_nodes"] == 1
    assert item.source_review_id == f"{url}#review-1" and item.url == url
    assert item.title == "Spring Exam Blues: cram school comedy with a soft heart"
    assert "Ten short episodes" in item.body_raw and "jokes land" in item.body_raw
    assert (item.author_raw, item.author_url) == ("Kaito Lund", "https://asianscreenlog.example/writers/kaito-lund")
    assert item.published_raw == "2021-06-30" and item.score_raw == "3.5/5"
    assert (item.drama_title, item.drama_native_title) == ("Spring Exam Blues", "春の受験ブルース")
    assert (item.drama_year, item.drama_episodes) == (2021, 10)
    assert normalised(item).score == 70.0


def test_malformed_block_is_counted_and_the_good_one_kept(pages):
    url = "https://bkkafterdark.example/neon-monsoon-first-impressions"
    items, report = extract_reviews_with_report(pages("mixed-jsonld.html"), url)
    (item,) = items
    assert report["jsonld_blocks"] == 2 and report["bad_jsonld"] == 1 and report["repaired_jsonld"] == 0
    assert report["errors"] and report["errors"][0].startswith("json-ld block 1:")
    assert item.source_review_id == f"{url}#review" and item.title == "Neon Monsoon – first impressions"
    assert item.score_raw == "7/10" and item.author_raw == "Bangkok After Dark" and item.author_url is None
    assert item.drama_native_title == "มรสุมนีออน" and item.drama_year == 2024


def test_page_without_reviews(pages):
    items, report = extract_reviews_with_report(pages("no-reviews.html"), "https://hallyudesk.example/news/x")
    assert items == []
    # An AggregateRating and an article "about" a show are not reviews.
    assert report["jsonld_blocks"] == 1 and report["review_nodes"] == 0 and report["bad_jsonld"] == 0


# --- JSON-LD blocks ---------------------------------------------------------------------------------------------

GOOD = json.dumps(review(name="Kept", itemReviewed={"@type": "TVSeries", "name": "Tide Clock"}))


@pytest.mark.parametrize(
    ("block", "repaired"),
    [
        (GOOD[:-1] + ",}", True),  # trailing comma
        ("<!--\n" + GOOD + "\n-->", True),  # HTML comment around the JSON
        ("<!-- schema by SomePlugin -->\n" + GOOD, True),
        ("//<![CDATA[\n" + GOOD + "\n//]]>", True),
        (GOOD.replace('"Fine show."', '"Fine\nshow."'), False),  # raw newline in a string: lenient parse
        (GOOD + "\n" + json.dumps(review(name="Also kept")), True),  # two objects in one script
    ],
)
def test_lenient_blocks_keep_their_reviews(block, repaired):
    items, report = extract_reviews_with_report(ld(block), PAGE)
    assert items[0].title == "Kept" and items[0].drama_title == "Tide Clock"
    assert report["bad_jsonld"] == 0 and report["repaired_jsonld"] == int(repaired)


@pytest.mark.parametrize("bad", ['{"@type": "Review", "reviewBody": "cut', "", "<!-- nothing here -->", "{]"])
def test_unreadable_block_beside_a_good_one(bad):
    items, report = extract_reviews_with_report(ld(bad, GOOD), PAGE)
    assert [i.title for i in items] == ["Kept"]
    assert report["jsonld_blocks"] == 2 and report["bad_jsonld"] == 1


def test_parse_jsonld_block_reports_the_first_error():
    values, repaired, error = parse_jsonld_block('{"a": 1')
    assert values is None and not repaired and "delimiter" in error
    assert parse_jsonld_block('{"a": [1, 2,], }') == ([{"a": [1, 2]}], True, None)


# --- finding reviews ---------------------------------------------------------------------------------------------


def test_types_with_prefix_and_as_list():
    blocks = [
        review(**{"@type": "https://schema.org/CriticReview"}, name="a"),
        review(**{"@type": "schema:UserReview"}, name="b"),
        review(**{"@type": ["CreativeWork", "Review"]}, name="c"),
        {"@type": "Reviewer", "name": "not a review"},
        [review(name="d"), 7, None, "x"],
    ]
    assert [i.title for i in extract_reviews(ld(*blocks), PAGE)] == ["a", "b", "c", "d"]


def test_review_referenced_from_the_series_gets_its_drama():
    graph = {"@context": "https://schema.org", "@graph": [
        review(**{"@id": "https://critics.example/r/1"}, name="by ref"),
        {"@type": "Movie", "name": "Harbor Lights", "datePublished": "2020-02-02",
         "review": {"@id": "https://critics.example/r/1"}},
    ]}  # fmt: skip
    (item,) = extract_reviews(ld(graph), PAGE)
    assert (item.title, item.drama_title, item.drama_year) == ("by ref", "Harbor Lights", 2020)
    assert item.source_review_id == "https://critics.example/r/1"


@pytest.mark.parametrize(
    ("season", "title", "native", "year"),
    [
        ({"seasonNumber": 2, "startDate": "2024-03-01"}, "Moonlit Ferry Season 2", None, 2024),
        ({"seasonNumber": "1"}, "Moonlit Ferry", "달빛 나룻배", 2023),
        ({}, "Moonlit Ferry", "달빛 나룻배", 2023),
    ],
)
def test_season_is_named_after_its_series(season, title, native, year):
    series = {"@type": "TVSeries", "name": "Moonlit Ferry", "alternateName": "달빛 나룻배", "startDate": "2023-04-08"}
    item_reviewed = {"@type": "TVSeason", "name": "Season", "partOfSeries": series, **season}
    (item,) = extract_reviews(ld(review(itemReviewed=item_reviewed)), PAGE)
    assert (item.drama_title, item.drama_native_title, item.drama_year) == (title, native, year)


def test_item_reviewed_that_is_not_a_show_gives_no_drama():
    (item,) = extract_reviews(ld(review(itemReviewed={"@type": "Product", "name": "Blender 3000"})), PAGE)
    assert item.drama_title is None and item.body_raw == "Fine show."
    (item,) = extract_reviews(ld(review(itemReviewed="Tide Clock")), PAGE)
    assert item.drama_title == "Tide Clock"


def test_ids_and_urls():
    items = extract_reviews(ld(
        review(**{"@id": "#first"}, name="a"),
        review(url="/reviews/b", name="b"),
        review(**{"@id": "_:b0"}, name="c"),
    ), PAGE + "#top")  # fmt: skip
    ids = [f"{PAGE}#first", "https://critics.example/reviews/b", f"{PAGE}#review-3"]  # fragment of the page dropped
    assert [i.source_review_id for i in items] == ids
    assert [i.url for i in items] == [PAGE + "#top", "https://critics.example/reviews/b", PAGE + "#top"]


def test_review_in_json_ld_and_microdata_is_kept_once():
    micro = (
        '<div itemscope itemtype="https://schema.org/Review"><span itemprop="author">Ann Lee</span>'
        '<meta itemprop="datePublished" content="2024-05-05"><p itemprop="reviewBody">Fine   show.</p></div>'
    )
    page = ld(review(author="Ann Lee", datePublished="2024-05-05")).replace("<p>page</p>", micro)
    items, report = extract_reviews_with_report(page, PAGE)
    assert len(items) == 1 and report["review_nodes"] == 2 and report["duplicates"] == 1


def test_rdfa_review():
    page = (
        '<html><body><div vocab="https://schema.org/" typeof="Review"><span property="name">RDFa one</span>'
        '<div property="itemReviewed" typeof="TVSeries"><span property="name">Jade River</span></div>'
        '<div property="reviewRating" typeof="Rating"><span property="ratingValue">7</span>'
        '<span property="bestRating">10</span></div><span property="author" typeof="Person">'
        '<span property="name">Bo Chen</span></span><p property="reviewBody">Slow start.</p></div></body></html>'
    )
    (item,) = extract_reviews(page, PAGE)
    assert (item.title, item.drama_title) == ("RDFa one", "Jade River")
    assert (item.score_raw, item.author_raw, item.body_raw) == ("7/10", "Bo Chen", "Slow start.")
    assert item.source_review_id == f"{PAGE}#review-1"  # blank-node ids are not stable ids


def test_review_without_any_content_is_counted_not_yielded():
    items, report = extract_reviews_with_report(ld({"@type": "Review", "@id": "https://x.example/r"}), PAGE)
    assert items == [] and report["review_nodes"] == 1 and report["empty_reviews"] == 1


# --- field mapping -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        ({"@type": "Rating", "ratingValue": "4.5"}, "4.5/5"),  # bestRating defaults to 5
        ({"ratingValue": "8/10"}, "8/10"),  # already carries its scale
        ({"ratingValue": 4, "bestRating": 10, "worstRating": 1}, "4/10"),
        ({"ratingValue": 7, "bestRating": "ten"}, "7"),  # unreadable best: left to the source's scale
        ({"ratingValue": ""}, None),
        ({"bestRating": 10}, None),
        (3, "3/5"),
        (None, None),
    ],
)
def test_score_raw(rating, expected):
    (item,) = extract_reviews(ld(review(reviewRating=rating)), PAGE)
    assert item.score_raw == expected


def test_author_list_of_mixed_strings_and_objects():
    authors = ["Ann Lee", {"@type": "Person", "name": "Bo Chen", "url": "/u/bo"}, 7, None, {"@type": "Organization"},
               {"givenName": "Cy", "familyName": "Park"}, ["nested"]]  # fmt: skip
    (item,) = extract_reviews(ld(review(author=authors)), PAGE)
    assert item.author_raw == "Ann Lee, Bo Chen, Cy Park"
    assert item.author_url is None  # one profile URL cannot stand for three people
    (item,) = extract_reviews(ld(review(author=[{"name": "Bo", "sameAs": ["https://social.example/@bo"]}])), PAGE)
    assert (item.author_raw, item.author_url) == ("Bo", "https://social.example/@bo")


def test_description_and_headline_fallbacks_and_no_date_from_text():
    block = {"@type": "Review", "headline": "H", "description": "Seen on 2021-01-01, a 9/10.",
             "dateModified": "2022-01-01"}  # fmt: skip
    (item,) = extract_reviews(ld(block), PAGE)
    assert (item.title, item.body_raw) == ("H", "Seen on 2021-01-01, a 9/10.")
    assert item.published_raw is None and item.score_raw is None


# --- hostile input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", b"", b"\x00\xff", "   ", "<html>", "\ufeff", ld("42"), ld('"text"'), ld("null")])
def test_hostile_bodies_give_nothing(body):
    items, report = extract_reviews_with_report(body, PAGE)
    assert items == [] and report["bad_jsonld"] == 0


def test_deeply_nested_json_ld_is_a_bad_block_not_a_crash():
    deep = "[" * 5000 + "]" * 5000
    items, report = extract_reviews_with_report(ld(deep, GOOD), PAGE)
    assert [i.title for i in items] == ["Kept"] and report["bad_jsonld"] == 1
    # Deep but under the parser's limit: the walk stops at its own depth limit instead of recursing.
    nested: object = review(name="deep")
    for _ in range(500):
        nested = [nested]
    assert extract_reviews(ld(json.dumps(nested)), PAGE) == []


def test_oversized_json_ld_is_read_in_part_and_says_so():
    items, report = extract_reviews_with_report(ld(json.dumps([review(name="early"), *[0] * 60_000])), PAGE)
    assert [i.title for i in items] == ["early"]
    assert report["errors"] == ["json-ld: too large, read in part"]


def test_reference_cycles_terminate():
    a = {"@id": "https://x.example/a", "@type": "TVSeries", "name": "Loop", "sameAs": {"@id": "https://x.example/b"}}
    b = {"@id": "https://x.example/b", "@type": "TVSeries", "isPartOf": {"@id": "https://x.example/a"},
         "review": [{"@id": "https://x.example/a"},
                    review(name="r", itemReviewed={"@id": "https://x.example/a"})]}  # fmt: skip
    (item,) = extract_reviews(ld({"@graph": [a, b]}), PAGE)
    assert item.drama_title == "Loop"


@settings(max_examples=60, deadline=None)
@given(
    data=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["@type", "@id", "review", "author", "reviewRating", "itemReviewed", "name", "@graph"]),
            children | st.sampled_from(["Review", "TVSeries", "Person"]),
            max_size=5,
        ),
        max_leaves=25,
    )
)
def test_any_json_ld_never_raises(data):
    items = extract_reviews(ld(json.dumps(data)), PAGE)
    assert all(isinstance(i, ReviewItem) and i.source_review_id for i in items)


def test_json_deeper_than_the_limit_is_refused_before_parsing():
    # json.loads would recurse to Python's limit, where a garbage collection breaks finalizers process-wide.
    from spiders.extractors.limits import MAX_JSON_DEPTH, json_too_deep, load_json

    assert json_too_deep("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert not json_too_deep("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert not json_too_deep('["' + "[" * 5000 + '"]')  # brackets inside a string are text
    assert load_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(RecursionError, match="nested more than"):
        load_json("[" * 5000 + "]" * 5000)
