"""The demo site over real HTTP: routes, MyDramaList-shaped markup, escaping, pagination and hit counts."""

from __future__ import annotations

import math
import re
import urllib.error
import urllib.request
from datetime import datetime

import pytest
from parsel import Selector

from aggregator.demo.mdl_pages import load_content, pagination
from aggregator.demo.server import DemoSite, demo_drama_titles, demo_review_count, route_key

HTML = "text/html; charset=utf-8"
CONTENT = load_content()
DRAMAS = {d["id"]: d for d in CONTENT["dramas"]}
SOUNDTRACK = DRAMAS["700001"]
BIG = max(CONTENT["dramas"], key=lambda d: len(d["reviews"]))


def fetch(url: str) -> tuple[int, str, str]:
    """Status, Content-Type and decoded body; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers["Content-Type"], err.read().decode("utf-8")


@pytest.fixture(scope="module")
def site():
    with DemoSite() as running:
        yield running


def page(site: DemoSite, path: str) -> Selector:
    status, ctype, body = fetch(site.url(path))
    assert (status, ctype) == (200, HTML), path
    return Selector(body)


def squash(texts: list[str]) -> str:
    return " ".join(" ".join(texts).split())


def pagination_of(sel: Selector) -> dict:
    return {
        "active": sel.css("ul.pagination li.page-item.active a::text").get(),
        "numbers": sel.css("ul.pagination li.page-item a.page-link::text").getall(),
        "next": sel.css("ul.pagination li.next a::attr(href)").get(),
        "last": sel.css("ul.pagination li.last a::attr(href)").get(),
    }


# --- listing -------------------------------------------------------------------------------------------


def test_listing_pages_list_every_drama_four_per_page(site):
    first, second = page(site, "/shows/popular"), page(site, "/shows/popular?page=2")
    assert first.css("title::text").get().startswith("Most Popular Dramas")
    titles = []
    for sel in (first, second):
        cards = sel.css("div.box[id^=mdl-]")
        assert len(cards) == 4
        for card in cards:
            link = card.css("h6.text-primary.title a")
            drama = DRAMAS[card.attrib["id"].removeprefix("mdl-")]
            assert link.attrib["href"] == f"/{drama['id']}-{drama['slug']}"
            label = card.css("span.text-muted::text").get()
            assert re.fullmatch(r"(Korean|Chinese|Japanese|Thai) Drama - \d{4}, \d+ episodes", label)
            assert card.css("span.score::text").get() == drama["score"]
            titles.append(link.css("::text").get())
    assert titles == demo_drama_titles()
    assert pagination_of(first) == {
        "active": "1", "numbers": ["1", "2"], "next": "/shows/popular?page=2", "last": "/shows/popular?page=2"
    }
    assert pagination_of(second) == {"active": "2", "numbers": ["1", "2"], "next": None, "last": None}
    assert second.css("ul.pagination a.page-link::attr(href)").get() == "/shows/popular?page=1"
    assert fetch(site.url("/shows/popular"))[2] == fetch(site.url("/shows/popular?page=1"))[2]


# --- drama page ----------------------------------------------------------------------------------------


def test_drama_page_has_header_details_and_first_two_reviews(site):
    sel = page(site, "/700001-soundtrack-1")
    assert sel.css("h1.film-title::text").get() == "Soundtrack #1"
    assert sel.css(".film-subtitle span::text").get() == "사운드트랙 #1 \u2027 Drama \u2027 2022"
    links = sel.css("ul.nav-tabs li.page-item a.nav-link")
    tabs = {a.css("::text").get(): a.attrib["href"] for a in links}
    assert tabs["Reviews"] == "/700001-soundtrack-1/reviews"
    details = {
        squash(li.css("b.inline::text").getall()): squash(li.xpath("./text() | ./a/text()").getall())
        for li in sel.css('li.list-item.p-a-0')
    }
    assert details["Native Title:"] == "사운드트랙 #1"
    assert details["Country:"] == "South Korea" and details["Episodes:"] == "4"
    assert details["Aired:"] == SOUNDTRACK["aired"]
    assert sel.css("div.review::attr(id)").getall() == [f"review-{r['id']}" for r in SOUNDTRACK["reviews"][:2]]


# --- reviews pages -------------------------------------------------------------------------------------


def crawl_reviews(site: DemoSite, drama: dict) -> tuple[list[str], int]:
    """Follow a drama's reviews pagination from page 1; returns review ids in order and pages seen."""
    path, ids, pages = f"/{drama['id']}-{drama['slug']}/reviews", [], 0
    while path:
        sel = page(site, path)
        pages += 1
        assert sel.css("h1.film-title a::attr(href)").get() == f"/{drama['id']}-{drama['slug']}"
        # The sidebar details box gives reviews pages the drama's country and episode count too.
        side = {squash(li.css("b.inline::text").getall()): squash(li.xpath("./text()").getall())
                for li in sel.css(".content-side li.list-item")}
        assert (side["Country:"], side["Episodes:"]) == (drama["country"], str(drama["episodes"]))
        ids += [rid.removeprefix("review-") for rid in sel.css("div.review::attr(id)").getall()]
        path = pagination_of(sel)["next"]
    return ids, pages


