"""``citewatch schedule``: the service that rechecks every watch as it falls due.

One APScheduler interval job, kept in the citewatch database, wakes every ``tick`` and runs one
crawl of whatever is due: each watch's own interval lives in ``watches.next_due``, so due work
is batched into one crawl rather than one job per watch (100,000 jobs would not scale).

Each crawl is a child process running ``citewatch crawl`` (``crawler.launcher``, which forks
it ready to fetch): Scrapy's reactor cannot restart inside one process, and a child that is
stopped or crashes leaves the service running. The job runs at most once at a time
(``max_instances=1``) and ticks missed while the service was down run once (``coalesce``).
SIGINT or SIGTERM passes SIGINT on to a running crawl, which Scrapy stops cleanly after the
requests in flight; then the service exits.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from archive import watchlist
from archive.config import Config
from archive.datadir import DataDir
from archive.events import list_events
from archive.store import Store
from archive.times import iso, utcnow
from crawler.launcher import Launched

JOB_ID = "citewatch-recheck"
JOBS_TABLE = "scheduler_jobs"

log = logging.getLogger("citewatch.schedule")


@dataclass
class CrawlReport:
    """What one scheduled crawl did, for its log line."""

    started: datetime
    code: int
    summary: dict[str, Any] | None
    error: str = ""
    events: Counter[str] = field(default_factory=Counter)
    died: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def line(self) -> str:
        when = iso(self.started)
        if self.summary is None:
            return f"{when} crawl failed (exit {self.code}): {self.error or 'no summary'}"
        s = self.summary
        told = ", ".join(f"{kind} {count}" for kind, count in sorted(self.events.items()))
        parts = [
            f"{when} crawl {s.get('finish_reason')}: {s['articles']} article(s), "
            f"{s['sources']} source(s) checked, {s['new']} new capture(s), "
            f"{s['failed']} failed",
            f"events: {told or 'none'}",
        ]
        if self.changed:
            parts.append("changed: " + " ".join(self.changed))
        if self.died:
            parts.append("died: " + " ".join(self.died))
        return "; ".join(parts)


class Service:
    """Runs due crawls, one at a time, each in a child process."""

    def __init__(self, data: DataDir, config: Config) -> None:
        self.data = data
        self.config = config
        self.child: Launched | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def has_due_work(self) -> bool:
        store = Store.open(self.config.database.url)
        try:
            return next(iter(watchlist.due_watches(store, utcnow(), batch=1)), None) is not None
        finally:
            store.close()

    def crawl_due(self) -> CrawlReport | None:
        """One crawl of everything due now; None when nothing is due or the service is stopping."""
        if self.stopping.is_set() or not self.has_due_work():
            return None
        started = utcnow()
        with self._lock:
            if self.stopping.is_set():
                return None
            # In a session of its own: a Ctrl-C at the terminal reaches the service alone,
            # which passes on exactly one SIGINT (a second one makes Scrapy stop uncleanly).
            self.child = Launched(["--data", str(self.data.root), "crawl", "--json"])
        code, out, err = self.child.wait()
        with self._lock:
            self.child = None
        error = "stopped before it finished" if self.stopping.is_set() else _last_line(err)
        report = CrawlReport(started, code, _summary(out), error=error)
        self._count_events(report)
        log.info(report.line())
        return report

    def stop(self) -> None:
        """Stop after the crawl in progress has finished the requests it has in flight."""
        self.stopping.set()
        with self._lock:
            if self.child is not None:
                self.child.send_signal(signal.SIGINT)  # Scrapy: graceful shutdown

    def _count_events(self, report: CrawlReport) -> None:
        store = Store.open(self.config.database.url)
        try:
            for event in list_events(store, since=report.started)["events"]:
                report.events[event["kind"]] += 1
                if event["kind"] == "died":
                    report.died.append(event["url"])
                elif event["kind"] == "changed":
                    report.changed.append(event["url"])
        finally:
            store.close()


# APScheduler keeps jobs in the database by reference to a module-level function, so the
# running service is found here rather than pickled into the job.
_service: Service | None = None


def recheck_due() -> None:
    """The scheduled job: one crawl of what is due now."""
    if _service is not None:
        _service.crawl_due()


def serve(service: Service, tick_seconds: int) -> None:
    """Run until SIGINT or SIGTERM, waking every ``tick_seconds`` to crawl what is due."""
    global _service
    _service = service
    scheduler = BlockingScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(url=service.config.database.url, tablename=JOBS_TABLE)
        },
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC",
    )
    scheduler.add_job(
        recheck_due,
        "interval",
        seconds=tick_seconds,
        id=JOB_ID,
        replace_existing=True,
        next_run_time=utcnow(),  # catch up at once on whatever fell due while stopped
    )

    # Not from inside the handler: shutdown waits for the running job to finish.
    stopper = threading.Thread(target=scheduler.shutdown, name="citewatch-stop")

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if service.stopping.is_set():
            return
        log.info(f"{iso(utcnow())} {signal.Signals(signum).name}: stopping after this crawl")
        scheduler.pause()  # no new run from here on, so shutdown meets no job being submitted
        service.stop()
        stopper.start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        f"{iso(utcnow())} citewatch schedule: checking for due watches every {tick_seconds}s "
        f"(data: {service.data.root})"
    )
    try:
        scheduler.start()
        if stopper.is_alive():
            stopper.join()  # start() returns at once; the crawl in progress ends first
    finally:
        _service = None
    log.info(f"{iso(utcnow())} stopped")


def _summary(out: str) -> dict[str, Any] | None:
    try:
        value = json.loads(out)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _last_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    return lines[-1] if lines else ""
