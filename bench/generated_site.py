"""A large MyDramaList-shaped site for the crawl benchmark, generated from a seed and served on 127.0.0.1.

`generate_content(dramas, reviews_per_drama)` writes invented dramas and reviews in the shape of
``aggregator/demo/content.json``; the demo's own renderer (`aggregator.demo.mdl_pages.render_site`) turns them
into pages, so the real `mydramalist` spider crawls them unchanged. `GeneratedSite` serves them like the demo
server does (ETags, route keys), without the demo's other sites:

    with GeneratedSite(generate_content(200, 100)) as site:   # 2,000 reviews pages, 20,000 reviews
        site.base_url, site.review_page_urls()
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from aggregator.demo.mdl_pages import (
    LISTING_PATH,
    LISTING_PER_PAGE,
    REVIEWS_PER_PAGE,
    drama_path,
    page_count,
    page_key,
    render_site,
    reviews_path,
)
from aggregator.demo.server import DemoSite

WORDS = (
    "the story lead leads actor actress chemistry romance couple villain character writing script director "
    "pacing soundtrack music scene cinematography episode episodes finale ending twist flashback comedy family "
    "friendship love tears laugh smile heart slow fast predictable refreshing beautiful messy rushed perfect "
    "brilliant disappointing underrated charming painful sweet bitter warm quiet second first last strong weak "
    "honest clever silly lovely awful great good moments dialogue performance tension mystery secret past "
    "hospital office school palace village rain summer winter night kiss confession rival mother father sister "
    "friend detective lawyer doctor chef singer teacher ghost contract wedding and but with was is it this "
    "that so very really not too much quite"
).split()
SYLLABLES = "ka ri mo na se jin hye soo min woo ra do yu han bo ji tae eun seo hwa".split()
COUNTRIES = (("South Korea", "드라마"), ("China", "电视剧"), ("Japan", "ドラマ"), ("Thailand", "ละคร"))
STATUSES = ("Completed", "Completed", "Completed", "Ongoing", "Dropped")
ASPECTS = ("Story", "Acting/Cast", "Music", "Rewatch Value")
FIRST_DAY = date(2015, 1, 1)


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(7, 18))
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice(".!.?.")


def _paragraphs(rng: random.Random) -> list[str]:
    return [" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(2, 5))]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def _score(rng: random.Random) -> str:
    return f"{rng.randint(2, 20) / 2:.1f}"


def _review(rng: random.Random, rid: int, aired: date, episodes: int) -> dict:
    handle = _name(rng) + str(rng.randint(1, 999))
    written = aired + timedelta(days=rng.randint(1, 900))
    return {
        "id": str(rid),
        "handle": handle,
        "name": handle.capitalize(),
        "date": f"{written:%b} {written.day}, {written.year}",
        "status": rng.choice(STATUSES),
        "seen": rng.randint(1, episodes),
        "helpful": rng.randint(0, 400),
        "comments": rng.randint(0, 30),
        "overall": _score(rng),
        "ratings": {aspect: _score(rng) for aspect in ASPECTS},
        "spoiler": rng.random() < 0.25,
        "headline": " ".join(rng.choices(WORDS, k=rng.randint(2, 5))).title() if rng.random() < 0.6 else None,
        "paragraphs": _paragraphs(rng),
    }


def generate_content(dramas: int = 200, reviews_per_drama: int = 100, seed: int = 7) -> dict:
    """Invented dramas with their reviews, in the demo's content.json shape (the same for the same seed)."""
    rng = random.Random(seed)
    out = []
    rid = 5_000_000
    for n in range(dramas):
        country, word = COUNTRIES[n % len(COUNTRIES)]
        title = " ".join(w.capitalize() for w in rng.choices(WORDS, k=rng.randint(2, 4))) + f" {n + 1}"
        aired = FIRST_DAY + timedelta(days=rng.randint(0, 3000))
        episodes = rng.choice((8, 10, 12, 16, 16, 20, 24, 32))
        reviews = []
        for _ in range(reviews_per_drama):
            rid += 1
            reviews.append(_review(rng, rid, aired, episodes))
        out.append({
            "id": str(800_001 + n),
            "slug": title.lower().replace(" ", "-"),
            "title": title,
            "native_title": f"{word} {n + 1}",
            "country": country,
            "year": aired.year,
            "episodes": episodes,
            "aired": f"{aired:%b} {aired.day}, {aired.year} - "
                     f"{(aired + timedelta(weeks=episodes // 2)):%b} {aired.day}, {aired.year}",
            "score": f"{rng.randint(60, 95) / 10:.1f}",
            "raters": f"{rng.randint(100, 90_000):,}",
            "synopsis": _sentence(rng) + " " + _sentence(rng),
            "reviews": reviews,
        })  # fmt: skip
    return {"about": "generated for bench/crawl.py", "dramas": out}


def page_paths(content: dict) -> list[str]:
    """Every page a full crawl from the listing fetches: listing pages, drama pages, reviews pages."""
    dramas = content["dramas"]
    paths = [page_key(LISTING_PATH, p) for p in range(1, page_count(len(dramas), LISTING_PER_PAGE) + 1)]
    for drama in dramas:
        paths.append(drama_path(drama))
        pages = page_count(len(drama["reviews"]), REVIEWS_PER_PAGE)
        paths += [page_key(reviews_path(drama), p) for p in range(1, pages + 1)]
    return paths


def review_count(content: dict) -> int:
    return sum(len(d["reviews"]) for d in content["dramas"])


class GeneratedSite(DemoSite):
    """The demo server answering the generated pages only (robots.txt included)."""

    def __init__(self, content: dict, port: int = 0, delay: float = 0.0):
        super().__init__(port, delay=delay)
        self.pages = {key: (ctype, text.encode("utf-8")) for key, (ctype, text) in render_site(content).items()}
        self.apps = {}

    def _handler_class(self):
        handler = super()._handler_class()
        handler.protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
        return handler

