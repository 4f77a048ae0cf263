"""Functions a test's worker process runs (``crawler.worker.Worker`` imports them by name)."""

from __future__ import annotations

_seen: list[int] = []


def remember(number: int) -> list[int]:
    """Every number this process was given, in the order the calls reached it."""
    _seen.append(number)
    return list(_seen)
