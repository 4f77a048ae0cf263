"""CDXJ indexes of the closed WARC files, in the form pywb (and other CDXJ readers) replay from.

    DATA/indexes/per-warc/<WARC file name>.cdxj   one sorted index per closed WARC file
    DATA/indexes/index.cdxj                       all of them merged and sorted: replay reads this

A WARC file is indexed again only when it is newer than its index, so a run after a crawl costs
the new files plus one streaming merge. Files still being written (``….open``) wait for the next
run. Every index is written under a temporary name and renamed, so a replay server reading
``index.cdxj`` meanwhile sees the old index or the new one, never half of one.
"""

from __future__ import annotations

import heapq
import io
import os
import secrets
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from cdxj_indexer import CDXJIndexer

from archive.errors import ArchiveError

INDEX_NAME = "index.cdxj"
PARTS_DIR = "per-warc"
INDEX_SUFFIX = ".cdxj"
WARC_SUFFIXES = (".warc.gz", ".warc")
# What replay serves: what each URL answered. Request records matter only to POST lookups,
# which we never make; our metadata records (citations found, fetch errors) and conversion
# records (extracted text) describe a capture, and pywb would replay them as if the URL had
# answered with them.
REPLAYED_RECORDS = "response,revisit,resource"
# pywb (since 2.6.8) replays a revisit with the revisit's own HTTP head: a "304 Not Modified"
# revisit would replay as an empty 304. Left out of the index, replay at its time serves the
# closest capture: the response the 304 confirmed.
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# The most index files one merge holds open (the usual limit is 1024 per process).
_MAX_OPEN = 256


def index_warcs(warcs: Path, indexes: Path) -> dict[str, Any]:
    """Index each closed WARC file in ``warcs`` that is new or changed, then merge them all.

    Returns the ``citewatch index --json`` data: ``files_indexed``, ``records`` (index lines
    written for them), ``skipped`` (already up to date), ``open`` (still being written),
    ``dropped`` (indexes of WARC files that are gone), ``index`` (the merged file, ``None`` when
    there is nothing to index) and ``index_records``, plus ``files`` (each file indexed with its
    line count) and ``warcs``, the folder that was read.
    """
    closed, still_open = _warc_files(warcs)
    parts_dir = indexes / PARTS_DIR
    merged = indexes / INDEX_NAME
    result: dict[str, Any] = {
        "warcs": str(warcs),
        "files_indexed": 0,
        "records": 0,
        "skipped": 0,
        "open": len(still_open),
        "dropped": 0,
        "index": None,
        "index_records": 0,
        "files": [],
    }
    if not closed and not parts_dir.is_dir():
        return result  # nothing to index, and nothing to create

    _make_dirs(parts_dir)
    parts = []
    for warc in closed:
        part = parts_dir / (warc.name + INDEX_SUFFIX)
        parts.append(part)
        if _is_current(part, warc):
            result["skipped"] += 1
            continue
        lines = _index_one(warc, part)
        result["files"].append({"warc": warc.name, "records": lines})
        result["files_indexed"] += 1
        result["records"] += lines
    result["dropped"] = _drop_stale_parts(parts_dir, {part.name for part in parts})

    if not parts:
        _remove(merged)
        return result
    changed = result["files_indexed"] or result["dropped"]
    if changed or not merged.exists() or any(not _is_current(merged, part) for part in parts):
        result["index_records"] = _merge(parts, merged)
    else:
        result["index_records"] = _count_lines(merged)
    result["index"] = str(merged)
    return result


def _warc_files(warcs: Path) -> tuple[list[Path], list[Path]]:
    """The closed WARC files in ``warcs`` (sorted by name) and those still open."""
    if not warcs.is_dir():
        return [], []
    closed, still_open = [], []
    for path in sorted(warcs.iterdir()):
        if path.name.endswith(WARC_SUFFIXES) and path.is_file():
            closed.append(path)
        elif path.name.endswith(tuple(suffix + ".open" for suffix in WARC_SUFFIXES)):
            still_open.append(path)
    return closed, still_open


