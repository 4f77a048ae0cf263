"""The store's CPU per unchanged check: judging and recording a recheck that found nothing new.

`python bench/store.py` makes a fresh SQLite database of N sources, each with one captured
~20 KB French text (a first crawl's rows), then records a recheck of all of them in batches of
200, as a crawl's store worker does (`archive.checks.record_many`): every outcome a `304`
revisit. In the same run, as the baseline, it inserts the very rows such a recheck adds (a
capture and a check per source) with plain many-row INSERTs, in the same batches: the cost of
writing alone, with no judging. Each is timed in CPU seconds, several rounds (after one that
warms up), each round on a fresh copy of the database; the figures are the medians, and their
ratio.

In a crawl this work runs in the store's worker process, beside the reactor, on a machine whose
cores the whole crawl shares: every millisecond here is a millisecond a recheck of 10,000 pages
takes from the rest of the crawl ten thousand times.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import machine, results_file

from archive import checks
from archive.schema import captures
from archive.schema import checks as checks_table
from archive.store import Store
from archive.text import ExtractedText

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "tests" / "fixtures" / "text" / "alep-article.txt"
BATCH = 200
FIRST = datetime(2026, 11, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=2000, help="sources rechecked (2000)")
    parser.add_argument("--runs", type=int, default=3, help="rounds of each (median)")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citewatch-bench-store-") as tmp:
        template = Path(tmp) / "template.db"
        first_crawl(template, args.sources)
        judged, written = [], []
        # One more round than counted: the first loads modules and fills SQLAlchemy's caches.
        for run in range(args.runs + 1):
            judged.append(timed(template, Path(tmp) / f"judged-{run}.db", recheck))
            written.append(timed(template, Path(tmp) / f"written-{run}.db", bare_inserts))
        judged, written = judged[1:], written[1:]
    per_check = {
        "record_many": statistics.median(judged) / args.sources * 1000,
        "bare_inserts": statistics.median(written) / args.sources * 1000,
    }
    ratio = per_check["record_many"] / per_check["bare_inserts"]
    print(f"{args.sources} unchanged checks, {args.runs} rounds, medians:")
    print(f"  record_many (judged and written): {per_check['record_many']:.2f} ms CPU a check")
    print(f"  bare inserts of the same rows:    {per_check['bare_inserts']:.2f} ms CPU a check")
    print(f"  ratio: {ratio:.1f}")
    save_to = results_file("store", args.no_save)
    if save_to is not None:
        save_to.parent.mkdir(exist_ok=True)
        result = {
            **machine(),
            "options": vars(args),
            "ms_cpu_per_check": per_check,
            "ratio": ratio,
            "runs": {"record_many": judged, "bare_inserts": written},
        }
        save_to.write_text(json.dumps(result, indent=1) + "\n")
        print(f"results: {save_to.relative_to(HERE.parent)}")


def first_crawl(path: Path, sources: int) -> None:
    """``sources`` pages with one captured text each, as a first crawl leaves them."""
    words = SAMPLE.read_text(encoding="utf-8")
    text = (words * (20_000 // len(words) + 1))[:20_000]
    store = Store.open(f"sqlite:///{path}")
    record_in_batches(store, [_outcome(n, FIRST, text) for n in range(sources)])
    store.close()


def recheck(store: Store, sources: int) -> None:
    when = FIRST + timedelta(days=1)
    record_in_batches(store, [_outcome(n, when) for n in range(sources)])


def record_in_batches(store: Store, outcomes: list[checks.CheckOutcome]) -> None:
    for start in range(0, len(outcomes), BATCH):
        checks.record_many(store, outcomes[start : start + BATCH])


def _outcome(n: int, when: datetime, text: str | None = None) -> checks.CheckOutcome:
    """Source ``n`` answered with ``text`` (a first capture), or, without, a ``304`` revisit."""
    if text is None:
        return checks.CheckOutcome(
            url=_url(n), checked_at=when, http_status=200,
            captures=[_capture(n, "revisit", when, 304)], headers={"etag": f'"{n}"'},
        )  # fmt: skip
    return checks.CheckOutcome(
        url=_url(n), checked_at=when, http_status=200,
        captures=[_capture(n, "response", when, 200)],
        text=ExtractedText(f"{n} {text}", title=f"Source {n}"),
        headers={"content-type": "text/html; charset=utf-8"},
    )  # fmt: skip


def bare_inserts(store: Store, sources: int) -> None:
    when = FIRST + timedelta(days=1)
    for start in range(0, sources, BATCH):
        ids = range(start + 1, min(start + BATCH, sources) + 1)  # page ids follow the URLs
        with store.write() as conn:
            rows = [{"page_id": page_id, **_capture_columns(page_id - 1, when)} for page_id in ids]
            inserted = conn.execute(
                captures.insert().returning(captures.c.id, sort_by_parameter_order=True), rows
            ).scalars()
            conn.execute(
                checks_table.insert(),
                [
                    {"page_id": page_id, "checked_at": when, "state": "ok", "reason": None,
                     "http_status": 200, "capture_id": capture_id}
                    for page_id, capture_id in zip(ids, inserted, strict=True)
                ],
            )  # fmt: skip


def timed(template: Path, path: Path, work: Callable[[Store, int], None]) -> float:
    """CPU seconds of ``work`` on a fresh copy of the first crawl's database."""
    shutil.copyfile(template, path)
    store = Store.open(f"sqlite:///{path}")
    with store.engine.connect() as conn:
        sources = conn.exec_driver_sql("SELECT count(*) FROM pages").scalar() or 0
    started = time.process_time()
    work(store, int(sources))
    spent = time.process_time() - started
    store.close()
    return spent


def _url(n: int) -> str:
    return f"http://127.0.0.1:8/s/{n}.html"


def _capture(n: int, kind: str, when: datetime, status: int) -> checks.CapturedResponse:
    return checks.CapturedResponse(
        url=_url(n), fetched_at=when, http_status=status, mime="text/html",
        warc_file="bench.warc.gz", warc_offset=n * 1000, warc_length=900,
        record_id=f"<urn:uuid:{kind}-{n}>", payload_digest=f"sha1:PAYLOAD{n}",
        record_type=kind, etag=f'"{n}"',
    )  # fmt: skip


def _capture_columns(n: int, when: datetime) -> dict[str, object]:
    hop = _capture(n, "revisit", when, 304)
    return {
        "url": hop.url, "fetched_at": when, "record_type": hop.record_type,
        "http_status": hop.http_status, "mime": hop.mime, "payload_digest": hop.payload_digest,
        "warc_file": hop.warc_file, "warc_offset": hop.warc_offset,
        "warc_length": hop.warc_length, "warc_record_id": hop.record_id, "etag": hop.etag,
    }  # fmt: skip


if __name__ == "__main__":
    main()
