"""The DNS resolver every crawl connection goes through: Scrapy's, plus the address guard.

Checking the address the connection will actually use (not a separate lookup made earlier)
means a name that re-resolves to a private address between two lookups is still refused.
Names under reserved TLDs fail at once and never reach a DNS server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.base import ReactorBase
from twisted.internet.error import DNSLookupError

from archive.addresses import (
    LOCALHOST_ADDRESSES,
    check_addresses,
    is_localhost_name,
    is_reserved_name,
)
from archive.errors import BlockedAddress


class GuardedResolver(CachingThreadedResolver):
    """Resolves like Scrapy's default, then fails the lookup of a guarded address."""

    allow_private = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("CITEWATCH_ALLOW_PRIVATE")
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        if is_reserved_name(name):
            return defer.fail(DNSLookupError(f"{name} is under a reserved TLD and never resolves"))
        if is_localhost_name(name):
            found: defer.Deferred[str] = defer.succeed(LOCALHOST_ADDRESSES[0])
        else:
            found = super().getHostByName(name, timeout)
        return found.addCallback(self._check, name)

    def _check(self, address: Any, name: str) -> str:
        try:
            check_addresses(f"http://{name}/", [str(address)], self.allow_private)
        except BlockedAddress as exc:
            # Twisted reports only DNSLookupError quietly; the address guard middleware has
            # already turned the usual case into a BlockedAddress with its reason.
            raise DNSLookupError(str(exc)) from exc
        return str(address)
