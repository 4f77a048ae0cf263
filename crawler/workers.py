"""The worker processes a crawl hands CPU-heavy work to (finding citations, extracting text),
so that the reactor keeps fetching. (Writers that keep state, of WARC files and of the
database, have a worker each: ``crawler.worker``.)

One fork server serves every pool of a crawl: forking the crawl itself is unsafe (it runs the
reactor and threads of its own), so workers are forked from a clean process that has
imported the heavy modules once. Each worker leaves as soon as the crawl that started it is
gone, even if that crawl was killed with SIGKILL and never shut its pools down.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor

# Imported once by the fork server, so that no worker pays for them again: what finding
# citations needs, and, in a crawl that extracts text, trafilatura (seconds of CPU to import,
# wasted in a crawl that does not).
FIND_MODULES = ["crawler.citations"]
TEXT_MODULES = ["archive.text", "trafilatura", "charset_normalizer"]
_POLL_SECONDS = 1.0


def preload(*, text: bool) -> list[str]:
    """The modules a crawl's fork server imports; ``text``: the crawl extracts text."""
    return FIND_MODULES + TEXT_MODULES if text else FIND_MODULES


def process_pool(workers: int, modules: list[str]) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that cannot outlive this one, forked from a server that
    imported ``modules`` (``preload``). Only the crawl's first pool starts the server: give
    every pool of a crawl the same modules."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(modules)
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_follow, initargs=(os.getpid(),)
    )


def _follow(crawl_pid: int) -> None:
    """In a new worker: leave when the crawl process ``crawl_pid`` ends."""
    threading.Thread(
        target=_exit_when_gone, args=(crawl_pid,), name="citewatch-follow-crawl", daemon=True
    ).start()


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
    os._exit(1)  # no clean-up to do: a worker holds no file the crawl writes to


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True