def test_every_review_appears_exactly_once_across_reviews_pages(site):
    seen = []
    for drama in CONTENT["dramas"]:
        ids, pages = crawl_reviews(site, drama)
        assert ids == [r["id"] for r in drama["reviews"]]
        assert pages == math.ceil(len(drama["reviews"]) / 10)
        seen += ids
    assert len(seen) == len(set(seen)) == demo_review_count() >= 35


def test_reviews_pages_one_and_two_paginate_consistently(site):
    base = f"/{BIG['id']}-{BIG['slug']}/reviews"
    first, second = page(site, base), page(site, f"{base}?page=2")
    assert len(BIG["reviews"]) >= 12
    assert len(first.css("div.review")) == 10 and len(second.css("div.review")) == len(BIG["reviews"]) - 10
    expected = {"active": "1", "numbers": ["1", "2"], "next": f"{base}?page=2", "last": f"{base}?page=2"}
    assert pagination_of(first) == expected
    assert pagination_of(second) == {"active": "2", "numbers": ["1", "2"], "next": None, "last": None}
    # Single-page dramas have no pagination list at all.
    assert not page(site, "/700001-soundtrack-1/reviews").css("ul.pagination")
    assert pagination("/x", 1, 1) == ""


def review(sel: Selector, rid: str) -> Selector:
    return sel.css(f"div#review-{rid}")


def test_review_block_fields(site):
    sel = page(site, "/700001-soundtrack-1/reviews")
    block = review(sel, "900001")
    assert block.attrib["data-stats"] == "reviews:900001"
    author = block.css(".box-body .row .col-sm-9 b a.text-primary")
    assert author.attrib["href"] == "/profile/sundaymorningdramaclubNZL"
    # The display name is cut short of the handle, as on the real site.
    assert author.css("::text").get() == "sundaymorningdramaclubNZ"
    assert squash(block.css(".user-stats small ::text").getall()) == "143 people found this review helpful"
    assert block.css(".more-reviews a[href$='/review/900001']")
    assert block.css(".col-sm-3 .meta small.datetime::text").get() == "Apr 15, 2022"
    assert squash(block.css(".episodes-seen ::text").getall()) == "4 of 4 episodes seen"
    assert block.css(".col-sm-3 span.review-tag.completed::text").get() == "Completed"
    body = block.css(".col-sm-12.review-body")
    assert body.css(".box .rating-overall span.score::text").get() == "9.5"
    aspects = [squash(d.css("::text").getall()) for d in body.css(".list-group.review-rating > div")]
    assert aspects == ["Story 9.0", "Acting/Cast 9.5", "Music 10", "Rewatch Value 9.0"]
    assert body.css(".review-spoiler::text").get() == "This review may contain spoilers"
    assert body.css("p > strong::text").get() == "Small Songs, Big Feelings"
    assert body.css("p.read-more a.button::text").get() == "Read More"
    assert "Was this review helpful to you?" in body.css(".review-helpful ::text").getall()


