"""citewatch's WARC files: the rotating, crash-safe writer, and the one import for callers.

Every record is one gzip member, appended and flushed before a ``write_*`` call returns, so a
capture row pointing at (file, offset, length) points at bytes the OS already has. Files are
``<prefix>-<UTC yyyymmddhhmmss>-<serial>.warc.gz``, named ``….open`` while written; a file
a killed process left open is repaired by ``recover_open_files``.

The parts live in ``warc_http`` (HTTP heads), ``warc_records`` (record framing, digests),
``warc_reading`` and ``warc_recovery``; this module re-exports what callers need.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import IO

from archive.errors import ArchiveError
from archive.times import utcnow
from archive.warc_http import Exchange, HttpRequest, HttpResponse, Truncation, mime_type
from archive.warc_reading import StoredRecord, iter_records, read_record
from archive.warc_records import (
    FieldList,
    OriginalCapture,
    Record,
    RevisitProfile,
    as_utc,
    conversion_record,
    metadata_record,
    new_record_id,
    request_record,
    response_record,
    revisit_record,
    sha1_digest,
    warc_date,
    warcinfo_record,
)
from archive.warc_recovery import (
    OPEN_SUFFIX,
    Recovered,
    fsync_directory,
    recover_open_files,
    try_lock,
)

__all__ = [
    "CaptureLocation",
    "Exchange",
    "HttpRequest",
    "HttpResponse",
    "OriginalCapture",
    "Recovered",
    "RevisitProfile",
    "StoredRecord",
    "Truncation",
    "WarcWriter",
    "iter_records",
    "mime_type",
    "read_record",
    "recover_open_files",
    "sha1_digest",
    "warc_date",
]

# Said once per file, because a reader of the WARC cannot otherwise tell.
HEADERS_NOTE = (
    "HTTP headers are reconstructed from the parsed response (Scrapy exposes no raw header "
    "bytes): names may be re-cased, Transfer-Encoding is dropped as bodies are stored "
    "de-chunked, and Content-Length is set to the stored body length unless the body is "
    "truncated (WARC-Truncated) or absent by definition (HEAD, 1xx, 204, 304)."
)
SPEC_URL = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"


@dataclass(frozen=True, slots=True)
class CaptureLocation:
    """Where a record landed: file name (no directory, no ``.open``), gzip member span, ids."""

    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None


def _software_version() -> str:
    try:
        return version("citewatch")
    except PackageNotFoundError:
        return "0+unknown"


class WarcWriter:
    """Appends records to rotating WARC files in ``directory``; thread-safe, a context manager.

    ``max_size`` is checked after each write call, so a file ends just past it. Records are
    built and compressed outside the lock, so callers on several threads compress in
    parallel (zlib releases the GIL). ``record_ids`` and ``clock`` exist for pinned tests.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_size: int = 1_000_000_000,
        compress_level: int = 1,
        operator: str | None = None,
        info: FieldList = (),
        software: str | None = None,
        prefix: str = "citewatch",
        record_ids: Callable[[], str] = new_record_id,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not 0 <= compress_level <= 9:
            raise ValueError(f"compress_level must be 0..9, not {compress_level}")
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, not {max_size}")
        self.directory = Path(directory)
        self.max_size = max_size
        self.compress_level = compress_level
        self.prefix = prefix
        self._record_ids = record_ids
        self._clock = clock
        self._info: list[tuple[str, str]] = [
            ("software", software or f"citewatch/{_software_version()}"),
            ("hostname", socket.gethostname()),
            ("format", "WARC File Format 1.1"),
            ("conformsTo", SPEC_URL),
        ]
        if operator:
            self._info.append(("operator", operator))
        self._info.extend(info.items() if isinstance(info, Mapping) else info)
        self._info.append(("description", HEADERS_NOTE))
        # Random per writer: two processes starting in the same second get different names.
        self._token = secrets.token_hex(3)
        self._serial = 0
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._open_path: Path | None = None
        self._name = ""
        self._offset = 0
        self._closed = False
        self.files: list[Path] = []  # finished files, in the order they were closed

    @property
    def current_path(self) -> Path | None:
        """The ``.open`` file being written, if any."""
        return self._open_path

    def write_exchange(self, exchange: Exchange) -> CaptureLocation:
        """Write the request then the response record; return the response's location."""
        response_id, request_id = self._record_ids(), self._record_ids()
        return self._append(
            request_record(exchange, request_id, concurrent_to=response_id),
            response_record(exchange, response_id),
        )

    def write_revisit(
        self,
        exchange: Exchange,
        original: OriginalCapture,
        profile: RevisitProfile = "identical-payload-digest",
    ) -> CaptureLocation:
        """Write the request and a bodiless ``revisit`` record of ``original``; return the latter's
        location. ``exchange.response`` is the new answer (its status line and headers)."""
        revisit_id, request_id = self._record_ids(), self._record_ids()
        return self._append(
            request_record(exchange, request_id, concurrent_to=revisit_id),
            revisit_record(exchange, revisit_id, original, profile),
        )

    def write_metadata(
        self,
        target_uri: str,
        fields: FieldList | None = None,
        *,
        json_data: object = None,
        concurrent_to: str | None = None,
        refers_to: str | None = None,
        date: datetime | None = None,
    ) -> CaptureLocation:
        """Write a ``metadata`` record of warc-fields (or JSON when ``json_data`` is given)."""
        record = metadata_record(
            target_uri,
            self._record_ids(),
            date or self._clock(),
            fields=fields,
            json_data=json_data,
            concurrent_to=concurrent_to,
            refers_to=refers_to,
        )
        return self._append(record)

    def write_conversion(
        self,
        target_uri: str,
        text: str,
        refers_to: str,
        *,
        date: datetime | None = None,
        content_type: str = "text/plain; charset=utf-8",
    ) -> CaptureLocation:
        """Write text extracted from the response record ``refers_to``."""
        record = conversion_record(
            target_uri,
            self._record_ids(),
            date or self._clock(),
            text,
            refers_to,
            content_type=content_type,
        )
        return self._append(record)

    def close(self) -> None:
        """Finish the current file (fsync, rename from ``.open``); later writes fail."""
        with self._lock:
            self._closed = True
            if self._file is not None:
                self._finish()

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _append(self, *records: Record) -> CaptureLocation:
        members = [record.gzip_member(self.compress_level) for record in records]
        with self._lock:
            if self._closed:
                raise ArchiveError("the WARC writer is closed", path=str(self.directory))
            file = self._file if self._file is not None else self._start_file()
            start = self._offset
            try:
                for member in members:
                    file.write(member)
                file.flush()  # to the OS, not the disk: fsync per record would cap the crawl
            except OSError as error:
                path = str(self._open_path)
                self._abandon()
                raise ArchiveError(f"cannot write {path}: {error.strerror}", path=path) from error
            self._offset = start + sum(map(len, members))
            last = records[-1]
            location = CaptureLocation(
                self._name,
                self._offset - len(members[-1]),
                len(members[-1]),
                last.record_id,
                last.payload_digest,
            )
            if self._offset >= self.max_size:
                self._finish()
            return location

    def _start_file(self) -> IO[bytes]:
        now = self._clock()
        stamp = as_utc(now).strftime("%Y%m%d%H%M%S")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            while True:
                name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self._token}.warc.gz"
                self._serial += 1
                open_path = self.directory / (name + OPEN_SUFFIX)
                if (self.directory / name).exists():
                    continue
                try:
                    file = open_path.open("xb")  # exclusive: never append to another's file
                except FileExistsError:
                    continue
                break
            try:
                try_lock(file)  # a new file nobody else holds; marks it live for recovery
                warcinfo = warcinfo_record(name, self._record_ids(), now, self._info)
                member = warcinfo.gzip_member(self.compress_level)
                file.write(member)
            except BaseException:
                file.close()
                raise
        except OSError as error:
            raise ArchiveError(
                f"cannot create a WARC file in {self.directory}: {error.strerror}",
                path=str(self.directory),
            ) from error
        self._file, self._open_path, self._name, self._offset = file, open_path, name, len(member)
        return file

    def _finish(self) -> None:
        file, open_path = self._file, self._open_path
        assert file is not None and open_path is not None
        self._file, self._open_path = None, None
        final = open_path.with_name(self._name)
        try:
            with file:
                file.flush()
                os.fsync(file.fileno())
                open_path.rename(final)  # while still locked: recovery must not take it meanwhile
            fsync_directory(final.parent)
        except OSError as error:
            message = f"cannot close {open_path}: {error.strerror}"
            raise ArchiveError(message, path=str(open_path)) from error
        self.files.append(final)

    def _abandon(self) -> None:
        """Drop a file after a failed write; it stays ``.open`` for ``recover_open_files``."""
        file, self._file, self._open_path = self._file, None, None
        if file is not None:
            # The flush inside close() may fail the same way; recovery cuts the tail.
            with contextlib.suppress(OSError):
                file.close()
