"""A worker process's loop (``python -m crawler.worker_main``), run by ``crawler.worker.Worker``.

It reads calls from stdin and writes their results to stdout, one at a time, in order. Each
message is an 8-byte big-endian length and a pickle: a call is ``(function, args, kwargs)``,
a result ``(True, value)`` or ``(False, exception)``. It leaves when stdin ends: when the crawl
is done with it, and when the crawl is gone, even if it was killed with SIGKILL.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from typing import IO, Any

HEADER = struct.Struct("!Q")


def serve(calls: IO[bytes], results: IO[bytes]) -> None:
    while (message := _read(calls)) is not None:
        function, args, kwargs = pickle.loads(message)  # noqa: S301 (from the crawl)
        try:
            result: tuple[bool, Any] = (True, function(*args, **kwargs))
        except Exception as error:  # the caller gets it raised, as from a local call
            result = (False, error)
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an answer that cannot cross: say what it was
            data = pickle.dumps((False, RuntimeError(f"unpicklable result: {error}")))
        results.write(HEADER.pack(len(data)) + data)
        results.flush()


def _read(stream: IO[bytes]) -> bytes | None:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    message = stream.read(size)
    return message if len(message) == size else None


def main() -> None:
    # Results go to the real stdout alone; anything printed goes to stderr, the crawl's log.
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, results)


if __name__ == "__main__":
    main()
