"""The demo's WordPress blogs over real HTTP: the REST API of kdramadiary and the HTML-only seoulscreen."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from aggregator.demo.wp_model import load_blogs, texturize

BLOGS = load_blogs()
A, B = BLOGS["kdramadiary"], BLOGS["seoulscreen"]
API = "/blogs/kdramadiary/wp-json/wp/v2"
JSON = "application/json; charset=UTF-8"
HTML = "text/html; charset=utf-8"
WP_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
SOUNDTRACK_A = A.by_id[2101]
SCORE = re.compile(r"\d\s*/\s*(10|5)\b|out of \d|[★½]|\d%|score", re.IGNORECASE)


def ids(answer) -> list[int]:
    return [p["id"] for p in answer.json()]


def jsonld_blocks(sel: Selector) -> list[str]:
    return sel.css('script[type="application/ld+json"]::text').getall()


# --- kdramadiary: REST API -----------------------------------------------------------------------------


def test_posts_page_with_wordpress_headers_and_400_past_the_last_page(demo, get):
    first, second = get(f"{API}/posts"), get(f"{API}/posts?page=2")
    assert (first.status, first.content_type) == (200, JSON)
    assert (first.headers["X-WP-Total"], first.headers["X-WP-TotalPages"]) == ("15", "2")
    assert len(first.json()) == 10 and len(second.json()) == 5
    assert ids(first) + ids(second) == [p.id for p in A.posts]  # newest first, nothing twice
    assert first.headers.get_all("Link") == [f'<{demo.url(API)}/posts?page=2>; rel="next"']
    assert second.headers.get_all("Link") == [f'<{demo.url(API)}/posts?page=1>; rel="prev"']
    past = get(f"{API}/posts?page=3")
    assert (past.status, past.content_type) == (400, JSON)
    assert past.json() == {
        "code": "rest_post_invalid_page_number",
        "message": "The page number requested is larger than the number of pages available.",
        "data": {"status": 400},
    }
    assert len(get(f"{API}/posts?per_page=100").json()) == 15
    for bad in ("per_page=101", "per_page=0", "per_page=ten", "page=0"):
        error = get(f"{API}/posts?{bad}")
        name = bad.split("=")[0]
        assert error.status == 400 and error.json()["code"] == "rest_invalid_param", bad
        assert name in error.json()["data"]["params"], bad


def test_post_objects_are_shaped_like_wordpress(get):
    post = next(p for p in get(f"{API}/posts?per_page=100").json() if p["id"] == 2101)
    assert {"id", "date", "date_gmt", "modified", "modified_gmt", "slug", "status", "type", "link", "title",
            "content", "excerpt", "author", "categories", "tags"} <= set(post)
    assert all(WP_DATE.fullmatch(post[k]) for k in ("date", "date_gmt", "modified", "modified_gmt"))
    assert (post["date_gmt"], post["status"], post["type"]) == ("2022-04-02T09:00:00", "publish", "post")
    assert post["title"]["rendered"] == (
        "&#8220;Soundtrack #1&#8221; Spoiler Free Review &#8211; A Short Romance Worth Your Weekend"
    )
    assert post["content"]["rendered"].startswith("<p>&#8220;Soundtrack #1&#8221; finished")
    assert post["excerpt"]["rendered"].endswith(" [&hellip;]</p>\n")
    assert urlsplit(post["link"]).path == f"/blogs/kdramadiary/2022/04/{post['slug']}/"
    assert (post["author"], post["categories"], "_embedded" in post) == (2, [3], False)
    # The link is a real page on the demo, with the post in WordPress theme markup.
    page = get(urlsplit(post["link"]).path)
    assert page.status == 200 and Selector(page.text).css("article#post-2101.post")
    # WordPress's typography, applied to escaped text.
    assert texturize("Lena & Co. said \"it's <great>\" - twice...") == (
        "Lena &#038; Co. said &#8220;it&#8217;s &lt;great&gt;&#8221; &#8211; twice&#8230;")


def test_search_and_category_filters(get):
    found = get(f"{API}/posts?search=SOUNDTRACK")
    # The Soundtrack #2 review mentions Soundtrack #1: search finds both, as WordPress would.
    assert ids(found) == [2105, 2115, 2101] and found.headers["X-WP-Total"] == "3"
    assert set(ids(get(f"{API}/posts?search=spoiler%20free&per_page=100"))) == {2101, 2111, 2114}
    assert ids(get(f"{API}/posts?search=no-such-words")) == []
    terms = get(f"{API}/categories?slug=kdrama-reviews,news")
    assert terms.status == 200
    cats = {t["slug"]: t for t in terms.json()}
    assert set(cats) == {"kdrama-reviews", "news"}
    assert {"id", "count", "name", "slug", "link"} <= set(cats["news"])
    assert urlsplit(cats["news"]["link"]).path == "/blogs/kdramadiary/category/news/"
    reviews = get(f"{API}/posts?categories={cats['kdrama-reviews']['id']}&per_page=100")
    assert int(reviews.headers["X-WP-Total"]) == cats["kdrama-reviews"]["count"] == len(reviews.json()) == 13
    assert 2109 not in ids(reviews) and 2110 not in ids(reviews)  # news, and a Cdrama-only post
    assert ids(get(f"{API}/posts?categories={cats['news']['id']}")) == [2109]
    assert set(ids(get(f"{API}/posts?categories=4,7&per_page=50"))) == {2103, 2106, 2110, 2113, 2114}
    assert get(f"{API}/posts?categories=kdrama").status == 400


def test_embed_adds_the_author(get):
    posts = get(f"{API}/posts?per_page=100&_embed").json()
    by_id = {p["id"]: p for p in posts}
    author = by_id[2101]["_embedded"]["author"][0]
    assert (author["id"], author["name"]) == (2, "Jass K.")
    assert urlsplit(author["link"]).path == "/blogs/kdramadiary/author/jass-k/"
    assert [c["slug"] for c in by_id[2106]["_embedded"]["wp:term"][0]] == ["kdrama-reviews", "cdrama"]
    assert all(p["_embedded"]["author"][0]["id"] == p["author"] for p in posts)
    assert get(f"{API}/posts/2101").json()["id"] == 2101
    assert get(f"{API}/posts/9").json()["code"] == "rest_post_invalid_id"


def test_comments_page_with_the_same_headers(get):
    everything = get(f"{API}/comments?post=2101")
    assert (everything.headers["X-WP-Total"], everything.headers["X-WP-TotalPages"]) == ("4", "1")
    comments = {c["id"]: c for c in everything.json()}
    assert {"id", "post", "author_name", "author_url", "date", "date_gmt", "content", "link"} <= set(comments[401])
    assert comments[404]["content"]["rendered"] == "<p>Adding this to my weekend list &lt;3</p>\n"
    assert comments[403]["parent"] == 402 and comments[403]["author"] == 2
    assert comments[402]["author_url"] == "https://example.com/owl"
    assert urlsplit(comments[404]["link"]).fragment == "comment-404"
    first, second = get(f"{API}/comments?post=2101&per_page=3"), get(f"{API}/comments?post=2101&per_page=3&page=2")
    assert first.headers["X-WP-TotalPages"] == "2" and len(first.json()) == 3 and len(second.json()) == 1
    assert [c["id"] for c in first.json() + second.json()] == [404, 403, 402, 401]  # newest first
    past = get(f"{API}/comments?post=2101&per_page=3&page=3")
    assert past.status == 400 and past.json()["code"] == "rest_comment_invalid_page_number"
    assert get(f"{API}/comments?post=2105").json() == []
    assert get(f"{API}/nothing-here").json()["code"] == "rest_no_route"


def test_api_is_announced_and_reachable_by_rest_route(get):
    home = Selector(get("/blogs/kdramadiary/").text)
    assert urlsplit(home.css('link[rel="https://api.w.org/"]::attr(href)').get()).path == "/blogs/kdramadiary/wp-json/"
    assert get("/blogs/kdramadiary/wp-json/").json()["namespaces"] == ["oembed/1.0", "wp/v2"]
    assert ids(get("/blogs/kdramadiary/?rest_route=/wp/v2/posts&per_page=2")) == [2108, 2109]


def test_kdramadiary_post_page_markup_and_yoast_graph(get):
    sel = Selector(get(f"/blogs/kdramadiary{SOUNDTRACK_A.path}").text)
    article = sel.css("article#post-2101.post")
    assert article.css("h1.entry-title::text").get() == (
        "\u201cSoundtrack #1\u201d Spoiler Free Review \u2013 A Short Romance Worth Your Weekend"
    )
    byline = article.css(".entry-meta span.byline span.author.vcard a.url.fn.n")
    assert (byline.attrib["href"], byline.css("::text").get()) == ("/blogs/kdramadiary/author/jass-k/", "Jass K.")
    assert article.css(".entry-meta time.entry-date.published::attr(datetime)").get() == "2022-04-02T09:00:00+00:00"
    body = " ".join(article.css(".entry-content ::text").getall())
    assert "finished its run" in body and not SCORE.search(body)  # no score anywhere in the review
    graph = json.loads(sel.css("script.yoast-schema-graph::text").get())["@graph"]
    types = {node["@type"]: node for node in graph}
    assert {"WebPage", "BlogPosting"} <= set(types)
    posting = types["BlogPosting"]
    assert posting["headline"].startswith("\u201cSoundtrack #1\u201d Spoiler Free Review")
    assert (posting["author"]["name"], posting["datePublished"]) == ("Jass K.", "2022-04-02T09:00:00+00:00")
    comments = sel.css("ol.comment-list li.comment")
    assert len(comments) == 4 and sel.css("ol.children li#comment-403.bypostauthor")
    assert "&lt;3" in get(f"/blogs/kdramadiary{SOUNDTRACK_A.path}").text


# --- seoulscreen: no API, HTML archives ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/blogs/seoulscreen/wp-json/", "/blogs/seoulscreen/wp-json/wp/v2/posts?per_page=5",
                                  "/blogs/seoulscreen/?rest_route=/wp/v2/posts"])
def test_seoulscreen_rest_api_is_an_html_404(get, path):
    answer = get(path)
    assert (answer.status, answer.content_type) == (404, HTML)
    assert Selector(answer.text).css("body.error404 section.error-404")


def crawl_archive(get, path: str) -> tuple[list[str], int]:
    """Follow ``a.next.page-numbers`` from an archive page; returns post links in order and pages seen."""
    links, pages = [], 0
    while path:
        answer = get(path)
        assert answer.status == 200, path
        sel = Selector(answer.text)
        pages += 1
        links += sel.css("article h2.entry-title a[rel=bookmark]::attr(href)").getall()
        path = sel.css("a.next.page-numbers::attr(href)").get()
    return links, pages


def test_seoulscreen_category_archive_paginates(get):
    home = Selector(get("/blogs/seoulscreen/").text)
    assert not home.css('link[rel="https://api.w.org/"]')
    links, pages = crawl_archive(get, "/blogs/seoulscreen/category/kdrama-reviews/")
    expected = [p for p in B.posts if 2 in p.categories]
    assert links == [f"/blogs/seoulscreen{p.path}" for p in expected] and (len(links), pages) == (6, 2)
    second = Selector(get("/blogs/seoulscreen/category/kdrama-reviews/page/2/").text)
    assert second.css("a.prev.page-numbers::attr(href)").get() == "/blogs/seoulscreen/category/kdrama-reviews/"
    assert second.css("span.page-numbers.current::text").get() == "2"
    assert get("/blogs/seoulscreen/category/kdrama-reviews/page/3/").status == 404
    assert get("/blogs/seoulscreen/category/no-such-category/").status == 404
    everything, pages = crawl_archive(get, "/blogs/seoulscreen/")
    assert (len(everything), pages) == (11, 3)
    assert all(get(link).status == 200 for link in links)


def test_seoulscreen_search_and_redirects(get):
    found = Selector(get("/blogs/seoulscreen/?s=Soundtrack").text)
    assert found.css("h1.page-title span::text").get() == "Soundtrack"
    # Both Soundtrack #1 posts, and the list post that mentions it.
    assert [a.split("/")[-2] for a in found.css("h2.entry-title a::attr(href)").getall()] == [
        "five-dramas-for-a-rainy-weekend", "soundtrack-1-2022-review-and-episode-guide",
        "soundtrack-1-k-drama-review-two-weeks-one-house"]
    assert Selector(get("/blogs/seoulscreen/?s=zzz").text).css("section.no-results")
    moved = get("/blogs/seoulscreen/2022/04/06/soundtrack-1-k-drama-review-two-weeks-one-house")
    assert moved.status == 301
    assert moved.headers["Location"] == "/blogs/seoulscreen/2022/04/06/soundtrack-1-k-drama-review-two-weeks-one-house/"


def test_seoulscreen_post_metadata_and_the_malformed_json_ld(get):
    noir = Selector(get("/blogs/seoulscreen/2020/12/30/seoul-noir-radio-review-late-night-static/").text)
    good, broken = jsonld_blocks(noir)
    posting = json.loads(good)
    assert (posting["@type"], posting["datePublished"]) == ("BlogPosting", "2020-12-30T23:00:00+09:00")
    assert posting["author"]["name"] == "Hana Seo"
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken)
    meta = {m.attrib["property"]: m.attrib["content"] for m in noir.css("meta[property]")}
    assert meta["og:title"] == "Seoul Noir Radio Review: Late-Night Static"
    assert meta["article:published_time"] == "2020-12-30T23:00:00+09:00"
    # Day-first numeric date in the byline; ISO in the metadata.
    rain = Selector(get("/blogs/seoulscreen/2023/05/03/bangkok-rain-check-review-love-delayed/").text)
    stamp = rain.css(".entry-meta time.entry-date.published")
    assert (stamp.css("::text").get(), stamp.attrib["datetime"]) == ("03/05/2023", "2023-05-03T18:30:00+09:00")
    korean = Selector(get("/blogs/seoulscreen/2023/10/15/hahoe-lanterns-review-ko/").text)
    assert korean.css("html::attr(lang)").get() == "ko-KR"
    assert korean.css("time.entry-date.published::text").get() == "2023년 10월 15일"


def test_seoulscreen_soundtrack_review_dates_only_in_metadata(get):
    sel = Selector(get("/blogs/seoulscreen/2022/04/06/soundtrack-1-k-drama-review-two-weeks-one-house/").text)
    assert not sel.css("article time")
    assert sel.css(".entry-meta .byline .author a::text").get() == "Hana Seo"
    text = " ".join(sel.css("article ::text").getall())
    assert re.findall(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                      r"December) \d{1,2}, \d{4}", text) == ["March 23, 2022"]
    assert not re.search(r"\d{4}-\d\d-\d\d|\d\d?/\d\d?/\d{4}", text)
    assert sel.css('meta[property="article:published_time"]::attr(content)').get() == "2022-04-06T10:15:00+09:00"
    assert json.loads(jsonld_blocks(sel)[0])["datePublished"] == "2022-04-06T10:15:00+09:00"
    guide = " ".join(Selector(get("/blogs/seoulscreen/2022/04/20/soundtrack-1-2022-review-and-episode-guide/").text)
                     .css(".entry-content li::text").getall())
    assert re.findall(r"Episode (\d) -\| Review Score – 4/5", guide) == ["1", "2", "3", "4"]
