"""Comparing two archived versions of a URL: which two, their texts, and the diff between them.

By default the baseline (what the article cited) against the latest version. ``raw`` compares
the payloads as archived (HTML source, decoded with their charset) line by line instead of the
extracted text sentence by sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archive import versions
from archive.diff import diff
from archive.errors import VersionNotFound
from archive.store import Store
from archive.text import decode
from archive.warc_reading import read_record


def choose(
    store: Store, url: str, *, older: str | None = None, newer: str | None = None
) -> tuple[versions.Version, versions.Version]:
    """The two versions to compare: ``older`` (default the baseline) and ``newer`` (latest)."""
    with store.read() as conn:
        page = versions.page_row(conn, url)
        found = versions.list_versions(conn, page["id"]) if page is not None else []
    if not found:
        raise VersionNotFound(f"{url} has never been captured", url=url)
    if older is not None:
        old = versions.pick(url, found, older, last=False)
    else:
        base = versions.baseline(page, found)
        if base is None:
            raise VersionNotFound(
                f"{url} has never answered successfully, so it has no baseline; "
                "name a version with --from",
                url=url,
            )
        old = base
    new = versions.pick(url, found, newer, last=True) if newer is not None else found[-1]
    return old, new


def compare(
    old: versions.Version,
    new: versions.Version,
    *,
    url: str,
    warcs: Path,
    raw: bool = False,
    ignore: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``citewatch diff --json`` data: both versions, the similarity, the hunks."""
    old_text, new_text = (_raw(v, warcs) if raw else _text(url, v) for v in (old, new))
    result = diff(old_text, new_text, unit="line" if raw else "sentence", ignore=ignore)
    return {
        "url": url,
        "old_time": old.time,
        "new_time": new.time,
        "old": _described(old),
        "new": _described(new),
        "raw": raw,
        **result.to_json(),
    }


def _text(url: str, version: versions.Version) -> str:
    if version.text:
        return version.text
    why = version.text_reason or "no text was extracted"
    raise VersionNotFound(
        f"the capture of {url} at {version.time} has no text ({why}); compare the archived "
        "source with --raw",
        url=url,
        wanted=version.time,
    )


def _raw(version: versions.Version, warcs: Path) -> str:
    record = read_record(warcs / version.payload_file, version.payload_offset)
    content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
    return decode(record.content(), content_type, html=True)


def _described(version: versions.Version) -> dict[str, Any]:
    return {
        "capture_id": version.capture_id,
        "fetched_at": version.time,
        "url": version.url,
        "http_status": version.http_status,
        "record_type": version.record_type,
        "payload_digest": version.payload_digest,
        "title": version.title,
    }
