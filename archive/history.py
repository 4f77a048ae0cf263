"""The history of one URL: every check, newest first, with its capture and what changed."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from archive import versions
from archive.errors import VersionNotFound
from archive.schema import captures, checks, events
from archive.store import Store
from archive.times import iso


def history(store: Store, url: str) -> dict[str, Any]:
    """``{"url", "state", "reason", "baseline", "checks": [...]}``, newest check first."""
    with store.read() as conn:
        page = versions.page_row(conn, url)
        if page is None:
            raise VersionNotFound(
                f"citewatch has never checked {url} (add the article citing it with "
                "`citewatch add`)",
                url=url,
            )
        found = versions.list_versions(conn, page["id"])
        by_capture = {version.capture_id: version for version in found}
        rows = conn.execute(
            sa.select(checks, captures.c.url.label("answered_url"))
            .outerjoin(captures, captures.c.id == checks.c.capture_id)
            .where(checks.c.page_id == page["id"])
            .order_by(checks.c.checked_at.desc(), checks.c.id.desc())
        ).mappings()
        told = _events_by_time(conn, page["id"])
        entries = [_entry(row, by_capture, told) for row in rows]
    base = versions.baseline(page, found)
    return {
        "url": url,
        "state": page["state"],
        "reason": page["reason"],
        "state_since": iso(page["state_since"]),
        "last_ok": iso(page["last_ok"]),
        "baseline": base.time if base else None,
        "checks": entries,
    }


def _events_by_time(conn: Any, page_id: int) -> dict[str | None, list[dict[str, Any]]]:
    told: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    query = sa.select(events).where(events.c.page_id == page_id).order_by(events.c.id)
    for row in conn.execute(query).mappings():
        told[iso(row["at"])].append({"kind": row["kind"], **(row["detail"] or {})})
    return told


def _entry(
    row: Any,
    by_capture: dict[int, versions.Version],
    told: dict[str | None, list[dict[str, Any]]],
) -> dict[str, Any]:
    checked_at = iso(row["checked_at"])
    version = by_capture.get(row["capture_id"]) if row["capture_id"] is not None else None
    return {
        "checked_at": checked_at,
        "state": row["state"],
        "reason": row["reason"],
        "http_status": row["http_status"],
        "capture": _capture(version) if version else None,
        "events": told.get(checked_at, []),
    }


def _capture(version: versions.Version) -> dict[str, Any]:
    return {
        "id": version.capture_id,
        "url": version.url,
        "fetched_at": version.time,
        "record_type": version.record_type,
        "mime": version.mime,
        "payload_digest": version.payload_digest,
        "text_digest": version.text_digest,
        "text_chars": len(version.text) if version.text is not None else None,
        "text_reason": version.text_reason,
        "title": version.title,
        "warc_file": version.warc_file,
        "warc_offset": version.warc_offset,
    }