def _is_current(index: Path, source: Path) -> bool:
    """True when ``index`` exists and was written after ``source`` last changed."""
    try:
        return index.stat().st_mtime_ns >= source.stat().st_mtime_ns
    except FileNotFoundError:
        return False


class _Indexer(CDXJIndexer):
    def filter_record(self, record: Any) -> bool:
        if record.rec_type == "revisit":
            return bool(record.rec_headers.get_header("WARC-Profile") != NOT_MODIFIED_PROFILE)
        return bool(super().filter_record(record))


def _index_one(warc: Path, part: Path) -> int:
    """Write the sorted CDXJ index of ``warc`` to ``part``; returns its number of lines."""

    def write(out: IO[bytes]) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
        _Indexer(output=text, inputs=[str(warc)], sort=True, records=REPLAYED_RECORDS).process_all()
        text.flush()
        text.detach()  # ``out`` stays open: _write_atomically closes it

    try:
        _write_atomically(part, write)
    except ArchiveError:
        raise
    except OSError as exc:  # the WARC unreadable, or the index folder full or read-only
        raise ArchiveError(f"cannot index {warc}: {exc.strerror}", path=str(warc)) from None
    except Exception as exc:
        # warcio and cdxj-indexer fail on damaged files with whatever error the damage causes
        # (ArchiveLoadFailed, zlib.error, a TypeError on a header that is missing...).
        raise ArchiveError(
            f"cannot index {warc}: not a readable WARC file ({type(exc).__name__}); "
            f"check it with: warcio check {warc}",
            path=str(warc),
        ) from None
    return _count_lines(part)


def _merge(parts: list[Path], merged: Path) -> int:
    """Merge the sorted ``parts`` into ``merged`` (byte order, as pywb compares); count lines."""
    if len(parts) > _MAX_OPEN:  # heapq.merge holds every input open: merge in rounds
        with tempfile.TemporaryDirectory(dir=merged.parent, suffix=".tmp") as scratch:
            batches = []
            for start in range(0, len(parts), _MAX_OPEN):
                batches.append(Path(scratch) / f"{start}{INDEX_SUFFIX}")
                _merge(parts[start : start + _MAX_OPEN], batches[-1])
            return _merge(batches, merged)
    count = 0

    def write(out: IO[bytes]) -> None:
        nonlocal count
        with ExitStack() as stack:
            inputs = [stack.enter_context(part.open("rb")) for part in parts]
            for line in heapq.merge(*inputs):
                out.write(line if line.endswith(b"\n") else line + b"\n")
                count += 1

    try:
        _write_atomically(merged, write)
    except OSError as exc:
        raise ArchiveError(f"cannot write {merged}: {exc.strerror}", path=str(merged)) from None
    return count


def _write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``.

    The temporary name ends in ``.tmp`` so that pywb, which loads every ``*.cdxj`` of a
    folder it is pointed at, never reads a half-written index.
    """
    # Not mkstemp: its files are private (0600), and an index is as readable as the WARCs.
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        out = temporary.open("xb")
    except OSError as exc:
        raise ArchiveError(
            f"cannot write in {path.parent}: {exc.strerror}", path=str(path)
        ) from None
    try:
        with out:
            write(out)
        temporary.replace(path)
    except BaseException:
        _remove(temporary)
        raise


def _drop_stale_parts(parts_dir: Path, keep: set[str]) -> int:
    """Delete the indexes of WARC files that are no longer there; returns how many."""
    stale = [p for p in parts_dir.glob("*" + INDEX_SUFFIX) if p.name not in keep]
    for part in stale:
        _remove(part)
    return len(stale)


def _count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for _ in stream)


def _make_dirs(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(f"cannot create {folder}: {exc.strerror}", path=str(folder)) from None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ArchiveError(f"cannot remove {path}: {exc.strerror}", path=str(path)) from None
