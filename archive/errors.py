"""Every error citewatch raises on purpose, so callers catch one family.

    CitewatchError            anything citewatch reports to a user as one line
    ├── InputError            bad command-line input; one line per problem (``problems``)
    ├── ConfigError           a bad or unknown configuration key or value (``key``, ``value``)
    ├── StoreError            the database cannot be used (wrong version, unreachable)
    ├── WatchError            a watch-list operation that cannot be done (``url``)
    ├── UrlRejected           a URL citewatch will not fetch (``url``)
    │   ├── InvalidUrl        not an http(s) URL with a host
    │   ├── UnresolvableHost  the host has no address (reserved TLD, DNS failure)
    │   └── BlockedAddress    resolves to a loopback, private or reserved address (``address``)
    ├── ArchiveError          a WARC file cannot be read or written (``path``)
    ├── VersionNotFound       no archived copy of a URL matches what was asked (``url``, ``wanted``)
    └── CrawlFailed           a crawl stopped on an error, not because its work was done

``user_error`` is True for errors caused by what the user typed: the CLI exits 2 for
those and 1 for failures at run time.
"""

from __future__ import annotations


class CitewatchError(Exception):
    """Base of every error citewatch reports to a user."""

    user_error = False


class ConfigError(CitewatchError):
    """A configuration key is unknown or its value is invalid."""

    user_error = True

    def __init__(self, message: str, *, key: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.key = key
        self.value = value


class StoreError(CitewatchError):
    """The database cannot be opened, migrated or used."""


class WatchError(CitewatchError):
    """A watch-list operation that cannot be done, such as removing an unwatched URL."""

    user_error = True

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class UrlRejected(CitewatchError):
    """A URL that citewatch will not fetch."""

    user_error = True

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class InvalidUrl(UrlRejected):
    """Not an absolute http(s) URL with a valid host."""


class UnresolvableHost(UrlRejected):
    """The URL's host has no address: a reserved TLD, or the resolver found none."""


class BlockedAddress(UrlRejected):
    """The URL's host is, or resolves to, an address the address guard refuses."""

    def __init__(self, message: str, *, url: str, address: str) -> None:
        super().__init__(message, url=url)
        self.address = address


class ArchiveError(CitewatchError):
    """A WARC file cannot be read or written."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class InputError(CitewatchError):
    """Bad input on the command line or in a file the user named; one line per problem."""

    user_error = True

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class VersionNotFound(CitewatchError):
    """No archived copy of ``url`` matches ``wanted`` (a time, an index, or any at all)."""

    user_error = True

    def __init__(self, message: str, *, url: str, wanted: str | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.wanted = wanted


class CrawlFailed(CitewatchError):
    """A crawl ended on an error in citewatch or Scrapy rather than finishing its work."""
