"""Extension: stop a download at ``crawl.max_size`` but keep what arrived, marked truncated.

Scrapy's own DOWNLOAD_MAXSIZE discards an oversized response; an archive wants the first
``max_size`` bytes as evidence, recorded with ``WARC-Truncated: length``. Raising
``StopDownload(fail=False)`` from ``bytes_received`` hands the partial response on with the
``download_stopped`` flag.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload


class SizeLimit:
    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        # Per request object, not in meta: redirects copy meta, and each hop starts at zero.
        self.received: WeakKeyDictionary[Request, int] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeLimit:
        max_size = crawler.settings.getint("CITEWATCH_MAX_SIZE")
        if max_size <= 0:
            raise NotConfigured  # crawl.max_size = 0; no message, so Scrapy does not warn
        extension = cls(max_size)
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        return extension

    def bytes_received(self, data: bytes, request: Request, **kwargs: Any) -> None:
        received = self.received.get(request, 0) + len(data)
        self.received[request] = received
        if received > self.max_size:
            raise StopDownload(fail=False)
