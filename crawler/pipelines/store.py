"""Item pipeline: every ``PageResult`` becomes captures, a check and a page state in the store.

Results are written in batches, one transaction per batch (``archive.checks.record_many``), by
one worker process (``archive.store_worker``), so the reactor never waits for the database nor
for the interpreter lock, and the database sees one writer, in the order the items came. A
batch is written when it holds ``batch_size`` results or its first result is ``interval``
seconds old, and at the end of the crawl. Measured, a transaction per item cost more of the
reactor's time than Scrapy's own work on the page.

A capture row still points only at bytes already in a WARC file: an item exists only once its
records were written and flushed. A killed crawl loses at most the last ``interval`` of results,
never half of one: their pages stay due and the next crawl checks them again.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.python.failure import Failure

from archive import checks, store_worker
from archive.assessment import ChangePolicy
from archive.health import DeadRules
from archive.times import utcnow
from crawler import signals as citewatch_signals
from crawler.items import PageResult
from crawler.worker import Worker

logger = logging.getLogger(__name__)

# A batch is short enough that a killed crawl loses little, and long enough that the per-
# transaction cost (BEGIN IMMEDIATE, a few statements, COMMIT) is spread over many results.
BATCH_SIZE = 200
INTERVAL = 0.5  # seconds
# Batches written or waiting beyond which items wait for the database (back-pressure).
MAX_PENDING = 4


class StorePipeline:
    def __init__(
        self,
        database_url: str,
        crawler: Crawler | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        interval: float = INTERVAL,
        policy: ChangePolicy | None = None,
    ) -> None:
        self.policy = policy or ChangePolicy()
        self.stats = crawler.stats if crawler is not None else None
        self.batch_size = batch_size
        self.interval = interval
        self.articles: set[str] = set()  # checked this crawl, rescheduled when it finishes
        self.buffer: list[tuple[PageResult, checks.CheckOutcome]] = []
        self.timer: Any = None  # the reactor's DelayedCall that writes a part-filled batch
        self.pending: list[Deferred[None]] = []  # batches handed to the writer, oldest first
        # One process: a single writer, taking the batches in order.
        self.writer = Worker(
            store_worker.open_store, (database_url,), teardown=store_worker.close_store
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        url = crawler.settings.get("CITEWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("CITEWATCH_DATABASE_URL is not set")
        pipeline = cls(url, crawler, policy=_policy(crawler.settings))
        crawler.signals.connect(pipeline.close, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.start_writer, signal=citewatch_signals.fetching_started)
        return pipeline

    def start_writer(self) -> None:
        """The crawl's first request: start the writer (its imports take a while) so that it
        is ready by the first batch; a crawl with nothing to fetch never starts it."""
        self.writer.start()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageResult):
            return item
        self.buffer.append((item, _outcome(item)))
        if len(self.buffer) >= self.batch_size:
            self.flush()
        elif self.timer is None:
            self.timer = _reactor().callLater(self.interval, self.flush)
        if len(self.pending) > MAX_PENDING:
            return self._after_oldest_batch(item)
        return item

    async def _after_oldest_batch(self, item: PageResult) -> PageResult:
        await maybe_deferred_to_future(_when_done(self.pending[0]))
        return item

    def flush(self) -> Deferred[None]:
        """Hand the buffered results to the writer thread; fires once they are committed."""
        if self.timer is not None:
            if self.timer.active():
                self.timer.cancel()
            self.timer = None
        batch, self.buffer = self.buffer, []
        if not batch:
            return succeed(None)
        outcomes = [outcome for _, outcome in batch]
        written = self._in_writer(store_worker.record_many, outcomes, self.policy)
        written.addCallbacks(
            self._recorded, self._failed, callbackArgs=(batch,), errbackArgs=(batch,)
        )
        self.pending.append(written)
        written.addBoth(self._forget, written)
        return written

    def _recorded(self, results: list[dict[str, Any]], batch: list[Any]) -> None:
        for (item, outcome), result in zip(batch, results, strict=True):
            self._count(item, outcome, result)

    def _failed(self, failure: Failure, batch: list[Any]) -> Deferred[None]:
        """A batch that failed is written again one result at a time, so that one bad result
        costs only itself, as when every result had its own transaction."""
        logger.warning("writing a batch of %d results failed: %s", len(batch), failure.value)
        outcomes = [outcome for _, outcome in batch]
        each = self._in_writer(store_worker.record_each, outcomes, self.policy)
        return each.addCallback(self._counted_each, batch)

    def _in_writer(self, function: Any, *args: Any) -> Deferred[Any]:
        return deferred_from_coro(self.writer.call(function, *args))  # awaits an asyncio future

    def _counted_each(self, results: list[dict[str, Any] | None], batch: list[Any]) -> None:
        for (item, outcome), result in zip(batch, results, strict=True):
            if result is None:
                self._inc("citewatch/store/errors")
            else:
                self._count(item, outcome, result)

    def _forget(self, result: Any, written: Deferred[None]) -> Any:
        self.pending.remove(written)
        return result

    def _count(
        self, item: PageResult, outcome: checks.CheckOutcome, result: dict[str, Any]
    ) -> None:
        if item.role == "article":
            self.articles.add(item.url)
        self._inc(f"citewatch/{item.role}/{result['state']}")
        if outcome.captures:
            self._inc(f"citewatch/capture/{'new' if result['new'] else 'unchanged'}")
        if result["reason"]:
            self._inc(f"citewatch/{item.role}/{result['state']}/{result['reason']}")

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    async def close(self, reason: str = "finished") -> None:
        if self.buffer:
            self.flush()
        try:
            await maybe_deferred_to_future(DeferredList(list(self.pending), consumeErrors=True))
            # Only a crawl that finished moves its articles on; after a shutdown or a kill they
            # stay due, and the next crawl checks them and their sources again.
            if reason == "finished" and self.articles:
                rescheduled = self._in_writer(store_worker.reschedule, self.articles, utcnow())
                await maybe_deferred_to_future(rescheduled)
        finally:
            await self.writer.close()  # nothing to close if nothing was fetched


def _reactor() -> Any:
    """The running reactor (Scrapy installs it before any component is built)."""
    from twisted.internet import reactor

    return reactor


def _policy(settings: Any) -> ChangePolicy:
    """The judging rules from the crawl's settings (``dead.*``, ``change.ignore``)."""
    rules = DeadRules(
        after_failures=settings.getint("CITEWATCH_DEAD_AFTER_FAILURES", 3),
        after_days=settings.getfloat("CITEWATCH_DEAD_AFTER_DAYS", 3.0),
        soft404_similarity=settings.getfloat("CITEWATCH_SOFT404_SIMILARITY", 0.9),
    )
    return ChangePolicy(rules, tuple(settings.getlist("CITEWATCH_CHANGE_IGNORE")))


def _outcome(item: PageResult) -> checks.CheckOutcome:
    citations = None
    if item.citations is not None:
        citations = [checks.CitedLink(c.url, c.text, c.context) for c in item.citations]
    return checks.CheckOutcome(
        url=item.url,
        checked_at=item.fetched_at,
        http_status=item.http_status,
        failure=item.failure,
        captures=item.captures,
        citations=citations,
        text=item.text,
        headers=item.headers,
        probe=item.probe,
    )


def _when_done(written: Deferred[Any]) -> Deferred[None]:
    """A Deferred that fires, with None, when ``written`` does (failed or not)."""
    done: Deferred[None] = Deferred()

    def fire(result: Any) -> Any:
        done.callback(None)
        return result

    written.addBoth(fire)
    return done
