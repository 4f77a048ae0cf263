"""What a recheck needs to know about a URL's last full capture, to ask and archive cheaply.

A recheck sends the validators of the URL's latest archived response (``If-None-Match``,
``If-Modified-Since``); a ``304`` answer, or a ``200`` whose payload has the same digest, is
archived as a small ``revisit`` record pointing at that response. Only ``response`` records
are ever pointed at, never another revisit, so replay tools can always resolve a revisit.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.warcs import (
    CaptureLocation,
    Exchange,
    OriginalCapture,
    RevisitProfile,
    WarcWriter,
    sha1_digest,
)


@dataclass(frozen=True)
class LastResponse:
    """The latest ``response`` record of a URL with a successful answer, and its validators."""

    original: OriginalCapture
    http_status: int
    etag: str | None
    last_modified: str | None

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def archive_exchange(
    writer: WarcWriter, exchange: Exchange, last: LastResponse | None, not_modified: bool
) -> tuple[CaptureLocation, RevisitProfile | None]:
    """Write ``exchange`` as a revisit of ``last`` when the page is unchanged (``not_modified``:
    a 304 to the validators of ``last``; or the same payload digest), else in full.

    Returns where the revisit or response record is, and the revisit's profile if it is one."""
    profile = revisit_profile(exchange, last, not_modified)
    if last is not None and profile is not None:
        return writer.write_revisit(exchange, last.original, profile), profile
    return writer.write_exchange(exchange), None


def revisit_profile(
    exchange: Exchange, last: LastResponse | None, not_modified: bool
) -> RevisitProfile | None:
    """How ``exchange`` repeats ``last``, or None when it must be archived in full."""
    response = exchange.response
    if last is None or response.truncated is not None:
        return None
    if not_modified:
        return "server-not-modified"
    digest = last.original.payload_digest
    if 200 <= response.status < 300 and digest is not None and sha1_digest(response.body) == digest:
        return "identical-payload-digest"
    return None
