"""Extension: a live rich progress line while ``citewatch crawl`` runs (fetched/queued/failed).

Enabled by the CLI only (``CITEWATCH_PROGRESS``), so ``scrapy crawl`` logs as Scrapy does.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import PageResult


class CrawlProgress:
    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("starting")
        self.fetched = self.queued = self.failed = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        if not crawler.settings.getbool("CITEWATCH_PROGRESS"):
            raise NotConfigured  # no message: Scrapy would warn about a normal case
        extension = cls(Console(stderr=True))
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(extension.scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, **kwargs: Any) -> None:
        self.progress.start()

    def scheduled(self, **kwargs: Any) -> None:
        self.queued += 1
        self.refresh()

    def scraped(self, item: Any, **kwargs: Any) -> None:
        if isinstance(item, PageResult):
            self.fetched += 1
            if item.failure or (item.http_status or 0) >= 400:
                self.failed += 1
        self.refresh()

    def refresh(self) -> None:
        self.progress.update(
            self.task,
            description=f"fetched {self.fetched} / queued {self.queued}, failed {self.failed}",
        )

    def closed(self, **kwargs: Any) -> None:
        self.progress.stop()
