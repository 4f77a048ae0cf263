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
    ) -> None:
        self._setup = setup
        self._setup_args = setup_args
        self._on_death = on_death
        self._started: asyncio.Future[None] | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._waiting: deque[asyncio.Future[Any]] = deque()  # answers due, oldest first
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
            self._started = asyncio.ensure_future(self._spawn())
            # If it fails, the first call awaits the same start and gets its error, as when
            # that call starts the worker itself.
            self._started.add_done_callback(_ignore_failure)

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``, in the worker (started on the first call)."""
        if not self._here:
            try:
                await self._start()
                return await self._send(function, args, kwargs)
            except WorkerGone:
                self._take_over()
        return function(*args, **kwargs)

    async def close(self) -> None:
        """Let the worker finish what it was asked, then end it."""
        if self._process is None or self._here:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()
        await self._process.wait()
        if self._reader is not None:
            await self._reader

    async def _start(self) -> None:
        if self._started is None:
            self._started = asyncio.ensure_future(self._spawn())
        await self._started

    async def _spawn(self) -> None:
        environment = dict(os.environ)
        project = str(Path(__file__).resolve().parent.parent)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [project, environment.get("PYTHONPATH")])
        )
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "crawler.worker_main",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=environment,
        )  # fmt: skip
        assert self._process.stdin is not None
        pipe = self._process.stdin.get_extra_info("pipe")
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
        self._reader = asyncio.ensure_future(self._read_answers())
        await self._send(self._setup, self._setup_args, {})

    async def _send(self, function: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        assert self._process is not None and self._process.stdin is not None
        if self._reader is not None and self._reader.done():
            raise WorkerGone
        message = pickle.dumps((function, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        self._process.stdin.write(HEADER.pack(len(message)) + message)
        try:
            await self._process.stdin.drain()
        except (ConnectionError, BrokenPipeError) as error:
            raise WorkerGone from error
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
                self._waiting.popleft().set_result(answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the worker ended: on close, or it died
        while self._waiting:
            self._waiting.popleft().set_exception(WorkerGone())

    def _take_over(self) -> None:
        if self._here:
            return
        self._here = True
        logger.warning("a worker process died; its work goes on in the crawl's process")
        if self._on_death is not None:
            self._on_death()
        self._setup(*self._setup_args)


def _ignore_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # marks it retrieved: the caller that awaits the task raises it
