"""A generated MyDramaList-shaped site of any size on 127.0.0.1, for tests and benchmarks with many pages.

The pages are built from `aggregator.demo.mdl_pages`' blocks, so the real ``mydramalist`` spider crawls
them; the content is made up from a seed (same seed, same site). Every request is counted per route key,
so a test can check that each page was fetched exactly once::

    with GeneratedSite(dramas=500, reviews_per_drama=3) as site:
        site.base_url              # "http://127.0.0.1:<free port>"
        site.page_keys()           # every route key a full crawl fetches (robots.txt aside)
        site.review_ids()          # every review id on the site
        site.hits                  # Counter: route key -> requests

Run it by hand with ``python -m aggregator.demo.generated --dramas 2000 --port 8001``.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Self

from aggregator.demo.mdl_pages import (
    LISTING_PATH,
    ROBOTS_TXT,
    details_side_box,
    document,
    drama_header,
    drama_page,
    frame,
    listing_card,
    page_key,
    pagination,
    review_block,
    reviews_path,
)
from aggregator.demo.server import HOST, NOT_FOUND, _Server, route_key

HTML = "text/html; charset=utf-8"
WORDS = [
    "quiet", "bright", "slow", "tender", "rainy", "lucky", "secret", "golden", "winter", "summer", "paper",
    "silver", "hidden", "gentle", "brave", "stubborn", "small", "late", "second", "honest", "crooked",
    "borrowed", "wild", "velvet", "salty", "sleepy", "restless", "distant"
]
NOUNS = [
    "kitchen", "harbour", "letter", "umbrella", "garden", "bakery", "station", "lantern", "notebook",
    "piano", "bridge", "rooftop", "orchard", "alley", "ferry", "library", "market", "lighthouse", "radio",
    "teacup"
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def generate(dramas: int, reviews_per_drama: int, seed: int = 7) -> list[dict]:
    """Drama dicts in the shape `mdl_pages` renders; ids, titles and review ids are unique.

    >>> len(generate(3, 2)[0]["reviews"])
    2
    """
    rng = random.Random(seed)
    out = []
    for i in range(dramas):
        year = 2015 + i % 9
        reviews = []
        for j in range(reviews_per_drama):
            n = i * reviews_per_drama + j
            words = rng.sample(WORDS, 8)
            reviews.append({
                "id": str(5_000_000 + n), "handle": f"viewer{n % 997}", "name": f"Viewer {n % 997}",
                "date": f"{MONTHS[n % 12]} {1 + n % 28}, {year + 1}", "status": "Completed",
                "seen": 12, "helpful": n % 50, "comments": n % 4, "overall": f"{1 + rng.randrange(19) / 2:.1f}",
                "ratings": None, "spoiler": False, "headline": None,
                # Short bodies (under DRAMASCORE_DUPLICATE_MIN_WORDS) keep duplicate detection out of the way.
                "paragraphs": [f"A {words[0]} and {words[1]} story, {words[2]} at times.",
                               f"The ending felt {words[3]} and {words[4]}; review {n}."],
            })  # fmt: skip
        title = f"The {WORDS[i % len(WORDS)].title()} {NOUNS[(i // len(WORDS)) % len(NOUNS)].title()} {i}"
        out.append({
            "id": str(800_000 + i), "slug": f"generated-{i}", "title": title, "native_title": f"생성 {i}",
            "country": "South Korea", "year": year, "episodes": 12, "aired": f"Jan 5, {year} - Mar 2, {year}",
            "score": "8.0", "raters": "1,000", "synopsis": f"Generated drama number {i}.", "reviews": reviews,
        })  # fmt: skip
    return out


def listing_page(dramas: list[dict], page: int, per_page: int) -> str:
    """``/shows/popular?page=N`` with `per_page` cards (the bundled demo shows four)."""
    pages = max(1, math.ceil(len(dramas) / per_page))
    start = (page - 1) * per_page
    cards = "".join(listing_card(d, start + k + 1) for k, d in enumerate(dramas[start : start + per_page]))
    main = f'<div class="m-t nav-active-border b-primary">\n{cards}{pagination(LISTING_PATH, page, pages)}\n</div>'
    return document("Most Popular Dramas", frame(main))


def reviews_page(drama: dict, page: int, per_page: int) -> str:
    """``/<id>-<slug>/reviews?page=N`` with `per_page` reviews (MyDramaList shows ten)."""
    reviews = drama["reviews"]
    pages = max(1, math.ceil(len(reviews) / per_page))
    blocks = "".join(review_block(r, drama) for r in reviews[(page - 1) * per_page : page * per_page])
    main = (
        f'<div class="box">\n{drama_header(drama, "reviews")}\n</div>\n<div class="box clear">\n{blocks}</div>\n'
        f"{pagination(reviews_path(drama), page, pages)}"
    )
    return document(f"Reviews: {drama['title']}", frame(main, details_side_box(drama)))


class GeneratedSite:
    """The generated site in a daemon thread; pages are rendered when asked for (a context manager)."""

    def __init__(self, dramas: int = 500, reviews_per_drama: int = 3, *, per_page: int = 1, listing_per_page: int = 50,
                 seed: int = 7, port: int = 0):  # fmt: skip
        self.dramas = generate(dramas, reviews_per_drama, seed)
        self.per_page, self.listing_per_page, self.port = per_page, listing_per_page, port
        self.by_path = {f"/{d['id']}-{d['slug']}": d for d in self.dramas}
        self.hits: Counter[str] = Counter()
        self.first_hit: float | None = None  # time.monotonic() of the first and the latest page request
        self.last_hit: float | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None

    # --- what a full crawl should see ---------------------------------------------------------------------

    def page_keys(self) -> set[str]:
        """Route keys of every page a crawl from the listing reaches."""
        keys = {page_key(LISTING_PATH, n) for n in range(1, math.ceil(len(self.dramas) / self.listing_per_page) + 1)}
        for path, drama in self.by_path.items():
            keys.add(path)
            pages = max(1, math.ceil(len(drama["reviews"]) / self.per_page))
            keys |= {page_key(f"{path}/reviews", n) for n in range(1, pages + 1)}
        return keys

    def review_ids(self) -> set[str]:
        return {r["id"] for d in self.dramas for r in d["reviews"]}

    def reset(self) -> None:
        """Forget the hits (a benchmark crawls the same site again)."""
        with self._lock:
            self.hits.clear()
            self.first_hit = self.last_hit = None

    def page_hits(self) -> Counter[str]:
        """Hits per page, robots.txt (fetched once per crawler process) left out."""
        with self._lock:
            return Counter({k: v for k, v in self.hits.items() if k != "/robots.txt"})

    # --- serving ------------------------------------------------------------------------------------------

    def render(self, key: str) -> str | None:
        """The HTML of a route key, or None for a 404."""
        path, _, query = key.partition("?page=")
        page = int(query) if query.isdigit() else 1
        if path == LISTING_PATH:
            pages = math.ceil(len(self.dramas) / self.listing_per_page)
            return listing_page(self.dramas, page, self.listing_per_page) if 1 <= page <= pages else None
        if path.endswith("/reviews") and path.removesuffix("/reviews") in self.by_path:
            drama = self.by_path[path.removesuffix("/reviews")]
            pages = max(1, math.ceil(len(drama["reviews"]) / self.per_page))
            return reviews_page(drama, page, self.per_page) if 1 <= page <= pages else None
        return drama_page(self.by_path[path]) if path in self.by_path else None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("GeneratedSite is not running: call start() or use it as a context manager")
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> Self:
        if self._server is None:
            self._server = _Server((HOST, self.port), self._handler_class())
            threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                             name="generated-site", daemon=True).start()  # fmt: skip
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "dramascore-generated/1"

            def do_GET(self):
                key = route_key(self.path)
                with site._lock:
                    site.hits[key] += 1
                    if key != "/robots.txt":
                        site.last_hit = time.monotonic()
                        site.first_hit = site.first_hit or site.last_hit
                if key == "/robots.txt":
                    status, ctype, body = 200, "text/plain; charset=utf-8", ROBOTS_TXT.encode()
                else:
                    text = site.render(key)
                    status, ctype, body = (200, HTML, text.encode()) if text is not None else (404, HTML, NOT_FOUND)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass  # thousands of requests: stderr stays readable

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aggregator.demo.generated", description=__doc__.splitlines()[0])
    parser.add_argument("--dramas", type=int, default=500)
    parser.add_argument("--reviews", type=int, default=3, help="reviews per drama (one per reviews page)")
    parser.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (0 = any free port)")
    args = parser.parse_args(argv)
    site = GeneratedSite(args.dramas, args.reviews, port=args.port).start()
    print(f"generated site: {site.base_url}/ ({len(site.page_keys())} pages; Ctrl-C to stop)", file=sys.stderr)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
