"""The worker processes a crawl hands CPU-heavy work to (finding citations, extracting text,
writing WARC records), so that the reactor keeps fetching.

One fork server serves every pool of a crawl: forking the crawl itself is unsafe (it runs the
reactor's and the WARC writer's threads), so workers are forked from a clean process that has
imported the heavy modules once. Each worker leaves as soon as the crawl that started it is
gone, even if that crawl was killed with SIGKILL and never shut its pools down: the WARC
writer's file is then left ``.open``, cut back to its last whole record by the next crawl.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

logger = logging.getLogger(__name__)

# Imported once by the fork server, so that no worker pays for them again.
PRELOAD = ["crawler.citations", "archive.text", "archive.warc_worker"]
_POLL_SECONDS = 1.0


def process_pool(
    workers: int, setup: Callable[..., None] | None = None, setup_args: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that cannot outlive this one; each runs
    ``setup(*setup_args)`` first."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # only the first pool's call reaches the server
    return ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), setup, setup_args),
    )


def _start_worker(
    crawl_pid: int, setup: Callable[..., None] | None, setup_args: tuple[Any, ...]
) -> None:
    """In a new worker: leave when the crawl process ``crawl_pid`` ends; then ``setup``."""
    threading.Thread(
        target=_exit_when_gone, args=(crawl_pid,), name="citewatch-follow-crawl", daemon=True
    ).start()
    if setup is not None:
        setup(*setup_args)


def _exit_when_gone(crawl_pid: int) -> None:
    try:
        handle = os.pidfd_open(crawl_pid)  # Linux: readable once the process has ended
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd here: look every second instead
        while _alive(crawl_pid):
            time.sleep(_POLL_SECONDS)
        os._exit(1)
    select.select([handle], [], [])
    os._exit(1)  # every record the crawl was told of is flushed; the rest is cut back later


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


class Worker:
    """One worker process that keeps state of its own (a WARC writer, a database connection),
    set up by ``setup(*setup_args)``; ``call`` runs a function of its module there.

    Calls run in the order they were made, one at a time. If the worker dies (killed, out of
    memory), ``on_death`` repairs what it left (its ``.open`` file), ``setup`` runs in this
    process, and every later call runs here: the crawl goes on, on the reactor's thread.
    """

    def __init__(
        self,
        setup: Callable[..., None],
        setup_args: tuple[Any, ...] = (),
        on_death: Callable[[], None] | None = None,
    ) -> None:
        self._setup = setup
        self._setup_args = setup_args
        self._on_death = on_death
        self._pool = process_pool(1, setup, setup_args)
        self._here = False  # True once the worker is gone

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._here:
            try:
                return await asyncio.wrap_future(self._pool.submit(function, *args, **kwargs))
            except BrokenProcessPool:
                self._take_over()
        return function(*args, **kwargs)

    def call_and_wait(self, function: Callable[..., Any], *args: Any) -> Any:
        """``call``, blocking: for the end of a crawl, after every other call."""
        if not self._here:
            try:
                return self._pool.submit(function, *args).result()
            except BrokenProcessPool:
                self._take_over()
        return function(*args)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)

    def pids(self) -> list[int]:
        """The worker's process id, once started (for tests)."""
        return list(self._pool._processes or {})

    def _take_over(self) -> None:
        if self._here:
            return
        self._here = True
        logger.warning("a worker process died; its work goes on in the crawl's process")
        if self._on_death is not None:
            self._on_death()
        self._setup(*self._setup_args)
