"""Downloader middleware: recheck a page cheaply, with the validators of its last capture.

For each page of the crawl it finds the URL's last full ``2xx`` capture and keeps it in
``request.meta[LAST_RESPONSE_KEY]``. The spider looks these up for whole batches of pages
(``archive.last_captures.last_responses``) and hands them over in ``request.meta[KNOWN_KEY]``; a
request without them costs a query of its own (``archive.last_captures.last_response``). The
WARC capture then writes a small ``revisit`` record of it when the answer is ``304 Not
Modified`` or has the same payload. A request the spider marks ``REVALIDATE_KEY`` also sends
``If-None-Match`` / ``If-Modified-Since``: a page whose body is not parsed, or one whose
citations are known from its last parse (an unchanged page is not parsed again). Any other page
is parsed and needs its body, which a 304 does not carry.

Captures of this very crawl may still be in the store pipeline's buffer: such a page is simply
fetched in full.
"""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.last_captures import last_response
from archive.revisits import LastResponse
from archive.store import Store

PAGE_KEY = "citewatch"  # set by the spider: url (as cited), role, depth, max_depth
REVALIDATE_KEY = "citewatch_revalidate"  # set by the spider: a 304 will do
LAST_RESPONSE_KEY = "citewatch_last_response"  # archive.revisits.LastResponse of request.url
VALIDATORS_KEY = "citewatch_validators"  # the conditional headers this middleware added
# Set by the spider: {url: LastResponse} of the page's last full captures, looked up in a batch.
KNOWN_KEY = "citewatch_known_responses"


class ConditionalRequestMiddleware:
    def __init__(self, store: Store, crawler: Crawler | None = None) -> None:
        self.store = store
        self.stats = crawler.stats if crawler is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        url = crawler.settings.get("CITEWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("CITEWATCH_DATABASE_URL is not set")
        middleware = cls(Store.open(url), crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def close(self) -> None:
        self.store.close()

    def process_request(self, request: Request) -> None:
        page = request.meta.get(PAGE_KEY)
        if page is None:
            return
        last: LastResponse | None = request.meta.get(LAST_RESPONSE_KEY)
        if last is not None and last.original.target_uri == request.url:
            return  # a retry: asked already
        # A redirect hop carries over the meta and headers of the request before it.
        for name, value in request.meta.pop(VALIDATORS_KEY, {}).items():
            if request.headers.get(name) == value.encode("latin-1"):
                del request.headers[name]
        request.meta.pop(LAST_RESPONSE_KEY, None)
        known: dict[str, LastResponse] | None = request.meta.get(KNOWN_KEY)
        if known is not None:
            last = known.get(request.url)
        else:
            last = last_response(self.store, page["url"], request.url)
        if last is None:
            return
        request.meta[LAST_RESPONSE_KEY] = last
        if not request.meta.get(REVALIDATE_KEY):
            return
        added = {
            name: value
            for name, value in last.conditional_headers().items()
            if name not in request.headers  # never override what a request already asks
        }
        for name, value in added.items():
            request.headers[name] = value
        if added:
            request.meta[VALIDATORS_KEY] = added
            self._count("citewatch/conditional/sent")

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 304 and request.meta.get(VALIDATORS_KEY):
            self._count("citewatch/conditional/not-modified")
        return response

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)


def revalidated(request: Request) -> LastResponse | None:
    """The capture a ``304`` answer to ``request`` says is still current, if it was asked."""
    last: LastResponse | None = request.meta.get(LAST_RESPONSE_KEY)
    if last is None or not request.meta.get(VALIDATORS_KEY):
        return None
    return last if last.original.target_uri == request.url else None
