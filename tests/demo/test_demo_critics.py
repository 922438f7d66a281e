"""The demo's critic site over real HTTP: schema.org CriticReview in JSON-LD, and one page in microdata."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import extruct
from parsel import Selector

from aggregator.demo.server import demo_sources
from aggregator.sources import source_by_name


def critic_urls(demo) -> list[str]:
    return source_by_name(demo_sources(demo.base_url), "critics").option("urls")


def test_every_configured_critic_page_carries_one_critic_review(demo, get):
    ratings, formats = [], {"jsonld": 0, "microdata": 0}
    for url in critic_urls(demo):
        answer = get(urlsplit(url).path)
        assert answer.status == 200, url
        blocks = Selector(answer.text).css('script[type="application/ld+json"]::text').getall()
        if not blocks:
            formats["microdata"] += 1
            continue
        formats["jsonld"] += 1
        (review,) = [json.loads(block) for block in blocks]
        assert (review["@context"], review["@type"], review["url"]) == ("https://schema.org", "CriticReview", url)
        assert review["author"]["@type"] == "Person" and review["author"]["name"]
        series = review["itemReviewed"]
        assert series["@type"] == "TVSeries" and not series["alternateName"].isascii()
        assert len(series["startDate"]) == 10 and len(review["datePublished"]) == 10
        ratings.append(review["reviewRating"])
    assert formats == {"jsonld": 7, "microdata": 1}
    assert {r.get("bestRating") for r in ratings} == {10, 5, None}
    assert any(isinstance(r["ratingValue"], str) for r in ratings)  # "8.5", as some sites print it
    remake = json.loads(Selector(get("/critic/midnight-bakery-on-route-9-korean-remake.html").text)
                        .css('script[type="application/ld+json"]::text').get())
    assert remake["itemReviewed"]["startDate"] == "2024-05-03" and "bestRating" not in remake["reviewRating"]


def test_microdata_page_reads_as_a_critic_review(demo, get):
    url = demo.url("/critic/monsoon-letters.html")
    data = extruct.extract(get("/critic/monsoon-letters.html").text, base_url=url, syntaxes=["microdata", "json-ld"])
    assert data["json-ld"] == []
    (item,) = data["microdata"]
    assert item["type"] == "https://schema.org/CriticReview"
    props = item["properties"]
    assert props["author"]["properties"]["name"] == "Oliver Tan"
    assert props["datePublished"] == "2022-10-25"
    assert props["itemReviewed"]["properties"]["alternateName"] == "จดหมายฤดูฝน"
    assert props["itemReviewed"]["properties"]["startDate"] == "2022-08-05"
    assert (props["reviewRating"]["properties"]["ratingValue"], props["reviewRating"]["properties"]["bestRating"]) == (
        "4", "5")


def test_critic_index_and_not_found(get):
    index = Selector(get("/critic/").text)
    assert len(index.css("ul.reviews a")) == 8
    by = Selector(get("/critic/by/grace-whitfield/").text)
    assert len(by.css("ul.reviews a")) == 3
    assert get("/critic/nothing.html").status == 404
