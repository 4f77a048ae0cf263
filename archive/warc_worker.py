"""One process's WARC writer, for a crawl that writes its records from a worker process.

Building, digesting and compressing records is most of the CPU a crawl spends beyond Scrapy's
own. Done in the crawl's process, it held the interpreter lock that the reactor needs: with
the writing on threads, a crawl of 1,050 pages spent ~25 CPU seconds in them and took longer
than writing inline. A worker process has a lock of its own. The crawl calls the functions
below in one worker process (``crawler.warc_process``), so records are written in the order
they were asked for, by one writer, as before.

Each call returns only once its records are flushed to the OS, as ``WarcWriter`` does: what the
crawl stores still points only at bytes already written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archive.revisits import LastResponse, archive_exchange
from archive.warcs import CaptureLocation, Exchange, RevisitProfile, WarcWriter

_writer: WarcWriter | None = None  # this process's, from ``open_writer``


def open_writer(
    directory: str, max_size: int, compress_level: int, info: Mapping[str, str]
) -> None:
    """Start this process's writer (the worker's first call)."""
    global _writer
    _writer = WarcWriter(
        Path(directory), max_size=max_size, compress_level=compress_level, info=dict(info)
    )


def write_capture(
    exchange: Exchange, last: LastResponse | None, not_modified: bool
) -> tuple[CaptureLocation, RevisitProfile | None]:
    """``archive.revisits.archive_exchange`` on this process's writer."""
    return archive_exchange(_open(), exchange, last, not_modified)


def write(method: str, *args: Any, **kwargs: Any) -> CaptureLocation:
    """One of the writer's ``write_metadata`` / ``write_conversion``."""
    if method not in ("write_metadata", "write_conversion"):
        raise ValueError(f"not a record-writing method: {method}")
    return getattr(_open(), method)(*args, **kwargs)


def close_writer() -> None:
    """Finish the current file."""
    _open().close()


def _open() -> WarcWriter:
    if _writer is None:
        raise RuntimeError("open_writer() was not called in this process")
    return _writer
