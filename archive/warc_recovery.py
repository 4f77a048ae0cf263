"""Repair WARC files that a killed writer left behind as ``*.warc.gz.open``.

A writer appends one gzip member per record, so a crash leaves whole members followed by at
most one partial member (or, after a power cut, zeros). Recovery keeps the longest prefix of
members that each decompress completely (gzip's CRC-32 checks the bytes) and hold exactly one
whole WARC record, cuts the rest and gives the file its final name.

A file with nothing but a ``warcinfo`` record (or not even that) is deleted: it holds no
capture, and no database row can point into it because rows are written only after their
record is flushed.

Writers hold an exclusive ``flock`` on their ``.open`` file, so recovery skips files that a
live process is still writing (POSIX only, like the rest of the crawler).
"""

from __future__ import annotations

import fcntl
import os
import zlib
from pathlib import Path
from typing import BinaryIO, NamedTuple

from archive.errors import ArchiveError

OPEN_SUFFIX = ".open"
_CHUNK = 256 * 1024
# A WARC header block this long is not one we wrote; stop buffering and call it damage.
_MAX_HEAD = 1024 * 1024


class Recovered(NamedTuple):
    """One repaired file: its final path (or the deleted ``.open`` path when nothing was kept)."""

    path: Path
    records_kept: int
    bytes_cut: int


def try_lock(file: BinaryIO) -> bool:
    """Take an exclusive advisory lock on ``file`` without waiting; False if another holds it."""
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (the rename lives in the directory's inode)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def recover_open_files(directory: str | os.PathLike[str]) -> list[Recovered]:
    """Repair every orphaned ``*.warc.gz.open`` file in ``directory``; see the module doc."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    results = []
    for open_path in sorted(folder.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        result = recover_file(open_path)
        if result is not None:
            results.append(result)
    return results


def recover_file(open_path: Path) -> Recovered | None:
    """Repair one ``.open`` file; None when a live writer holds it or it has just gone."""
    final = open_path.with_name(open_path.name.removesuffix(OPEN_SUFFIX))
    try:
        with open_path.open("r+b") as file:
            if not try_lock(file):
                return None
            size = file.seek(0, os.SEEK_END)
            good_end, records, captures = scan_members(file)
            if captures == 0:
                open_path.unlink()
                return Recovered(open_path, 0, size)
            if final.exists():
                raise ArchiveError(
                    f"cannot recover {open_path.name}: {final.name} already exists; "
                    "move one of them out of the WARC directory",
                    path=str(open_path),
                )
            file.truncate(good_end)
            file.flush()
            os.fsync(file.fileno())
            # Renamed while still locked, so a second recovering process cannot interleave.
            open_path.rename(final)
    except FileNotFoundError:
        return None  # its writer closed it between the directory listing and now
    except OSError as error:
        raise ArchiveError(
            f"cannot recover WARC file {open_path}: {error.strerror or error}", path=str(open_path)
        ) from error
    fsync_directory(final.parent)
    return Recovered(final, records, size - good_end)


def scan_members(stream: BinaryIO) -> tuple[int, int, int]:
    """Walk gzip members from the start of ``stream`` while each holds one whole WARC record.

    Returns (end offset of the last good member, records, records other than warcinfo).
    Memory stays bounded by one record, as each ``decompress`` call stops at a member's end.
    """
    stream.seek(0)
    good_end = records = captures = 0
    member_start = fed = 0
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    check = _RecordCheck()
    pending = b""
    while True:
        if not pending:
            pending = stream.read(_CHUNK)
            if not pending:
                break  # end of file: a member still open here is incomplete
        try:
            check.feed(inflater.decompress(pending))
        except zlib.error:
            break  # garbage, zeros or a damaged member
        if not inflater.eof:
            fed += len(pending)
            pending = b""
            continue
        rest = inflater.unused_data
        member_end = member_start + fed + len(pending) - len(rest)
        if not check.complete():
            break
        records += 1
        captures += check.rec_type != "warcinfo"
        good_end = member_start = member_end
        fed, pending = 0, rest
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        check = _RecordCheck()
    return good_end, records, captures


class _RecordCheck:
    """Follows one member's decompressed bytes: is it exactly one whole WARC record?"""

    def __init__(self) -> None:
        self._head = bytearray()
        self._parsed = False
        self._seen = 0
        self._tail = b""
        self.content_length = -1
        self.rec_type = ""
        self.bad = False

    def feed(self, data: bytes) -> None:
        if self.bad or not data:
            return
        if not self._parsed:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                self.bad = len(self._head) > _MAX_HEAD
                return
            self._parse_head(bytes(self._head[:end]))
            data = bytes(self._head[end + 4 :])
            self._head = bytearray()
            self._parsed = True
        self._seen += len(data)
        self._tail = (self._tail + data[-4:])[-4:]

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        if lines[0] not in (b"WARC/1.0", b"WARC/1.1"):
            self.bad = True
            return
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            if key == b"content-length":
                try:
                    self.content_length = int(value.strip())
                except ValueError:
                    self.bad = True
            elif key == b"warc-type":
                self.rec_type = value.strip().decode("latin-1")
        if self.content_length < 0:
            self.bad = True

    def complete(self) -> bool:
        """True when the record ended exactly at its Content-Length plus the two CRLFs."""
        return (
            self._parsed
            and not self.bad
            and self._seen == self.content_length + 4
            and self._tail == b"\r\n\r\n"
        )
