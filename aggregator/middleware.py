"""Politeness downloader middleware: honour ``Retry-After`` on 429 and 503.

Scrapy's RetryMiddleware retries 429/503 as soon as the scheduler hands the request back, which is exactly
what a site that says "come back in N seconds" asked us not to do. This middleware sits before it in the
response chain (a higher priority number than RetryMiddleware's 550, see DOWNLOADER_MIDDLEWARES) and, when
the answer carries a usable ``Retry-After`` (seconds or an HTTP date):

* schedules the retry itself (``get_retry_request``: same retry budget and ``retry/*`` stats as Scrapy's),
  not to be downloaded before the time the site gave;
* holds the domain's download slot for that long, so the other queued pages of the site wait as well.

A ``Retry-After`` longer than ``DRAMASCORE_RETRY_AFTER_MAX`` seconds is not waited out: that request is
given up (``dramascore/politeness/retry_after_too_long``) rather than retried early. Everything else (no
header, other status codes, network errors) stays with RetryMiddleware.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import sleep

logger = logging.getLogger(__name__)

STATUSES = (429, 503)
NOT_BEFORE = "dramascore_not_before"  # request meta: monotonic time before which it must not be downloaded


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or HTTP date); None when unusable."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; a zone-less one is read as such
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Delays the retry of a 429/503 answer (and that domain's slot) by the site's ``Retry-After``."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_wait = crawler.settings.getfloat("DRAMASCORE_RETRY_AFTER_MAX", 60.0)
        self.enabled = crawler.settings.getbool("RETRY_ENABLED", True)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        # The slot is held too, but a retry may land in a new slot (slots are garbage-collected when idle):
        # the request's own deadline is what guarantees the wait.
        not_before = request.meta.get(NOT_BEFORE)
        if not_before is not None:
            remaining = not_before - monotonic()
            if remaining > 0:
                await sleep(remaining)

    def process_response(self, request, response):
        if not self.enabled or response.status not in STATUSES or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response  # RetryMiddleware decides
        if wait > self.max_wait:
            self.stats.inc_value("dramascore/politeness/retry_after_too_long")
            logger.warning(
                "%s asks to retry in %.0f s (more than DRAMASCORE_RETRY_AFTER_MAX=%.0f): giving up %s",
                response.status, wait, self.max_wait, request.url,
            )
            # Retrying sooner than asked would be impolite: keep RetryMiddleware from doing it.
            request.meta["dont_retry"] = True
            return response
        retry = get_retry_request(request, spider=self.crawler.spider, reason=f"{response.status} Retry-After")
        if retry is None:
            return response  # retries exhausted; get_retry_request logged and counted it
        self.stats.inc_value("dramascore/politeness/retry_after")
        self.stats.inc_value("dramascore/politeness/retry_after_seconds", round(wait, 3))
        retry.meta[NOT_BEFORE] = monotonic() + wait
        self.hold_slot(request, wait)
        logger.info("%s with Retry-After %.1f s: retrying %s after the wait", response.status, wait, request.url)
        return retry

    def hold_slot(self, request, wait: float) -> None:
        """Keep the domain's slot from starting any download for `wait` seconds."""
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        if downloader is None:
            return
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None:
            return
        # The downloader only checks `lastseen` when the slot has a delay: give a zero-delay slot a tiny one.
        if not slot.delay:
            slot.delay = 0.001
        slot.lastseen = max(slot.lastseen, monotonic() + wait - slot.delay)


class CountingHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, also counting what it refuses (a gzip bomb past DOWNLOAD_MAXSIZE)."""

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            self.stats.inc_value("dramascore/refused/decompression_too_large")
            raise
