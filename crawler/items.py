"""What the spider yields: one ``PageResult`` per watched article or cited source fetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class PageResult:
    """The outcome of fetching one page of a crawl, whether or not it answered."""

    url: str  # as watched or cited, normalised; redirects are followed from here
    role: str  # "article" or "source"
    depth: int
    fetched_at: datetime
    final_url: str | None = None  # where redirects ended
    http_status: int | None = None
    mime: str | None = None
    failure: str | None = None  # why there is no usable answer: dns-error, timeout, …
    captures: list[Any] = field(default_factory=list)  # archive.warcs.CaptureLocation, per hop
    citations: list[Any] | None = None  # crawler.citations.Citation, for parsed pages
    body: bytes = b""
    encoding: str | None = None
    text: Any = None  # archive.text.ExtractedText; None: not extracted (off, or unchanged)
    headers: dict[str, str] = field(default_factory=dict)  # of the final answer
    probe: dict[str, Any] | None = None  # the site's soft-404 probe answer: url, text
