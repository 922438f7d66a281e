"""The demo's critic site under ``/critic``: one review per page, marked up with schema.org CriticReview.

    /critic/                   index of reviews
    /critic/<slug>.html        a review: JSON-LD CriticReview (or microdata on "format": "microdata" pages)
    /critic/by/<critic>/       a critic's reviews

The reviewed series (TVSeries: name, alternateName in native script, startDate) comes from dramas.json;
``bestRating`` is printed only when the data has one (schema.org then means 5). Every value is escaped.
"""

from __future__ import annotations

import json
from datetime import date

from aggregator.demo.reply import Reply, catalogue, e, html_reply, load_json
from aggregator.demo.wp_model import MONTHS

PREFIX = "/critic"
CRITICS_FILE = "critics.json"
COUNTRY_LANG = {"South Korea": "ko", "China": "zh", "Japan": "ja", "Thailand": "th"}


def review_path(review: dict) -> str:
    return f"{PREFIX}/{review['slug']}.html"


def critic_path(key: str) -> str:
    return f"{PREFIX}/by/{key}/"


def long_date(text: str) -> str:
    value = date.fromisoformat(text)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def stars(value: float, best: float) -> str:
    """Five stars for a 5-point rating (half stars as ½), else the bare fraction."""
    if best != 5:
        return f"{value:g}/{best:g}"
    full, half = int(value), value - int(value) >= 0.5
    return "★" * full + ("½" if half else "") + "☆" * (5 - full - half)


