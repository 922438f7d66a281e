"""WordPress extraction, offline: REST answers and HTML pages from fixtures, plus real seeds read in place."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from pipelines.apply import NormaliseConfig, normalise_item
from pipelines.normalise.scores import parse_score
from spiders.extractors.wordpress import (
    api_error_code,
    api_kind,
    extract_archive,
    extract_categories,
    extract_comments,
    extract_html_post,
    extract_posts,
    is_post_page,
    post_from_record,
)
from spiders.wordpress import WordPressSpider

BASE = "http://127.0.0.1:8765/blog"
POSTS_URL = f"{BASE}/wp-json/wp/v2/posts?per_page=100&page=1&_embed=author"
COMMENTS_URL = f"{BASE}/wp-json/wp/v2/comments?post=4101&per_page=100"
WHEN = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)


def fixture(fixtures_dir: Path, name: str) -> bytes:
    return (fixtures_dir / "wordpress" / name).read_bytes()


def by_id(items: list[ReviewItem]) -> dict[str, ReviewItem]:
    return {item.source_review_id: item for item in items}


def seed_post(text: str, post_id: int = 1) -> dict:
    """A REST post object around a seed: its first line as the title, its other lines as paragraphs."""
    title, _, rest = text.partition("\n")
    paragraphs = "".join(f"<p>{line}</p>" for line in rest.splitlines() if line.strip())
    return {"id": post_id, "link": f"{BASE}/?p={post_id}", "title": {"rendered": title}, "content": {"rendered": paragraphs}}


# --- REST ----------------------------------------------------------------------------------------------------


def test_rest_posts_page(fixtures_dir):
    items = extract_posts(fixture(fixtures_dir, "posts-page1.json"), POSTS_URL)
    # The fourth record has neither id nor link: it is not a post anyone can point to.
    assert sorted(by_id(items)) == ["4101", "4102", "4103"]
    first = by_id(items)["4101"]
    assert first.kind == "review" and first.url == f"{BASE}/soundtrack-1-spoiler-free-review/"
    assert first.title == "“Soundtrack #1” Spoiler Free Review – A Small Love Song"
    assert (first.drama_title, first.drama_year) == ("Soundtrack #1", None)
    assert (first.author_raw, first.author_url) == ("Mira Han", f"{BASE}/author/mira/")
    assert first.published_raw == "2022-04-16T10:05:00Z"  # date_gmt, marked as UTC; not the site's local date
    assert first.score_raw == "Our score: 8.5/10" and parse_score(first.score_raw).value == 85.0
    assert first.episode_scores == []  # "16 episode format", "all 4 episodes" are prose
    assert "sharedaddy" not in first.body_raw and "Four short episodes" in first.body_raw
    assert first.spoiler_marker_raw is None
    assert all(item.score is None and item.published_at is None for item in items)  # normalising is not ours


def test_rest_recap_with_episode_guide_and_warning(fixtures_dir):
    recap = by_id(extract_posts(fixture(fixtures_dir, "posts-page1.json"), POSTS_URL))["4102"]
    assert recap.drama_title == "Lanterns Over Hahoe"
    assert [(r.episode, r.score_raw) for r in recap.episode_scores] == [(3, "Review Score – 3/5"), (4, "Review Score – 4/5")]
    assert [parse_score(r.score_raw).value for r in recap.episode_scores] == [60.0, 80.0]
    assert recap.score_raw is None
    assert recap.spoiler_marker_raw == "Warning: Spoilers for the first four episodes below."


def test_rest_post_without_date_gmt_or_visible_author(fixtures_dir):
    roundup = by_id(extract_posts(fixture(fixtures_dir, "posts-page1.json"), POSTS_URL))["4103"]
    assert roundup.published_raw == "2022-05-02T20:00:00"  # site time: the only date there is
    assert roundup.author_raw is None and roundup.author_url is None  # embedded author is an error object
    assert roundup.drama_title is None  # a roundup names no drama


def test_rest_comments_take_the_drama_from_the_post(fixtures_dir):
    body = fixture(fixtures_dir, "comments.json")
    items = extract_comments(body, COMMENTS_URL, "“Soundtrack #1” Spoiler Free Review – A Small Love Song")
    assert [i.source_review_id for i in items] == ["comment-771", "comment-772"]
    first, reply = items
    assert first.kind == "comment" and first.drama_title == "Soundtrack #1"
    assert first.url == f"{BASE}/soundtrack-1-spoiler-free-review/#comment-771"
    assert (first.author_raw, first.author_url) == ("lyricfan", "https://example.org/lyricfan")
    assert first.published_raw == "2022-04-16T23:12:00Z"
    assert first.score_raw == "9/10"
    assert reply.author_url is None and reply.score_raw is None  # "" is no URL
    # Without the post's title (and nothing embedded), the drama is unknown rather than guessed.
    assert {i.drama_title for i in extract_comments(body, COMMENTS_URL)} == {None}


def test_rest_comments_read_an_embedded_post_title():
    record = {
        "id": 5, "post": 9, "author_name": "x", "content": {"rendered": "<p>Loved it</p>"},
        "_embedded": {"up": [{"id": 9, "title": {"rendered": "Vincenzo Episode 5 Recap"}}]},
    }  # fmt: skip
    (item,) = extract_comments(json.dumps([record]), COMMENTS_URL)
    assert item.drama_title == "Vincenzo" and item.url == f"{COMMENTS_URL}#comment-5"


def test_categories_and_api_kinds(fixtures_dir):
    assert extract_categories(fixture(fixtures_dir, "categories.json")) == {"kdrama-reviews": 12, "recaps": 14}
    assert api_kind(fixture(fixtures_dir, "categories.json"), f"{BASE}/wp-json/wp/v2/categories?slug=a") == "categories"
    assert api_kind(fixture(fixtures_dir, "posts-page1.json"), "file.json") == "posts"  # recognised by content
    assert api_kind(fixture(fixtures_dir, "comments.json"), "file.json") == "comments"
    assert api_kind("[]", COMMENTS_URL) == "comments"
    assert api_kind(fixture(fixtures_dir, "error-invalid-page.json"), POSTS_URL) == "error"
    assert api_error_code(fixture(fixtures_dir, "error-invalid-page.json")) == "rest_post_invalid_page_number"
    assert api_kind(fixture(fixtures_dir, "post-yoast.html"), POSTS_URL) is None  # HTML where JSON was asked
    assert api_kind(b"\xff\xfe garbage", POSTS_URL) is None


# --- HTML ----------------------------------------------------------------------------------------------------


def test_html_post_with_yoast_graph(fixtures_dir):
    item = extract_html_post(fixture(fixtures_dir, "post-yoast.html"), f"{BASE}/second-chorus-korean-drama-review/")
    assert item.source_review_id == "5120"
    assert item.url == f"{BASE}/second-chorus-korean-drama-review/"
    assert item.title == "Second Chorus – Korean Drama Review" and item.drama_title == "Second Chorus"
    # The Article's author points to the graph's Person node, which has the profile URL.
    assert (item.author_raw, item.author_url) == ("Sol Park", f"{BASE}/author/solpark/")
    assert item.published_raw == "2022-05-09T07:00:00+00:00"
    # The related-posts block's "Rating: 1/5" is about another show and is gone with the block.
    assert item.score_raw == "Rating: 4/5"
    assert "jp-relatedposts" not in item.body_raw and "sharedaddy" not in item.body_raw


def test_html_post_with_a_broken_jsonld_block_keeps_the_good_one(fixtures_dir):
    item = extract_html_post(fixture(fixtures_dir, "post-malformed-jsonld.html"), f"{BASE}/midnight-bakery/")
    assert item.source_review_id == "7002"
    assert (item.author_raw, item.author_url) == ("Hana Yoo", f"{BASE}/author/hanayoo/")
    assert item.published_raw == "2023-01-14T21:40:00+09:00"
    assert item.drama_title == "Midnight Bakery on Route 9"
    assert item.spoiler_marker_raw == "Spoiler warning: the whole second episode is discussed."
    assert [(r.episode, r.score_raw) for r in item.episode_scores] == [(2, "7/10")]


def test_html_post_with_opengraph_only(fixtures_dir):
    item = extract_html_post(fixture(fixtures_dir, "post-og-only.html"), f"{BASE}/?p=8810")
    assert item.source_review_id == "8810"  # from the shortlink
    assert item.url == f"{BASE}/monsoon-letters-drama-review/"
    assert (item.title, item.drama_title, item.drama_year) == ("Monsoon Letters (2021) Drama Review", "Monsoon Letters", 2021)
    assert item.author_raw == "Jun Seo" and item.published_raw == "2021-09-03T05:20:00+00:00"
    assert item.score_raw == "9/10"


def test_html_post_with_byline_markup_only(fixtures_dir):
    item = extract_html_post(fixture(fixtures_dir, "post-byline-only.html"), f"{BASE}/jade-river-7/")
    assert item.source_review_id == "6001" and item.url == f"{BASE}/jade-river-7/"
    assert (item.author_raw, item.author_url) == ("Yuna", f"{BASE}/author/yuna/")
    assert item.published_raw == "2022-06-11T14:00:00+09:00"  # the published time, not the updated one
    assert item.drama_title == "Jade River Detectives"
    assert [(r.episode, parse_score(r.score_raw).value) for r in item.episode_scores] == [(7, 80.0)]


def test_publication_date_is_the_posts_own_never_the_air_date(fixtures_dir):
    dated = extract_html_post(fixture(fixtures_dir, "post-airdate.html"), f"{BASE}/soundtrack-1/")
    assert "March 23, 2022" in dated.body_raw
    assert dated.published_raw == "2022-04-02T08:00:00+00:00"
    undated = extract_html_post(fixture(fixtures_dir, "post-airdate-undated.html"), f"{BASE}/soundtrack-1/")
    assert "March 23, 2022" in undated.body_raw
    assert undated.published_raw is None
    assert undated.source_review_id == "3031" and undated.drama_title == "Soundtrack #1"


def test_archive_pages(fixtures_dir):
    url = f"{BASE}/category/kdrama-reviews/"
    posts, next_url = extract_archive(fixture(fixtures_dir, "archive-page1.html"), url)
    assert posts == [f"{BASE}/second-chorus-korean-drama-review/", f"{BASE}/soundtrack-1-korean-drama-review/"]
    assert next_url == f"{BASE}/category/kdrama-reviews/page/2/"
    posts, next_url = extract_archive(fixture(fixtures_dir, "archive-page2.html"), f"{url}page/2/")
    assert posts == [f"{BASE}/monsoon-letters-drama-review/"] and next_url is None
    assert not is_post_page(fixture(fixtures_dir, "archive-page1.html"))
    assert extract_archive(b"", url) == ([], None)


# --- items_from_page: what `dramascore extract --spider wordpress` runs ------------------------------------------


@pytest.mark.parametrize(
    ("name", "url", "ids"),
    [
        ("posts-page1.json", POSTS_URL, {"4101", "4102", "4103"}),
        ("posts-page1.json", "saved.json", {"4101", "4102", "4103"}),
        ("comments.json", COMMENTS_URL, {"comment-771", "comment-772"}),
        ("categories.json", f"{BASE}/wp-json/wp/v2/categories?slug=recaps", set()),
        ("error-invalid-page.json", POSTS_URL, set()),
        ("post-yoast.html", f"{BASE}/second-chorus-korean-drama-review/", {"5120"}),
        ("archive-page1.html", f"{BASE}/category/kdrama-reviews/", set()),
    ],
)
def test_items_from_page_recognises_what_it_was_given(fixtures_dir, name, url, ids):
    source = SourceConfig(name="quietcouch", kind="wordpress", language="en")
    items = WordPressSpider.items_from_page(fixture(fixtures_dir, name), url, WHEN, source)
    assert {i.source_review_id for i in items} == ids
    assert all(i.source == "quietcouch" and i.crawled_at == WHEN and i.language == "en" for i in items)


# --- real seeds, read in place ---------------------------------------------------------------------------------


def test_seed_000_title_and_normalised_item(seed):
    text = seed("000")
    item = post_from_record(seed_post(text), f"{BASE}/wp-json/wp/v2/posts")
    assert item.drama_title == "Soundtrack #1"
    normalise_item(item, NormaliseConfig())
    # "Spoiler Free Review" in the title; "four episodes long", "12 episodes", "16 episode format" are prose.
    assert item.spoiler is False
    assert item.score_raw is None and item.score is None and item.episode_scores == []


def test_seed_003_episode_guide_normalises_to_four_scores_of_80(seed):
    record = seed_post("Soundtrack #1 - Korean Drama Review\n" + seed("003"))
    item = normalise_item(post_from_record(record, f"{BASE}/wp-json/wp/v2/posts"), NormaliseConfig())
    assert [(r.episode, r.score, r.scale) for r in item.episode_scores] == [(n, 80.0, "5") for n in (1, 2, 3, 4)]
    assert item.score is None


def test_seed_002_air_date_is_not_the_publication_date(seed):
    text = seed("002")
    title = text.splitlines()[0]
    paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines()[1:] if line.strip())
    ld = json.dumps({"@type": "BlogPosting", "headline": title, "datePublished": "2022-04-02T08:00:00+00:00"})
    page = '<html><head>{}</head><body class="single postid-77"><article id="post-77"><div class="entry-content">{}</div></article></body></html>'
    dated = extract_html_post(page.format(f'<script type="application/ld+json">{ld}</script>', paragraphs), f"{BASE}/s1/")
    assert "March 23, 2022" in dated.body_raw and dated.published_raw == "2022-04-02T08:00:00+00:00"
    assert dated.drama_title == "Soundtrack #1"
    undated = extract_html_post(page.format("", paragraphs), f"{BASE}/s1/")
    assert undated.published_raw is None


def test_review_jsonld_names_the_show_and_its_rating():
    ld = {
        "@type": "Review", "headline": "My favourite show this spring", "datePublished": "2023-05-01",
        "itemReviewed": {"@type": "TVSeries", "name": "Paper Cranes in Sapporo"},
        "reviewRating": {"@type": "Rating", "ratingValue": "4.5", "bestRating": "5"},
        "author": "Noor",
    }  # fmt: skip
    page = f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head><body class="single">'
    page += '<div class="entry-content"><p>Snow, letters and a very patient cat. Rating: 3/5 for the cat.</p></div></body></html>'
    item = extract_html_post(page, f"{BASE}/cranes/")
    assert item.title == "My favourite show this spring"
    assert item.drama_title == "Paper Cranes in Sapporo"  # the title names no drama; the Review does
    assert item.score_raw == "4.5/5" and parse_score(item.score_raw).value == 90.0
    assert (item.author_raw, item.published_raw, item.source_review_id) == ("Noor", "2023-05-01", f"{BASE}/cranes/")
