"""``citewatch citations``: what a page cites, from the web (one guarded fetch) or a local file.

Nothing is archived. The fetch follows redirects itself so that the address guard checks every
hop, and reads at most ``crawl.max_size`` bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from w3lib.encoding import html_to_unicode

from archive.addresses import guard
from archive.config import CrawlConfig
from archive.errors import CitewatchError, InputError, InvalidUrl
from archive.urls import normalize
from crawler import __version__, citations

CHUNK = 64 * 1024


class FetchFailed(CitewatchError):
    """The page could not be fetched (``reason`` as in ``citewatch status``)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def preview(target: str, base_url: str | None, crawl: CrawlConfig) -> dict[str, Any]:
    """``{"url", "citations": [{"url", "text", "context"}]}`` for a URL or an HTML file."""
    if urlsplit(target).scheme.lower() in ("http", "https"):
        url, content_type, body = fetch(_checked(target), crawl)
    else:
        path = Path(target)
        if not path.is_file():
            raise InputError([f"{target} is neither an http(s) URL nor a readable file"])
        url = _checked(base_url) if base_url else path.resolve().as_uri()
        content_type, body = None, path.read_bytes()
    _, text = html_to_unicode(content_type, body)
    found = citations.find(text, url)
    return {
        "url": url,
        "citations": [{"url": c.url, "text": c.text, "context": c.context} for c in found],
    }


def fetch(url: str, crawl: CrawlConfig) -> tuple[str, str | None, bytes]:
    """Final URL, Content-Type and body of ``url``, every redirect hop through the guard."""
    headers = {"User-Agent": crawl.user_agent.replace("{version}", __version__)}
    with requests.Session() as session:
        for _ in range(crawl.max_redirects + 1):
            guard(url, urlsplit(url).hostname or "", crawl.allow_private)
            try:
                response = session.get(
                    url, headers=headers, timeout=crawl.timeout, allow_redirects=False, stream=True
                )
            except requests.Timeout:
                raise FetchFailed(f"{url}: timed out", reason="timeout") from None
            except requests.ConnectionError as exc:
                raise FetchFailed(
                    f"{url}: cannot connect ({exc})", reason="connection-refused"
                ) from None
            with response:
                if response.is_redirect:
                    url = _checked(urljoin(url, response.headers["Location"]))
                    continue
                if response.status_code >= 400:
                    raise FetchFailed(
                        f"{url} answered HTTP {response.status_code}",
                        reason=f"http-{response.status_code}",
                    )
                return url, response.headers.get("Content-Type"), _read(response, crawl.max_size)
    raise FetchFailed(f"{url}: more than {crawl.max_redirects} redirects", reason="redirect-loop")


def _read(response: requests.Response, limit: int) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) >= limit:
            break
    return bytes(body[:limit])


def _checked(url: str) -> str:
    try:
        return normalize(url)
    except InvalidUrl as exc:
        raise InputError([str(exc)]) from None
