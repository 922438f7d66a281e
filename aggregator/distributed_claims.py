"""Which pages of a shared crawl are done: a claimed request is confirmed once all it produced is durable.

`aggregator.distributed`'s queue moves each popped request into the worker's claims hash. `Claims` tracks,
per claim, what the page yielded: child requests (durable once queued) and items (durable once the store
committed them). `ClaimMiddleware` counts a page's outputs, `ClaimFailureMiddleware` ends a request that
failed for good, and `ClaimingStorePipeline` confirms pages after each commit. What no hook saw (a request
ignored on the way) is confirmed when the worker is idle, since nothing is in flight then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy import Request, signals

from pipelines.store import StorePipeline

if TYPE_CHECKING:
    from aggregator.distributed import ClaimQueue

logger = logging.getLogger(__name__)

CLAIM = "dramascore_claim"  # request meta: the claim id of a popped request
PARENT = "dramascore_claim_parent"  # request meta: the claim of the page that yielded this request


@dataclass
class _Claim:
    outstanding: int = 0  # outputs of the page not yet durable
    done: bool = False  # its callback (or its failure) is over
    items: bool = False  # it yielded items: confirmed only after the store commits them
    lost: bool = False  # a store batch with its items failed: requeue it instead of confirming


class Claims:
    """One crawler's open claims and when each page's output is durable (scheduler, middlewares and store share it)."""

    def __init__(self) -> None:
        self.open: dict[str, _Claim] = {}
        self.ready: set[str] = set()  # done, items waiting for the store's next commit
        self.queue: ClaimQueue | None = None
        self.flusher: Callable[[], None] | None = None  # the store's flush (it confirms `ready`)

    @classmethod
    def for_crawler(cls, crawler) -> Claims:
        claims = getattr(crawler, "_dramascore_claims", None)
        if claims is None:
            claims = crawler._dramascore_claims = cls()
            for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
                crawler.signals.connect(claims.item_done, signal=signal)
        return claims

    def opened(self, claim: str) -> None:
        self.open[claim] = _Claim()

    def output(self, claim: str, *, item: bool) -> None:
        if (state := self.open.get(claim)) is not None:
            state.outstanding += 1
            state.items |= item

    def settle(self, claim: str) -> None:
        if (state := self.open.get(claim)) is not None:
            state.outstanding -= 1
            self._check(claim)

    def item_done(self, item=None, response=None, **kwargs) -> None:
        claim = getattr(getattr(response, "request", None), "meta", {}).get(CLAIM)
        if claim is not None:
            self.settle(claim)

    def callback_done(self, claim: str) -> None:
        if (state := self.open.get(claim)) is not None:
            state.done = True
            self._check(claim)

    def transferred(self, claim: str) -> None:
        """A retry or redirect of the claimed request is queued (the push released the claim)."""
        self.open.pop(claim, None)
        self.ready.discard(claim)

    def _check(self, claim: str) -> None:
        state = self.open[claim]
        if not state.done or state.outstanding > 0:
            return
        if state.lost:
            self.give_back([claim])
        elif state.items and self.flusher is not None:
            self.ready.add(claim)
        else:
            self.confirm([claim])

    def take_ready(self) -> list[str]:
        ready, self.ready = sorted(self.ready), set()
        return ready

    def confirm(self, claims: Iterable[str]) -> None:
        claims = [c for c in claims if self.open.pop(c, None) is not None]
        self.ready.difference_update(claims)
        if self.queue is not None:
            self.queue.ack(claims)

    def give_back(self, claims: Iterable[str]) -> None:
        claims = [c for c in claims if self.open.pop(c, None) is not None]
        self.ready.difference_update(claims)
        if self.queue is not None and claims:
            self.queue.requeue(claims)

    def batch_lost(self, ready: list[str]) -> None:
        """The store's batch failed: its pages go back; pages still open with items had some in it too."""
        for state in self.open.values():
            state.lost |= state.items
        self.give_back(ready)

    def finish(self, *, closing: bool = False) -> None:
        """Nothing is in flight (the engine is idle, or closing): commit the store's batch, then settle every claim.

        Idle, a claim still open had an outcome no hook saw (an ignored request, say): confirmed. Closing, it
        may be a page whose callback was cut short: it goes back to the queue.
        """
        if self.flusher is not None:
            try:
                self.flusher()
            except Exception:
                logger.exception("store flush failed: the pages of its batch go back to the queue")
        self.give_back([c for c, s in self.open.items() if s.lost or closing])
        self.confirm(list(self.open))


class ClaimMiddleware:
    """Spider middleware nearest the engine: counts what each claimed page yields (see `Claims`)."""

    def __init__(self, claims: Claims):
        self.claims = claims

    @classmethod
    def from_crawler(cls, crawler) -> ClaimMiddleware:
        return cls(Claims.for_crawler(crawler))

    async def process_spider_output_async(self, response, result):
        claim = response.meta.get(CLAIM)
        try:
            async for output in result:
                yield self._count(claim, output)
        except Exception:
            self._done(claim)  # a callback that raises would raise again: its page is as done as it gets
            raise
        # Not in a `finally`: a generator closed early (shutdown) leaves its page unconfirmed, to go back.
        self._done(claim)

    def process_spider_output(self, response, result):
        claim = response.meta.get(CLAIM)
        try:
            for output in result:
                yield self._count(claim, output)
        except Exception:
            self._done(claim)
            raise
        self._done(claim)

    def _done(self, claim: str | None) -> None:
        if claim is not None:
            self.claims.callback_done(claim)

    def _count(self, claim: str | None, output):
        if isinstance(output, Request):
            output.meta.pop(CLAIM, None)  # a new page, even if the spider copied its parent's meta
            if claim is not None:
                output.meta[PARENT] = claim
        if claim is not None and output is not None:
            self.claims.output(claim, item=not isinstance(output, Request))
        return output


class ClaimFailureMiddleware:
    """Downloader middleware farthest from the downloader: a request that failed for good has no output."""

    def __init__(self, claims: Claims):
        self.claims = claims

    @classmethod
    def from_crawler(cls, crawler) -> ClaimFailureMiddleware:
        return cls(Claims.for_crawler(crawler))

    def process_exception(self, request, exception):
        if (claim := request.meta.get(CLAIM)) is not None:
            self.claims.callback_done(claim)


class ClaimingStorePipeline(StorePipeline):
    """The store stage, confirming the claims of pages whose items its commit made durable."""

    @classmethod
    def from_crawler(cls, crawler):
        pipe = super().from_crawler(crawler)
        pipe.claims = Claims.for_crawler(crawler)
        pipe.claims.flusher = pipe.flush
        return pipe

    def flush(self) -> None:
        ready = self.claims.take_ready()  # every item of these pages is in this batch or an earlier one
        try:
            super().flush()
        except Exception:
            self.claims.batch_lost(ready)
            raise
        self.claims.confirm(ready)
