"""Read citewatch's WARC records back, with every digest checked, by file and offset."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException

from archive.errors import ArchiveError
from archive.warc_recovery import OPEN_SUFFIX


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record read back, digests checked; ``payload`` is as stored (Content-Encoding kept)."""

    rec_type: str
    rec_headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    payload: bytes
    offset: int
    length: int

    @property
    def record_id(self) -> str:
        return str(self.rec_headers.get_header("WARC-Record-ID"))

    @property
    def target_uri(self) -> str | None:
        value = self.rec_headers.get_header("WARC-Target-URI")
        return None if value is None else str(value)

    def content(self) -> bytes:
        """The payload with its Content-Encoding (gzip, deflate, br) undone."""
        encoding = self.http_headers.get_header("Content-Encoding") if self.http_headers else None
        decoder = str(encoding or "").strip().lower()
        if decoder not in BufferedReader.get_supported_decompressors():
            return self.payload
        return _read_all(BufferedReader(BytesIO(self.payload), decomp_type=decoder))


def read_record(path: str | os.PathLike[str], offset: int) -> StoredRecord:
    """Read and digest-check the record at ``offset``; finds ``path`` + ``.open`` too."""
    file_path = _existing(Path(path))
    try:
        with file_path.open("rb") as stream:
            stream.seek(offset)
            return next(_parse(stream, file_path))
    except StopIteration:
        message = f"no WARC record at offset {offset} of {file_path}"
        raise ArchiveError(message, path=str(path)) from None
    except OSError as error:
        raise ArchiveError(f"cannot read {file_path}: {error.strerror}", path=str(path)) from error


def iter_records(path: str | os.PathLike[str]) -> Iterator[StoredRecord]:
    """Every record of a WARC file in order, digests checked."""
    file_path = _existing(Path(path))
    try:
        with file_path.open("rb") as stream:
            yield from _parse(stream, file_path)
    except OSError as error:
        raise ArchiveError(f"cannot read {file_path}: {error.strerror}", path=str(path)) from error


def _existing(path: Path) -> Path:
    # A capture row names the final file; until the writer closes it, it is still ``.open``.
    if not path.exists():
        candidate = path.with_name(path.name + OPEN_SUFFIX)
        if candidate.exists():
            return candidate
    return path


def _parse(stream: BinaryIO, path: Path) -> Iterator[StoredRecord]:
    records = ArchiveIterator(stream, check_digests="raise")
    try:
        for record in records:
            payload = _read_all(record.raw_stream)
            yield StoredRecord(
                rec_type=record.rec_type,
                rec_headers=record.rec_headers,
                http_headers=record.http_headers,
                payload=payload,
                offset=records.get_record_offset(),
                length=records.get_record_length(),
            )
    except (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, zlib.error) as error:
        message = " ".join(str(error).split())
        raise ArchiveError(f"{path}: damaged WARC record: {message}", path=str(path)) from error


def _read_all(stream: BinaryIO) -> bytes:
    # warcio's readers may return short reads before the end; read until empty.
    chunks = []
    while chunk := stream.read(1024 * 1024):
        chunks.append(chunk)
    return b"".join(chunks)
