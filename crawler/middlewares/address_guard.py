"""Downloader middleware: refuse a request whose host is a guarded address, before any fetch.

The resolver (``crawler.resolver``) enforces the guard on the connection itself; this
middleware asks it first so that a refused request fails with ``BlockedAddress`` (recorded as
``skipped``, reason ``private-address``) instead of an anonymous DNS failure. It runs for every
request, so for every redirect hop too.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

from archive.addresses import check_addresses, parse_ipv4


class AddressGuardMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("CITEWATCH_ALLOW_PRIVATE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if self.allow_private:
            return
        host = urlparse_cached(request).hostname or ""
        literal = parse_ipv4(host) if ":" not in host else host
        if literal is not None:  # an IP address needs no lookup to be judged
            check_addresses(request.url, [str(literal)], self.allow_private)
            return
        from twisted.internet import reactor

        # Raises BlockedAddress (or DNSLookupError) straight into the request's errback.
        await maybe_deferred_to_future(reactor.resolver.getHostByName(host))
