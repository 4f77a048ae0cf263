"""One process's connection to the store, for a crawl that writes its results from a worker.

A crawl's results are judged and written in batches (``archive.checks.record_many``): mostly
SQLAlchemy, all of it holding the interpreter lock. On a thread of the crawl's process it
competed with the reactor for that lock; a worker process has its own. The crawl calls these
functions in one worker process (``crawler.pipelines.store``), so the database still sees one
writer, taking the batches in order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from archive import checks, watchlist
from archive.assessment import ChangePolicy
from archive.store import Store

logger = logging.getLogger(__name__)

_store: Store | None = None  # this process's, from ``open_store``


def open_store(url: str) -> None:
    """Open this process's store (the worker's first call)."""
    global _store
    _store = Store.open(url)


def record_many(
    outcomes: Sequence[checks.CheckOutcome], policy: ChangePolicy
) -> list[dict[str, Any]]:
    """``archive.checks.record_many``: one transaction for the whole batch."""
    return checks.record_many(_open(), outcomes, policy)


def record_each(
    outcomes: Sequence[checks.CheckOutcome], policy: ChangePolicy
) -> list[dict[str, Any] | None]:
    """Each outcome in a transaction of its own (after a batch failed): one bad result costs
    only itself. None for an outcome that could not be stored."""
    results: list[dict[str, Any] | None] = []
    for outcome in outcomes:
        try:
            results.append(checks.record(_open(), outcome, policy))
        except Exception:
            logger.exception("cannot store the check of %s", outcome.url)
            results.append(None)
    return results


def reschedule(urls: Iterable[str], now: datetime) -> int:
    return watchlist.reschedule(_open(), urls, now)


def close_store() -> None:
    _open().close()


def _open() -> Store:
    if _store is None:
        raise RuntimeError("open_store() was not called in this process")
    return _store
