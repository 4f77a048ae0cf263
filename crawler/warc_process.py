"""The crawl's WARC writer, in a worker process of its own (``archive.warc_worker``), or inline.

Every write is a call to the one worker, awaited by the caller: the worker writes in the order
the calls were made, and a call returns once its records are flushed. If the worker dies (out
of memory, killed), its open file is cut back to its last whole record and the crawl goes on
writing in its own process (``crawler.worker.Worker``).

``InlineWarcWriter`` makes the same calls on a ``WarcWriter`` in the caller's process: for a
crawl without the asyncio reactor, and for tests that build the capture middleware alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archive import warc_worker
from archive.revisits import LastResponse, archive_exchange
from archive.warcs import (
    CaptureLocation,
    Exchange,
    RevisitProfile,
    WarcWriter,
    recover_open_files,
)
from crawler.worker import Worker


class WarcWriterProcess:
    def __init__(
        self, directory: str | Path, *, max_size: int, compress_level: int, info: dict[str, str]
    ) -> None:
        self.directory = Path(directory)
        self.worker = Worker(
            warc_worker.open_writer,
            (str(self.directory), max_size, compress_level, info),
            on_death=self._recover,
            teardown=warc_worker.close_writer,
        )

    def _recover(self) -> None:
        recover_open_files(self.directory)  # the dead worker's file, cut back to whole records

    async def write_capture(
        self, exchange: Exchange, last: LastResponse | None, not_modified: bool
    ) -> tuple[CaptureLocation, RevisitProfile | None]:
        """``archive.revisits.archive_exchange``, in the worker."""
        return await self.worker.call(warc_worker.write_capture, exchange, last, not_modified)

    async def write_metadata(self, *args: Any, **kwargs: Any) -> CaptureLocation:
        return await self.worker.call(warc_worker.write, "write_metadata", *args, **kwargs)

    async def write_conversion(self, *args: Any, **kwargs: Any) -> CaptureLocation:
        return await self.worker.call(warc_worker.write, "write_conversion", *args, **kwargs)

    def start(self) -> None:
        """Start the worker now, so that it is ready when the first response comes."""
        self.worker.start()

    async def close(self) -> None:
        """Finish the current file, after every write asked for (nothing when none was)."""
        await self.worker.close()


class InlineWarcWriter:
    """``WarcWriterProcess``'s calls, made on ``writer`` in this process."""

    def __init__(self, writer: WarcWriter) -> None:
        self.writer = writer

    async def write_capture(
        self, exchange: Exchange, last: LastResponse | None, not_modified: bool
    ) -> tuple[CaptureLocation, RevisitProfile | None]:
        return archive_exchange(self.writer, exchange, last, not_modified)

    async def write_metadata(self, *args: Any, **kwargs: Any) -> CaptureLocation:
        return self.writer.write_metadata(*args, **kwargs)

    async def write_conversion(self, *args: Any, **kwargs: Any) -> CaptureLocation:
        return self.writer.write_conversion(*args, **kwargs)

    def start(self) -> None:
        pass  # nothing to start: the writer is here

    async def close(self) -> None:
        self.writer.close()
