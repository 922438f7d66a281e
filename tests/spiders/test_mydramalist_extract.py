"""MyDramaList extraction: real pages (../shared/realpages), our own MDL-shaped fixtures, hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.items import DramaListing, Rating, ReviewItem
from spiders.extractors.mydramalist import (
    drama_id_from_url,
    extract_listing,
    extract_review_page_urls,
    extract_reviews,
    review_block_count,
    review_page_number,
)

GLORY_URL = "https://mydramalist.com/685237-untitled-kim-eun-sook-project"
POPULAR_URL = "https://mydramalist.com/shows/popular?page=1"
BASE = "https://mydramalist.com"
DRAMA = f"{BASE}/700101-lanterns-over-haedong"
REVIEWS_1 = f"{DRAMA}/reviews?page=1"
REVIEWS_2 = f"{DRAMA}/reviews?page=2"

# Every field a complete MDL review block yields; a selector that silently finds nothing fails here.
EXPECTED_FIELDS = [
    "url", "drama_title", "drama_site_id", "drama_url", "drama_native_title", "drama_year", "drama_episodes",
    "drama_country", "author_raw", "author_url", "published_raw", "score_raw", "title", "body_raw",
    "helpful_votes", "episodes_seen", "episodes_total", "watch_status_raw",
]
NORMALISED_FIELDS = [
    "author_handle", "author_name", "published_at", "score", "score_scale", "spoiler", "spoiler_reason", "body",
    "watch_status", "language", "crawled_at",
]


@pytest.fixture(scope="module")
def mdl(fixtures_dir: Path) -> Path:
    return fixtures_dir / "mydramalist"


def by_id(items: list[ReviewItem]) -> dict[str, ReviewItem]:
    return {item.source_review_id: item for item in items}


# --- the real drama page ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def glory(realpages: Path) -> dict[str, ReviewItem]:
    body = (realpages / "mydramalist" / "the-glory-685237-details.html").read_bytes()
    return by_id(extract_reviews(body, GLORY_URL))


def test_real_drama_page_has_exactly_its_two_reviews(glory, realpages):
    assert list(glory) == ["249745", "249715"]
    body = (realpages / "mydramalist" / "the-glory-685237-details.html").read_text()
    assert review_block_count(body, GLORY_URL) == 2


@pytest.mark.parametrize("review_id", ["249745", "249715"])
@pytest.mark.parametrize("field", EXPECTED_FIELDS)
def test_real_drama_page_every_field_is_found(glory, review_id, field):
    assert getattr(glory[review_id], field) is not None, f"{field} not found on review {review_id}"


@pytest.mark.parametrize("review_id", ["249745", "249715"])
def test_real_drama_page_leaves_normalised_fields_to_the_pipelines(glory, review_id):
    item = glory[review_id]
    assert item.source == "mydramalist" and len(item.sub_scores) == 4
    assert all(getattr(item, field) is None for field in NORMALISED_FIELDS)
    assert all(r.score is None and r.aspect is None for r in item.sub_scores)


def test_real_review_with_spoiler_notice(glory):
    r = glory["249745"]
    assert r.url == "https://mydramalist.com/profile/unterwegsimkoreanischenDE/review/249745"
    assert r.author_raw == "unterwegsimkoreanischenD"
    assert r.author_url == "https://mydramalist.com/profile/unterwegsimkoreanischenDE"
    assert (r.published_raw, r.score_raw) == ("Dec 30, 2022", "10")
    assert [(s.aspect_raw, s.score_raw) for s in r.sub_scores] == [
        ("Story", "10"), ("Acting/Cast", "10"), ("Music", "9.0"), ("Rewatch Value", "9.0"),
    ]
    assert r.spoiler_marker_raw == "This review may contain spoilers"
    assert (r.helpful_votes, r.episodes_seen, r.episodes_total, r.watch_status_raw) == (161, 8, 8, "Completed")
    assert r.title == "Gripping, intense, a success all round"
    assert "drum roll" in r.body_raw
    for clutter in ("Was this review helpful", "Read More", "Overall", "may contain spoilers", "Gripping, intense"):
        assert clutter not in r.body_raw
    assert r.body_raw.startswith('"The Glory" comes with')


def test_real_review_without_spoiler_notice(glory):
    r = glory["249715"]
    assert r.spoiler_marker_raw is None
    assert r.helpful_votes == 68
    assert r.author_raw == "Luffy" and r.author_url == "https://mydramalist.com/profile/8162591"
    assert r.url == "https://mydramalist.com/profile/8162591/review/249715"
    assert r.title == "For revenge I sold my soul to the Demon"
    assert "Song Hye Kyo is back" in r.body_raw and "Was this review helpful" not in r.body_raw


def test_real_drama_fields(glory):
    for r in glory.values():
        assert (r.drama_title, r.drama_native_title, r.drama_year) == ("The Glory", "더 글로리", 2022)
        assert (r.drama_episodes, r.drama_country, r.drama_site_id) == (8, "South Korea", "685237")
        assert r.drama_url == GLORY_URL


def test_real_drama_page_points_to_its_first_reviews_page(realpages):
    body = (realpages / "mydramalist" / "the-glory-685237-details.html").read_bytes()
    assert extract_review_page_urls(body, GLORY_URL) == [f"{GLORY_URL}/reviews?page=1"]


def test_real_listing_page(realpages):
    body = (realpages / "mydramalist" / "shows-popular-page1.html").read_bytes()
    listings, next_url = extract_listing(body, POPULAR_URL)
    assert len(listings) == 20 and len({d.site_id for d in listings}) == 20
    assert listings[0] == DramaListing(
        site_id="18452", url="https://mydramalist.com/18452-goblin", title="Guardian: The Lonely and Great God"
    )
    assert all(d.url.startswith(f"{BASE}/{d.site_id}-") and d.title for d in listings)
    assert next_url == "https://mydramalist.com/shows/popular?page=2"


# --- our fixtures -------------------------------------------------------------------------------------------


def test_fixture_drama_page_every_field(mdl):
    items = by_id(extract_reviews((mdl / "drama-main.html").read_bytes(), DRAMA))
    assert list(items) == ["900001", "900002", "900003"]
    full = items["900001"]
    for field in EXPECTED_FIELDS:
        assert getattr(full, field) is not None, field
    assert full.url == f"{BASE}/profile/HarborLight_88/review/900001"
    assert (full.author_raw, full.author_url) == ("HarborLight", f"{BASE}/profile/HarborLight_88")
    assert (full.published_raw, full.score_raw, full.helpful_votes) == ("Apr 10, 2023", "9.5", 1204)
    assert full.sub_scores == [
        Rating("9.5", "Story"), Rating("10", "Acting/Cast"), Rating("8.0", "Music"), Rating("7.5", "Rewatch Value"),
    ]
    assert full.spoiler_marker_raw == "This review may contain spoilers"
    assert full.title == "A harbour town that glows in the dark"
    # Bold words inside the prose stay in the body; only the leading bold paragraph is the headline.
    assert "<strong>Bring tissues.</strong>" in full.body_raw and full.body_raw.startswith("The lantern maker")
    assert (full.episodes_seen, full.episodes_total, full.watch_status_raw) == (12, 12, "Completed")
    assert (full.drama_title, full.drama_native_title, full.drama_year) == ("Lanterns Over Haedong", "해동의 등불", 2023)
    assert (full.drama_episodes, full.drama_country, full.drama_site_id, full.drama_url) == (
        12, "South Korea", "700101", DRAMA,
    )


def test_fixture_review_without_headline(mdl):
    items = by_id(extract_reviews((mdl / "drama-main.html").read_text(), DRAMA))
    dropped = items["900002"]
    assert dropped.title is None and dropped.spoiler_marker_raw is None
    assert dropped.body_raw.startswith("I wanted to like the slow pace")
    assert (dropped.watch_status_raw, dropped.episodes_seen, dropped.episodes_total) == ("Dropped", 5, 12)
    assert dropped.author_url == f"{BASE}/profile/4410927"
    # A paragraph that merely contains bold words is prose, not a headline.
    partial = items["900003"]
    assert partial.title is None and "<b>opening storm</b>" in partial.body_raw


def test_fixture_author_without_profile_link(mdl):
    r = by_id(extract_reviews((mdl / "drama-main.html").read_bytes(), DRAMA))["900003"]
    assert (r.author_raw, r.author_url) == ("Former member", None)
    assert r.helpful_votes == 0  # a real zero stays 0
    assert r.url == f"{DRAMA}/reviews#review-900003"  # no review link: the reviews page with a fragment
    assert r.sub_scores == [Rating("7.0", "Story")] and r.watch_status_raw == "Ongoing"


def test_fixture_reviews_pages(mdl):
    page1 = by_id(extract_reviews((mdl / "reviews-page1.html").read_bytes(), REVIEWS_1))
    assert list(page1) == ["900001", "900004"]
    for r in page1.values():
        # The title is wrapped in a link here, and there is no "Native Title:" item.
        assert (r.drama_title, r.drama_native_title, r.drama_year) == ("Lanterns Over Haedong", "해동의 등불", 2023)
        assert (r.drama_site_id, r.drama_url, r.drama_episodes, r.drama_country) == (
            "700101", DRAMA, 12, "South Korea",
        )
    assert page1["900004"].title == "Worth it for the soundtrack alone"

    page2 = by_id(extract_reviews((mdl / "reviews-page2.html").read_bytes(), REVIEWS_2))
    unscored, dated = page2["900005"], page2["900006"]
    assert unscored.score_raw is None and unscored.sub_scores == []
    assert unscored.published_raw == "3 days ago"
    assert unscored.title is None and unscored.body_raw.startswith("Halfway through")
    assert "Was this review helpful" not in unscored.body_raw
    assert (dated.published_raw, dated.score_raw, dated.helpful_votes) == ("Nov 2, 2023", "6.5", 0)


def test_fixture_pagination(mdl):
    assert extract_review_page_urls((mdl / "drama-main.html").read_bytes(), DRAMA) == [REVIEWS_1]
    assert extract_review_page_urls((mdl / "reviews-page1.html").read_bytes(), REVIEWS_1) == [REVIEWS_2]
    # Page 2 links page 1 three ways (/reviews, ?page=1 twice): one URL, one spelling.
    assert extract_review_page_urls((mdl / "reviews-page2.html").read_bytes(), REVIEWS_2) == [REVIEWS_1]
    # A bare /reviews is page 1.
    assert extract_review_page_urls((mdl / "reviews-page1.html").read_bytes(), f"{DRAMA}/reviews") == [REVIEWS_2]


def test_fixture_listing_pages(mdl):
    listings, next_url = extract_listing((mdl / "listing-page1.html").read_bytes(), POPULAR_URL)
    assert [(d.site_id, d.title) for d in listings] == [
        ("700101", "Lanterns Over Haedong"), ("700202", "The Salt Merchants"), ("700303", "A Tea House in Kyoto Rain"),
    ]
    assert listings[0].url == DRAMA and next_url == f"{BASE}/shows/popular?page=2"
    listings, next_url = extract_listing((mdl / "listing-page2.html").read_bytes(), f"{BASE}/shows/popular?page=2")
    assert [d.site_id for d in listings] == ["700404", "700505"] and next_url is None


def test_listing_urls_follow_the_page_host():
    body = '<div id="mdl-5" class="box"><h6 class="title"><a href="/5-x">X</a></h6></div>'
    assert extract_listing(body, "http://127.0.0.1:8123/shows/popular?page=1") == (
        [DramaListing("5", "http://127.0.0.1:8123/5-x", "X")], None,
    )


def test_review_blocks_without_fields(mdl):
    body = (mdl / "review-blocks-empty.html").read_bytes()
    assert review_block_count(body, DRAMA) == 2
    items = extract_reviews(body, DRAMA)
    assert [i.source_review_id for i in items] == ["910001", "910002"]
    for item in items:
        assert item.url == f"{DRAMA}/reviews#review-{item.source_review_id}"
        assert item.drama_site_id == "700101"
        for field in EXPECTED_FIELDS:
            if field not in ("url", "drama_site_id", "drama_url"):
                assert getattr(item, field) is None, field
        assert item.sub_scores == [] and item.spoiler_marker_raw is None


# --- hostile input ------------------------------------------------------------------------------------------

HOSTILE = ["", "<html", b"\x00\xff binary", b"", "   ", "\x00<p>x</p>", "<div id='review-1' class='rev", None]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_input_never_raises(body):
    for url in (DRAMA, REVIEWS_2, "", "not a url", "http://[bad"):
        assert extract_reviews(body, url) == []
        assert review_block_count(body, url) == 0
        assert extract_review_page_urls(body, url) == []
        assert extract_listing(body, url) == ([], None)


def test_score_box_inside_a_text_wrapper_takes_only_the_box():
    body = (
        '<div id="review-7" class="review"><div class="review-body"><div class="wrap">'
        '<div class="box pull-right"><div class="rating-overall"><b>Overall <span class="score">8</span></b></div>'
        '</div>The wrapped text survives.</div></div></div>'
    )
    (item,) = extract_reviews(body, DRAMA)
    assert item.score_raw == "8" and "The wrapped text survives." in item.body_raw and "Overall" not in item.body_raw


def test_block_without_a_numeric_id_is_counted_but_yields_no_item():
    # The count is of blocks, not items: the gap is what tells a monitor the markup moved.
    body = "<div class='review' id='review-'><b>x</b></div>"
    assert review_block_count(body, DRAMA) == 1 and extract_reviews(body, DRAMA) == []


def test_truncated_page_keeps_what_is_there(mdl):
    text = (mdl / "drama-main.html").read_text()
    cut = text[: text.index("moonjar") + 20]
    items = extract_reviews(cut, DRAMA)
    assert [i.source_review_id for i in items] == ["900001", "900002"]
    assert items[0].score_raw == "9.5" and items[1].author_raw == "moonjar"


@settings(max_examples=150, deadline=None)
@given(body=st.one_of(st.text(max_size=400), st.binary(max_size=400)), url=st.text(max_size=60))
def test_arbitrary_input_never_raises(body, url):
    assert isinstance(extract_reviews(body, url), list)
    assert isinstance(review_block_count(body, url), int)
    assert isinstance(extract_review_page_urls(body, url), list)
    listings, next_url = extract_listing(body, url)
    assert isinstance(listings, list) and (next_url is None or isinstance(next_url, str))
    drama_id_from_url(url)
    review_page_number(url)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([
    '<div id="review-1" class="review">', "<div class='review-body'>", "<p><strong>t</strong></p>", "</div>",
    '<span class="score">', "<b>", '<ul class="pagination"><li class="page-item next"><a class="page-link" href="',
    "/1-x/reviews?page=2", '">', "text", "<", ">", '"', "\x00", "‧",
]), max_size=30))
def test_mdl_like_fragments_never_raise(parts):
    body = "".join(parts)
    extract_reviews(body, REVIEWS_1)
    extract_review_page_urls(body, REVIEWS_1)
    extract_listing(body, POPULAR_URL)


# --- URLs ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (GLORY_URL, "685237"),
        (f"{GLORY_URL}/reviews?page=3", "685237"),
        ("/18452-goblin", "18452"),
        ("https://mydramalist.com/685237", "685237"),
        ("https://mydramalist.com/shows/popular?page=1", None),
        ("https://mydramalist.com/profile/8162591/review/249715", None),
        ("https://mydramalist.com/12abc-nope", None),
        ("", None),
        ("http://[bad", None),
    ],
)
def test_drama_id_from_url(url, expected):
    assert drama_id_from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [(REVIEWS_2, 2), (f"{DRAMA}/reviews", 1), (f"{DRAMA}/reviews?sort=helpful&page=4", 4), (DRAMA, None)],
)
def test_review_page_number(url, expected):
    assert review_page_number(url) == expected