def test_soundtrack_quirks_body_captured_twice_and_unscored_review(site):
    sel = page(site, "/700001-soundtrack-1/reviews")
    doubled = review(sel, "900001").css(".review-body").xpath("./text()").getall()
    paragraphs = [t.strip() for t in doubled if t.strip()]
    p = SOUNDTRACK["reviews"][0]["paragraphs"]
    assert paragraphs == p + p[1:]
    unscored = review(sel, "900002")
    assert not unscored.css(".rating-overall, .review-rating")
    assert {r["status"] for d in CONTENT["dramas"] for r in d["reviews"]} == {"Completed", "Ongoing", "Dropped"}
    assert sel.css("span.review-tag.dropped::text").get() == "Dropped"


def test_values_are_escaped(site):
    status, _, body = fetch(site.url("/710202-the-tea-merchants-ledger/reviews"))
    assert status == 200
    assert "<b>R&amp;B</b>" in body
    assert "The Tea Merchant&#x27;s Ledger" in body
    assert "Jasmine &amp; Ink" in body and "Jasmine & Ink" not in body
    _, _, body = fetch(site.url("/700001-soundtrack-1/reviews"))
    assert "zero regrets &lt;3" in body and "<3" not in body
    assert Selector(body).css("div#review-900005 b a::text").get() == "Noodles & Nights"


# --- other routes, server behaviour ---------------------------------------------------------------------


def test_robots_and_not_found(site):
    status, ctype, body = fetch(site.url("/robots.txt"))
    assert (status, ctype) == (200, "text/plain; charset=utf-8") and "Allow: /" in body
    for path in ("/no-such-page", "/999999-no-such-drama", "/710101-lanterns-over-hahoe/reviews?page=3",
                 "/shows/popular?page=x", "/profile/hanriverwalker/review/900003"):
        status, ctype, _ = fetch(site.url(path))
        assert (status, ctype) == (404, HTML), path


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ("/shows/popular", "/shows/popular?page=1"),
        ("/shows/popular?page=2&sort=x", "/shows/popular?page=2"),
        ("/700001-soundtrack-1/reviews", "/700001-soundtrack-1/reviews?page=1"),
        ("/700001-soundtrack-1?page=2", "/700001-soundtrack-1"),
        ("/shows/popular?page=abc", "/shows/popular?page=abc"),
    ],
)
def test_route_key(target, key):
    assert route_key(target) == key


def test_hits_are_counted_per_page_and_logging_is_quiet(capfd):
    with DemoSite() as fresh:
        for path in ("/shows/popular", "/shows/popular?page=1", "/700001-soundtrack-1", "/nowhere"):
            fetch(fresh.url(path))
        assert fresh.hits == {"/shows/popular?page=1": 2, "/700001-soundtrack-1": 1, "/nowhere": 1}
    assert capfd.readouterr().err == ""
    with pytest.raises(RuntimeError):
        fresh.base_url


# --- the data itself -----------------------------------------------------------------------------------


def test_content_follows_the_demo_rules():
    dramas = CONTENT["dramas"]
    assert len(dramas) >= 6 and {d["country"] for d in dramas} == {"South Korea", "China", "Japan", "Thailand"}
    assert (SOUNDTRACK["slug"], SOUNDTRACK["native_title"], SOUNDTRACK["year"], SOUNDTRACK["episodes"]) == (
        "soundtrack-1", "사운드트랙 #1", 2022, 4
    )
    score = re.compile(r"10|[1-9]\.[05]")
    for drama in dramas:
        for r in drama["reviews"]:
            assert 2 <= len(r["paragraphs"]) <= 5, r["id"]
            datetime.strptime(r["date"], "%b %d, %Y")
            assert 0 < r["seen"] <= drama["episodes"]
            assert (r["seen"] == drama["episodes"]) == (r["status"] == "Completed"), r["id"]
            for value in [r["overall"], *(r["ratings"] or {}).values()]:
                assert value is None or score.fullmatch(value), (r["id"], value)
    soundtrack = SOUNDTRACK["reviews"]
    assert any(r["spoiler"] and r.get("captured_twice") for r in soundtrack)
    assert any(r["overall"] is None for r in soundtrack)
    assert any(r["handle"].startswith(r["name"]) and r["handle"] != r["name"] for d in dramas for r in d["reviews"])