class CriticSite:
    """Answers ``/critic/...`` requests from critics.json and dramas.json."""

    prefix = PREFIX

    def __init__(self):
        data = load_json(CRITICS_FILE)
        self.site, self.critics, self.reviews = data["site"], data["critics"], data["reviews"]
        self.dramas = catalogue()
        self.by_path = {review_path(r): r for r in self.reviews}

    def handle(self, path: str, params: dict[str, str], origin: str) -> Reply:
        if path in (PREFIX, PREFIX + "/"):
            return html_reply(self.index(self.reviews, self.site["tagline"], origin))
        if path in self.by_path:
            return html_reply(self.review_page(self.by_path[path], origin))
        for key, critic in self.critics.items():
            if path == critic_path(key):
                mine = [r for r in self.reviews if r["critic"] == key]
                return html_reply(self.index(mine, f"Reviews by {critic['name']}", origin))
        return html_reply(self.document("Not found", "<h1>404: no such review</h1>", origin), status=404)

    def document(self, title: str, main: str, origin: str, head: str = "") -> str:
        return (
            f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n<title>{e(title)} | '
            f'{e(self.site["name"])}</title>\n{head}</head>\n<body>\n<header class="masthead"><a href="{PREFIX}/">'
            f'{e(self.site["name"])}</a></header>\n<main>\n{main}\n</main>\n<footer><small>{e(self.site["name"])} is '
            "a dramascore demo site: invented reviews, written for testing the crawler.</small></footer>\n"
            "</body>\n</html>\n"
        )

    def index(self, reviews: list[dict], heading: str, origin: str) -> str:
        items = "".join(
            f'<li><a href="{e(review_path(r))}">{e(r["headline"])}</a> <time datetime="{e(r["date"])}">'
            f'{e(long_date(r["date"]))}</time></li>\n' for r in sorted(reviews, key=lambda r: r["date"], reverse=True)
        )
        return self.document(heading, f'<h1>{e(heading)}</h1>\n<ul class="reviews">\n{items}</ul>', origin)

    def series(self, review: dict) -> dict:
        return self.dramas[review["drama"]]

    def json_ld(self, review: dict, origin: str) -> dict:
        drama, critic = self.series(review), self.critics[review["critic"]]
        rating = {"@type": "Rating", "ratingValue": review["rating"]["value"]}
        if "best" in review["rating"]:
            rating.update(bestRating=review["rating"]["best"], worstRating=1)
        return {
            "@context": "https://schema.org",
            "@type": "CriticReview",
            "name": review["headline"],
            "url": origin + review_path(review),
            "datePublished": review["date"],
            "inLanguage": "en",
            "author": {"@type": "Person", "name": critic["name"], "url": origin + critic_path(review["critic"])},
            "publisher": {"@type": "Organization", "name": self.site["name"]},
            "reviewBody": " ".join(review["body"]),
            "reviewRating": rating,
            "itemReviewed": {
                "@type": "TVSeries",
                "name": drama["title"],
                "alternateName": drama["native_title"],
                "startDate": drama["start_date"],
                "numberOfEpisodes": drama["episodes"],
                "countryOfOrigin": {"@type": "Country", "name": drama["country"]},
            },
        }

    def review_page(self, review: dict, origin: str) -> str:
        drama, critic = self.series(review), self.critics[review["critic"]]
        value, best = float(review["rating"]["value"]), float(review["rating"].get("best", 5))
        lang = COUNTRY_LANG.get(drama["country"], "und")
        url = origin + review_path(review)
        head = (f'<link rel="canonical" href="{e(url)}" />\n<meta property="og:type" content="article" />\n'
                f'<meta property="og:title" content="{e(review["headline"])}" />\n')
        body = "".join(f"<p>{e(p)}</p>\n" for p in review["body"])
        if review["format"] == "microdata":
            return self.document(review["headline"], self.microdata(review, drama, critic, lang, body), origin, head)
        script = json.dumps(self.json_ld(review, origin), ensure_ascii=False).replace("<", "\\u003c")
        head += f'<script type="application/ld+json">{script}</script>\n'
        main = (
            f'<article class="review">\n<h1>{e(review["headline"])}</h1>\n'
            f'<p class="byline">By <a href="{e(critic_path(review["critic"]))}">{e(critic["name"])}</a>, '
            f'<time datetime="{e(review["date"])}">{e(long_date(review["date"]))}</time></p>\n'
            f'<p class="series"><cite>{e(drama["title"])}</cite> (<span lang="{lang}">{e(drama["native_title"])}'
            f'</span>, {e(drama["year"])}, {e(drama["episodes"])} episodes)</p>\n'
            f'<p class="rating">Our rating: <strong>{e(stars(value, best))}</strong></p>\n'
            f'<div class="review-body">\n{body}</div>\n</article>'
        )
        return self.document(review["headline"], main, origin, head)

    def microdata(self, review: dict, drama: dict, critic: dict, lang: str, body: str) -> str:
        """The same review marked up with microdata (itemscope/itemprop) and no JSON-LD."""
        rating = review["rating"]
        best = ""
        if "best" in rating:
            best = (f' / <span itemprop="bestRating">{e(rating["best"])}</span>'
                    '<meta itemprop="worstRating" content="1" />')
        return (
            '<article class="review" itemscope itemtype="https://schema.org/CriticReview">\n'
            f'<h1 itemprop="name">{e(review["headline"])}</h1>\n'
            '<p class="byline">By <span itemprop="author" itemscope itemtype="https://schema.org/Person">'
            f'<a itemprop="url" href="{e(critic_path(review["critic"]))}"><span itemprop="name">{e(critic["name"])}'
            f'</span></a></span>, <time itemprop="datePublished" datetime="{e(review["date"])}">'
            f'{e(long_date(review["date"]))}</time></p>\n'
            '<p class="series" itemprop="itemReviewed" itemscope itemtype="https://schema.org/TVSeries">'
            f'<cite itemprop="name">{e(drama["title"])}</cite> (<span itemprop="alternateName" lang="{lang}">'
            f'{e(drama["native_title"])}</span>, <time itemprop="startDate" datetime="{e(drama["start_date"])}">'
            f'{e(drama["year"])}</time>)</p>\n'
            '<p class="rating" itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">Our rating: '
            f'<strong><span itemprop="ratingValue">{e(rating["value"])}</span>{best}</strong></p>\n'
            f'<div class="review-body" itemprop="reviewBody">\n{body}</div>\n</article>'
        )
