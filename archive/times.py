"""Times in citewatch are aware UTC datetimes inside and ISO 8601 ``…Z`` strings outside."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """``2026-11-25T18:17:43Z`` (None stays None), the form every JSON output uses."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
