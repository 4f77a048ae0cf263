"""`python -m tests.fakeweb [--port N]`: print the base URL first, then serve until a signal."""

from __future__ import annotations

import argparse
import signal
import threading

from tests.fakeweb import FakeWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeweb", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with FakeWeb(port=args.port) as web:
        # The parent reads this line to learn the port: flush it now, not at exit.
        print(web.base_url, flush=True)
        # wait() with a timeout so the signal handler gets to run promptly on every platform.
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
