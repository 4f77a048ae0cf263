"""The archived versions of one URL: listing them, and picking one by time or index.

A *version* is the final capture of a check (a redirect's earlier hops are not versions). The
*baseline* is the version the citing article pointed at: ``pages.baseline_capture_id`` when the
crawl recorded one, else the first successful version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from archive.errors import VersionNotFound
from archive.schema import captures, checks, pages
from archive.store import Store
from archive.times import iso

# "-1" is the latest version, "-2" the one before.
_INDEX = re.compile(r"^-[1-9]\d*$")
# An ISO 8601 prefix ("2026", "2026-11", "2026-11-25T18:04") or a WARC-style compact one
# ("20261125", "20261125180412"), as pywb writes them in replay URLs.
_ISO_PREFIX = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}Z?)?)?)?)?)?$")
_COMPACT_PREFIX = re.compile(r"^\d{4,14}$")


@dataclass(frozen=True)
class Version:
    """One archived copy of a URL, with the text extracted from it (empty with a reason)."""

    capture_id: int
    url: str  # the URL answered: after redirects it may differ from the cited one
    fetched_at: datetime
    record_type: str  # response, or revisit when the payload was unchanged
    http_status: int | None
    mime: str | None
    payload_digest: str | None
    text: str | None
    text_digest: str | None
    text_reason: str | None
    title: str | None
    warc_file: str
    warc_offset: int
    # Where the payload's bytes are: this record, or for a revisit the response it repeats.
    payload_file: str
    payload_offset: int

    @property
    def time(self) -> str:
        return iso(self.fetched_at) or ""

    @property
    def ok(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


def page_row(conn: Connection, url: str) -> Any | None:
    return conn.execute(sa.select(pages).where(pages.c.url == url)).mappings().first()


def latest_check(store: Store, url: str) -> tuple[str, str | None] | None:
    """The state and reason of the page's latest check, if it was ever checked."""
    query = (
        sa.select(checks.c.state, checks.c.reason)
        .join(pages, pages.c.id == checks.c.page_id)
        .where(pages.c.url == url)
        .order_by(checks.c.id.desc())
        .limit(1)
    )
    with store.read() as conn:
        row = conn.execute(query).first()
    return (row.state, row.reason) if row is not None else None


def list_versions(conn: Connection, page_id: int) -> list[Version]:
    """Every version of the page, oldest first; a revisit carries the text it repeats."""
    query = (
        sa.select(captures)
        .join(checks, checks.c.capture_id == captures.c.id)
        .where(checks.c.page_id == page_id)
        .order_by(captures.c.fetched_at, captures.c.id)
    )
    found: list[Version] = []
    for row in conn.execute(query).mappings():
        version = _version(row)
        if version.record_type == "revisit" and version.text is None:
            version = _with_repeated_text(version, found)
        elif version.text is None and version.text_digest is not None:
            version = _with_stored_text(version, found)
        found.append(version)
    return found


def baseline(page: Any, versions: list[Version]) -> Version | None:
    """What the article cited: the recorded baseline, else the first successful version."""
    for version in versions:
        if version.capture_id == page["baseline_capture_id"]:
            return version
    return next((version for version in versions if version.ok), None)


def pick(url: str, versions: list[Version], wanted: str, *, last: bool = True) -> Version:
    """The version ``wanted`` names: ``-1`` (latest), ``-2``…, or a capture time or a prefix
    of one (``2026-11``, ``2026-11-25T18:04``, ``20261125``). Several versions within a
    prefix: the last one when ``last``, else the first."""
    if not versions:
        raise VersionNotFound(f"{url} has never been captured", url=url, wanted=wanted)
    wanted = wanted.strip()
    if _INDEX.match(wanted):
        position = int(wanted)
        if -position > len(versions):
            raise VersionNotFound(
                f"{url} has {len(versions)} captured version(s), so {wanted} does not exist",
                url=url,
                wanted=wanted,
            )
        return versions[position]
    matches = [version for version in versions if _time_matches(version, wanted)]
    if not matches:
        if not (_ISO_PREFIX.match(wanted) or _COMPACT_PREFIX.match(wanted)):
            raise VersionNotFound(
                f"{wanted!r} is not a capture time (2026-11-25T18:04:00Z or a prefix such as "
                "2026-11) or an index (-1 is the latest)",
                url=url,
                wanted=wanted,
            )
        span = f"{versions[0].time} … {versions[-1].time}"
        raise VersionNotFound(
            f"no capture of {url} at {wanted} (captures: {span}; see `citewatch history`)",
            url=url,
            wanted=wanted,
        )
    return matches[-1] if last else matches[0]


def _time_matches(version: Version, wanted: str) -> bool:
    if _COMPACT_PREFIX.match(wanted):
        return version.fetched_at.strftime("%Y%m%d%H%M%S").startswith(wanted)
    if _ISO_PREFIX.match(wanted):
        return version.time.startswith(wanted.replace(" ", "T"))
    return False


def _version(row: Any) -> Version:
    return Version(
        capture_id=row["id"],
        url=row["url"],
        fetched_at=row["fetched_at"],
        record_type=row["record_type"],
        http_status=row["http_status"],
        mime=row["mime"],
        payload_digest=row["payload_digest"],
        text=row["text"],
        text_digest=row["text_digest"],
        text_reason=row["text_reason"],
        title=row["title"],
        warc_file=row["warc_file"],
        warc_offset=row["warc_offset"],
        payload_file=row["warc_file"],
        payload_offset=row["warc_offset"],
    )


def stored_text_key(payload_digest: str | None, text_digest: str | None) -> tuple[str, str | None]:
    """Where the text of a capture that stores only its digest is: in the latest earlier capture
    of the same page that stores text and has this ``(column, value)``. A capture that repeats
    an earlier payload is stored so (``archive.assessment.CaptureText.repeated``); one with no
    payload digest goes by its text's digest."""
    if payload_digest is not None:
        return "payload_digest", payload_digest
    return "text_digest", text_digest


def _with_stored_text(version: Version, earlier: list[Version]) -> Version:
    column, value = stored_text_key(version.payload_digest, version.text_digest)
    for original in reversed(earlier):
        if original.text is not None and getattr(original, column) == value:
            return Version(**{**version.__dict__, "text": original.text})
    return version


def _with_repeated_text(revisit: Version, earlier: list[Version]) -> Version:
    # A revisit stores no payload and no text: they are those of the response it refers to,
    # the latest earlier one with the same payload digest (any earlier one for a 304).
    for original in reversed(earlier):
        same = revisit.payload_digest is None or original.payload_digest == revisit.payload_digest
        if original.record_type == "response" and same:
            return Version(
                **{
                    **revisit.__dict__,
                    "text": original.text,
                    "text_digest": original.text_digest,
                    "text_reason": original.text_reason,
                    "title": original.title,
                    "mime": revisit.mime or original.mime,
                    "payload_file": original.warc_file,
                    "payload_offset": original.warc_offset,
                }
            )
    return revisit
