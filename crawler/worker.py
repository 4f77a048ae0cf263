"""A worker process that keeps state of its own (a WARC writer, a database connection), driven
from the crawl's event loop.

Calls go to ``python -m crawler.worker_main`` over a pipe, written and read by the event loop
itself: no thread in the crawl's process takes the interpreter lock for them. (A one-process
``ProcessPoolExecutor`` adds two such threads; measured on a 1,050-page crawl they used more
CPU than the WARC worker itself, pickling and piping bodies.)

Calls run in the order they were made, one at a time. If the worker dies (killed, out of
memory), ``on_death`` repairs what it left (its ``.open`` file), ``setup`` runs in this
process, and every call from then on runs here, on the event loop's thread. A call the worker
had done but not yet answered is done again here.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.worker_main import HEADER

logger = logging.getLogger(__name__)

# Linux: a pipe of 1 MiB, so a page's body goes across in one write, not sixteen.
_F_SETPIPE_SZ = 1031
_PIPE_SIZE = 1 << 20


class WorkerGone(Exception):
    """The worker process ended before it answered."""


class Worker:
    def __init__(
        self,
        setup: Callable[..., None],
        setup_args: tuple[Any, ...] = (),
        on_death: Callable[[], None] | None = None,
        teardown: Callable[[], None] | None = None,
    ) -> None:
        """``setup(*setup_args)`` is the worker's first call, ``teardown()`` its last (on close,
        if it was started at all); ``on_death`` repairs what a dead worker left."""
        self._setup = setup
        self._setup_args = setup_args
        self._teardown = teardown
        self._on_death = on_death
        self._started: asyncio.Future[None] | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._waiting: deque[asyncio.Future[Any]] = deque()  # answers due, oldest first
        self._unsent: deque[bytes] = deque()  # calls made while the process was starting
        self._reader: asyncio.Task[None] | None = None
        self._here = False  # True once the worker is gone

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def started(self) -> bool:
        """Whether the worker was started (it may since have died and handed over to us)."""
        return self._started is not None or self._here

    def start(self) -> None:
        """Start the worker now, without waiting for it: its imports and set-up then overlap
        whatever the caller does before its first call. Call from the event loop's thread;
        without a running loop, the first call starts it."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if not self.started:
            self._begin()

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``, in the worker (started on the first call)."""
        if not self._here:
            try:
                return await self._send(function, args, kwargs)
            except WorkerGone:
                self._take_over()
        return function(*args, **kwargs)

    async def close(self) -> None:
        """Let the worker finish what it was asked, tear it down, then end it. A worker never
        started is left alone: there is nothing to tear down."""
        if not self.started:
            return
        try:
            if self._teardown is not None:
                await self.call(self._teardown)
        finally:
            await self._end()

    async def _end(self) -> None:
        if self._started is not None:
            with contextlib.suppress(Exception):  # a start that failed left nothing to end
                await self._started
        if self._process is None or self._here:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()
        await self._process.wait()
        if self._reader is not None:
            await self._reader

    def _begin(self) -> None:
        """The set-up call, first in line, and the process started in the background."""
        set_up = asyncio.get_running_loop().create_future()
        self._waiting.append(set_up)
        self._unsent.append(_message(self._setup, self._setup_args, {}))
        self._started = asyncio.ensure_future(self._spawn(set_up))
        # If it fails, the first call awaits the same start and gets its error.
        self._started.add_done_callback(_ignore_failure)

    async def _spawn(self, set_up: asyncio.Future[Any]) -> None:
        environment = dict(os.environ)
        project = str(Path(__file__).resolve().parent.parent)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [project, environment.get("PYTHONPATH")])
        )
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "crawler.worker_main",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=environment,
            )  # fmt: skip
        except OSError as error:  # no process to be had: the work is done here instead
            raise WorkerGone from error
        assert self._process.stdin is not None
        pipe = self._process.stdin.get_extra_info("pipe")
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
        self._reader = asyncio.ensure_future(self._read_answers())
        # The calls made while it started, in the order they were made, the set-up first.
        while self._unsent:
            self._process.stdin.write(self._unsent.popleft())
        ok, value = await set_up
        if not ok:
            raise value

    async def _send(self, function: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        if self._started is None:
            self._begin()
        if self._reader is not None and self._reader.done():
            raise WorkerGone
        # Queued or written before the first await: the worker takes calls in the order made.
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        message = _message(function, args, kwargs)
        if self._process is not None and not self._unsent:
            assert self._process.stdin is not None
            self._process.stdin.write(message)
        else:
            self._unsent.append(message)
        assert self._started is not None
        try:
            await self._started
            assert self._process is not None and self._process.stdin is not None
            await self._process.stdin.drain()
        except (ConnectionError, BrokenPipeError) as error:
            answer.cancel()
            raise WorkerGone from error
        except BaseException:
            answer.cancel()  # not waited for: its answer, if any, is dropped
            raise
        ok, value = await answer
        if not ok:
            raise value
        return value

    async def _read_answers(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        try:
            while True:
                (size,) = HEADER.unpack(await stdout.readexactly(HEADER.size))
                answer = pickle.loads(await stdout.readexactly(size))  # noqa: S301 (our own child)
                waiting = self._waiting.popleft()
                if not waiting.done():  # a caller that gave up has cancelled it
                    waiting.set_result(answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the worker ended: on close, or it died
        while self._waiting:
            waiting = self._waiting.popleft()
            if not waiting.done():
                waiting.set_exception(WorkerGone())

    def _take_over(self) -> None:
        if self._here:
            return
        self._here = True
        logger.warning("a worker process died; its work goes on in the crawl's process")
        if self._on_death is not None:
            self._on_death()
        self._setup(*self._setup_args)


def _message(function: Callable[..., Any], args: Any, kwargs: Any) -> bytes:
    """A call as the worker reads it: its length, then its pickle."""
    data = pickle.dumps((function, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def _ignore_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # marks it retrieved: the caller that awaits the task raises it
