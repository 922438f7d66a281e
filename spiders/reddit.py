"""Reddit spider: navigation only; every JSON page is read by ``spiders.extractors.reddit``.

For each configured subreddit it walks, newest first and up to ``max_threads`` threads per listing:

* ``/r/<sub>/search.json?q=<term>&restrict_sr=1&sort=new`` for each ``search`` term;
* ``/r/<sub>/new.json`` when ``episode_threads`` is on, keeping only episode discussion threads
  ("Title [Episodes 11 & 12]"); the other posts are counted, not fetched.

Each thread is fetched as ``/comments/<id>.json?sort=old&limit=500``; its ``more`` stubs go to
``/api/morechildren.json`` (100 ids a request) when ``follow_more`` is on, else their counts are added to
``dramascore/reddit/more_skipped``. "Continue this thread" stubs cannot be fetched that way and are counted too.

Politeness: one request at a time, ``60 / requests_per_minute`` seconds apart without jitter, every request with
the source's User-Agent. Reddit requires ``<platform>:<app id>:<version> (by /u/<name>)``; any other closes
the spider at start with reason ``bad_user_agent`` (a failed crawl).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from spiders.base import SourceSpider, page_body
from spiders.extractors.reddit import (
    MoreStub,
    ThreadRef,
    ThreadResult,
    base_url_of,
    extract_more_children,
    extract_page,
    extract_thread,
    is_episode_thread,
    parse_listing,
)

DEFAULT_BASE_URL = "https://www.reddit.com"
# Reddit's API rules: "<platform>:<app ID>:<version string> (by /u/<reddit username>)".
USER_AGENT_RE = re.compile(r"^[^\s:]+:[^\s:]+:[^\s:]+ \(by /?u/[A-Za-z0-9_-]{3,20}\)$")
MORE_BATCH = 100  # morechildren takes at most 100 ids per request
# Reddit's listings end after about 1000 posts (10 pages of 100): a bound when few posts are kept.
MAX_LISTING_PAGES = 10



def _subreddit(name: str) -> str:
    """'r/KDRAMA', '/r/KDRAMA/' and 'KDRAMA' all name r/KDRAMA."""
    name = name.strip().strip("/")
    return name[2:] if name.lower().startswith("r/") else name


class RedditSpider(SourceSpider):
    """Crawls subreddit searches and episode discussion threads through Reddit's public JSON."""

    name = "reddit"
    custom_settings: ClassVar[dict[str, Any]] = {"CONCURRENT_REQUESTS_PER_DOMAIN": 1, "DOWNLOAD_DELAY_JITTER": 0.0}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Defaults until from_crawler reads the source (a spider built without a crawler still works).
        self.base_url = DEFAULT_BASE_URL
        self.subreddits: list[str] = []
        self.search_terms: list[str] = []
        self.episode_threads = False
        self.reddit_user_agent: str | None = None
        self.requests_per_minute = 60
        self.request_delay = 1.0
        self.max_threads = 25
        self.follow_more = True
        self.threads_requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> RedditSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = spider.base_url or DEFAULT_BASE_URL
        spider.subreddits = [_subreddit(s) for s in spider.option("subreddits", default=[]) if _subreddit(s)]
        spider.search_terms = [t.strip() for t in spider.option("search", default=[]) if t.strip()]
        spider.episode_threads = bool(spider.option("episode_threads", default=False))
        spider.reddit_user_agent = (spider.option("user_agent", default="") or "").strip() or None
        rpm = int(spider.option("requests_per_minute", default=60))
        spider.requests_per_minute = rpm if rpm > 0 else 60
        spider.request_delay = 60.0 / spider.requests_per_minute
        spider.max_threads = max(1, int(spider.option("max_threads", default=25)))
        spider.follow_more = bool(spider.option("follow_more", default=True))
        spider._apply_politeness(crawler)
        return spider

    def _apply_politeness(self, crawler) -> None:
        """Delay and User-Agent as settings (Scrapy 2.13+ deprecates the spider attributes for both).

        A real crawl calls from_crawler before the settings freeze; a test crawler may be frozen already,
        and every request carries the User-Agent header anyway.
        """
        if crawler.settings.frozen:
            return
        crawler.settings.set("DOWNLOAD_DELAY", self.request_delay, priority="spider")
        if self.reddit_user_agent:
            crawler.settings.set("USER_AGENT", self.reddit_user_agent, priority="spider")

    # --- shared with `dramascore extract` --------------------------------------------------------------

    @classmethod
    def items_from_page(
        cls, body: str | bytes, url: str, crawled_at: datetime, source: SourceConfig | None = None
    ) -> list[ReviewItem]:
        """Items of a thread, morechildren answer or comment listing, stamped as the callbacks stamp them."""
        source = source or SourceConfig(cls.name, cls.name)
        result = extract_page(body, url, base_url_of(url, default=(source.base_url or DEFAULT_BASE_URL).rstrip("/")))
        return cls.stamp(result.items, source, crawled_at)

    # --- URLs -------------------------------------------------------------------------------------------

    def search_url(self, subreddit: str, term: str, after: str | None = None) -> str:
        url = (
            f"{self.base_url}/r/{quote(subreddit, safe='')}/search.json?q={quote_plus(term)}"
            "&restrict_sr=1&sort=new&limit=100&raw_json=1"
        )
        return url + (f"&after={quote(after, safe='')}" if after else "")

    def new_url(self, subreddit: str, after: str | None = None) -> str:
        url = f"{self.base_url}/r/{quote(subreddit, safe='')}/new.json?limit=100&raw_json=1"
        return url + (f"&after={quote(after, safe='')}" if after else "")

    def thread_url(self, thread_id: str) -> str:
        return f"{self.base_url}/comments/{quote(thread_id, safe='')}.json?raw_json=1&limit=500&sort=old"

    def more_url(self, thread_id: str, children: list[str]) -> str:
        return (
            f"{self.base_url}/api/morechildren.json?api_type=json&link_id=t3_{quote(thread_id, safe='')}"
            f"&children={','.join(quote(c, safe='') for c in children)}&raw_json=1&limit_children=false"
        )

    def request(self, url: str, callback, **kwargs: Any) -> scrapy.Request:
        # UserAgentMiddleware only sets the header when absent: the source's User-Agent wins.
        headers = {"User-Agent": self.reddit_user_agent} if self.reddit_user_agent else {}
        return scrapy.Request(url, callback=callback, headers=headers, **kwargs)

    # --- navigation -------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.reddit_user_agent or not USER_AGENT_RE.match(self.reddit_user_agent):
            self.logger.error(
                "source %r: user_agent %r is not Reddit's '<platform>:<app id>:<version> (by /u/<name>)'; "
                "set it in the sources file before crawling Reddit",
                self.source,
                self.reddit_user_agent,
            )
            raise CloseSpider("bad_user_agent")
        if not self.subreddits or not (self.search_terms or self.episode_threads):
            self.logger.warning(
                "source %r has nothing to crawl: it needs subreddits and search terms or episode_threads",
                self.source,
            )
            self._inc("dramascore/reddit/nothing_to_crawl")
            return
        for sub in self.subreddits:
            for term in self.search_terms:
                yield self.request(
                    self.search_url(sub, term), self.parse_search, cb_kwargs={"subreddit": sub, "term": term}
                )
            if self.episode_threads:
                yield self.request(self.new_url(sub), self.parse_new, cb_kwargs={"subreddit": sub})

    def parse_search(
        self, response: Response, subreddit: str, term: str, kept: int = 0, page: int = 1
    ) -> Iterator[scrapy.Request]:
        refs, after = self._listing(response)
        requests, kept = self._threads(refs, kept)
        yield from requests
        if after and kept < self.max_threads and page < MAX_LISTING_PAGES:
            yield self.request(
                self.search_url(subreddit, term, after),
                self.parse_search,
                cb_kwargs={"subreddit": subreddit, "term": term, "kept": kept, "page": page + 1},
            )

    def parse_new(
        self, response: Response, subreddit: str, kept: int = 0, page: int = 1
    ) -> Iterator[scrapy.Request]:
        refs, after = self._listing(response)
        episodes = [ref for ref in refs if is_episode_thread(ref.title)]
        # Posts that are not episode discussions are not fetched; counted so the filter's effect shows.
        self._inc("dramascore/reddit/skipped/not_episode_thread", len(refs) - len(episodes))
        requests, kept = self._threads(episodes, kept)
        yield from requests
        if after and kept < self.max_threads and page < MAX_LISTING_PAGES:
            yield self.request(
                self.new_url(subreddit, after),
                self.parse_new,
                cb_kwargs={"subreddit": subreddit, "kept": kept, "page": page + 1},
            )

    def parse_thread(self, response: Response) -> Iterator[ReviewItem | scrapy.Request]:
        self._inc("dramascore/reddit/pages/thread")
        result = extract_thread(page_body(response), response.url, self.base_url)
        if result.post is None:
            self.logger.warning("no thread found in %s", response.url)
        yield from self._result(result)
        if result.post is not None:
            post = {
                "thread_id": result.post.id,
                "post_title": result.post.title,
                "post_spoiler": result.post.spoiler,
                "post_permalink": result.post.permalink,
            }
            yield from self._more_requests(result.more, post)

    def parse_more(
        self,
        response: Response,
        thread_id: str,
        post_title: str | None = None,
        post_spoiler: bool | None = None,
        post_permalink: str | None = None,
    ) -> Iterator[ReviewItem | scrapy.Request]:
        self._inc("dramascore/reddit/pages/morechildren")
        result = extract_more_children(
            page_body(response), response.url, self.base_url, post_title, post_spoiler, post_permalink
        )
        if result.skipped.get("api_error"):
            self.logger.warning("morechildren answered with errors: %s", response.url)
        yield from self._result(result)
        post = {
            "thread_id": thread_id,
            "post_title": post_title,
            "post_spoiler": post_spoiler,
            "post_permalink": post_permalink,
        }
        yield from self._more_requests(result.more, post)

    # --- helpers ----------------------------------------------------------------------------------------

    def _listing(self, response: Response) -> tuple[list[ThreadRef], str | None]:
        self._inc("dramascore/reddit/pages/listing")
        refs, after = parse_listing(page_body(response), response.url)
        if not refs:
            self.logger.info("no threads in listing %s", response.url)
        return refs, after

    def _threads(self, refs: list[ThreadRef], kept: int) -> tuple[list[scrapy.Request], int]:
        """Thread requests for `refs` while under max_threads; returns them and the new kept count."""
        requests = []
        for ref in refs:
            if kept >= self.max_threads:
                self._inc("dramascore/reddit/skipped/over_max_threads")
                continue
            kept += 1
            if ref.id in self.threads_requested:
                # Found by another search or listing: fetched once.
                self._inc("dramascore/reddit/skipped/duplicate_thread")
                continue
            self.threads_requested.add(ref.id)
            self._inc("dramascore/reddit/threads")
            requests.append(self.request(self.thread_url(ref.id), self.parse_thread))
        return requests, kept

    def _result(self, result: ThreadResult) -> Iterator[ReviewItem]:
        # Comments seen, kept or not: the coverage monitor compares them with what the pipelines keep.
        self._inc("dramascore/review_blocks", result.blocks_seen)
        for reason, count in result.skipped.items():
            self._inc(f"dramascore/reddit/skipped/{reason}", count)
        yield from self.stamp(result.items, self.source_config, datetime.now(UTC))

    def _more_requests(self, stubs: list[MoreStub], post: dict) -> Iterator[scrapy.Request]:
        for stub in stubs:
            if stub.is_continue or not self.follow_more:
                # "Continue this thread" links need a page of their own; their count is often 0, so the
                # number of such links is counted as well.
                self._inc("dramascore/reddit/more_skipped", stub.count)
                if stub.is_continue:
                    self._inc("dramascore/reddit/continue_threads_skipped")
                continue
            ids = list(stub.children)
            for start in range(0, len(ids), MORE_BATCH):
                self._inc("dramascore/reddit/more_requests")
                yield self.request(
                    self.more_url(post["thread_id"], ids[start:start + MORE_BATCH]),
                    self.parse_more,
                    cb_kwargs=dict(post),
                )

    def _inc(self, key: str, count: int = 1) -> None:
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value(key, count)

