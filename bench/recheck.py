"""Recheck throughput, storage growth and memory: `citewatch crawl --all` vs bare Scrapy.

One command, from the virtualenv citewatch is installed in: `python bench/recheck.py`
(`--quick` for a smoke run, `--help` for the rest). It serves a seeded site from its own server
on 127.0.0.1 (started from this file: `recheck.py _serve`): articles that each cite sources of
their own, every page with an ETag and a Last-Modified, answering 304 to a matching
If-None-Match / If-Modified-Since. citewatch watches the articles and crawls everything once
(not measured); then, in rounds, each mode is rechecked by two subprocesses in turn:

  (a) every page unchanged, the server answers 304 to conditional requests;
  (b) every page unchanged, the server ignores conditional headers (200 with the full body);
  (c) 10% of the sources changed since the last crawl, conditional requests honoured;

by `citewatch --data DIR crawl --all --json` and by a bare Scrapy spider (`recheck.py _bare`, no
citewatch component) requesting the same URLs with the validators of the last crawl. checks/s
is requests over the crawl phase (first request the server sees to the exit of the process);
the server counts 200s and 304s per run, so the report says what each variant really got.
Bytes added to the data directory (WARCs, database, WAL) are measured around every recheck.

Then the memory part: a watch list of 100,000 articles (`add --file`) against one of 1,000,
with all but a few watches moved out of due time, and the peak RSS (wait4) of `add`, of
`crawl` with none and with a few due, and of `schedule --once`. Results go to
bench/results/recheck-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

from crawl import Child, citewatch_command, run_child  # bench/crawl.py: the same child runner
from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
TARGETS = {"ratio_a": 0.7, "ratio_b": 0.7, "bytes_per_unchanged_check": 2048, "rss_mib": 300}
MODES = {
    "a": "unchanged, 304 to conditional requests",
    "b": "unchanged, 200 (conditional headers ignored)",
    "c": "10% of sources changed, conditional honoured",
}
VARIANTS = {"bare": "bare Scrapy", "citewatch": "citewatch crawl --all"}
BASE_DATE = 1479722400  # Mon, 21 Nov 2016 10:00:00 GMT: every page's first Last-Modified
console = Console(width=None if sys.stdout.isatty() else 140)


# --- the site and its server (a subprocess: `recheck.py _serve`) ---------------------------


def _paragraphs(seed: int, count: int = 400) -> list[bytes]:
    """A pool of paragraphs; each page is its own selection of them, so no two pages match."""
    rng = random.Random(seed)  # noqa: S311 - seeded page text, not secrets
    words = (  # noqa: SIM905 - a word list reads better as text
        "the of and to in that for on with as by from at about after before during against "
        "government minister report officials statement according sources said told week year "
        "city region border agreement talks vote court ruling evidence investigation data "
        "le la les une des du et pour dans sur avec par ville accord rapport enquête chiffres"
    ).split()
    pool = []
    for _ in range(count):
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randint(8, 22))).capitalize() + "."
            for _ in range(rng.randint(3, 7))
        ]
        pool.append(" ".join(sentences).encode())
    return pool


class Site:
    """Articles /a/N.html citing sources /s/N/M.html, and /w/N.html for the watch-list part.

    A page's version starts at 0; `change()` moves a tenth of the sources to a new version,
    whose body gains a paragraph, a new ETag and a later Last-Modified.
    """

    def __init__(self, articles: int, sources: int, page_kb: int, seed: int) -> None:
        self.articles, self.sources, self.page_bytes = articles, sources, page_kb * 1000
        self.pool = _paragraphs(seed)
        self.seed = seed
        self.versions: dict[str, int] = {}
        self.generation = 0
        self.cache: dict[str, tuple[bytes, bytes, str, str]] = {}  # path: 200, 304, etag, lm
        for path in self.paths():
            self.versions[path] = 0
            self.cache[path] = self._build(path, 0)

    def paths(self) -> list[str]:
        out = []
        for a in range(self.articles):
            out.append(f"/a/{a}.html")
            out.extend(f"/s/{a}/{s}.html" for s in range(self.sources))
        return out

    def _body(self, path: str, version: int) -> bytes:
        rng = random.Random(f"{self.seed}{path}")  # noqa: S311
        title = f"Page {path}".encode()
        parts = [b"<!doctype html><html><head><meta charset=utf-8><title>", title,
                 b"</title></head><body><nav><a href=/>Home</a></nav><main><article><h1>",
                 title, b"</h1>"]  # fmt: skip
        if version:
            parts.append(f"<p>Update {version}: officials revised the figures.</p>".encode())
        size = sum(map(len, parts))
        if path.startswith("/a/"):
            article = path.split("/")[2].split(".")[0]
            for s in range(self.sources):
                link = f'<p>According to <a href="/s/{article}/{s}.html">report {s}</a>, '
                chunk = link.encode() + rng.choice(self.pool) + b"</p>\n"
                parts.append(chunk)
                size += len(chunk)
        budget = self.page_bytes if not path.startswith("/w/") else 2000
        while size < budget:
            chunk = b"<p>" + rng.choice(self.pool) + b"</p>\n"
            parts.append(chunk)
            size += len(chunk)
        parts.append(b"</article></main><footer>Bench site</footer></body></html>\n")
        return b"".join(parts)

    def _build(self, path: str, version: int) -> tuple[bytes, bytes, str, str]:
        body = self._body(path, version)
        etag = f'"{zlib.crc32(body):08x}-{version}"'
        modified = formatdate(BASE_DATE + 86400 * version, usegmt=True)
        common = [("ETag", etag), ("Last-Modified", modified), ("Cache-Control", "max-age=0")]
        full = _response("200 OK", body, [("Content-Type", "text/html; charset=utf-8"), *common])
        return full, _response("304 Not Modified", b"", common, length=False), etag, modified

    def get(self, path: str) -> tuple[bytes, bytes, str, str] | None:
        found = self.cache.get(path)
        if found is None and path.startswith("/w/"):
            found = self._build(path, 0)  # watch-list pages: built when asked, not kept
        return found

    def change(self, fraction: float) -> int:
        """Give a new version to `fraction` of the sources, a different share each time."""
        self.generation += 1
        step = max(1, round(1 / fraction))
        changed = 0
        for path in self.cache:
            if path.startswith("/s/"):
                number = int(path.rsplit("/", 1)[1].split(".")[0])
                if (number + self.generation) % step == 0:
                    self.versions[path] += 1
                    self.cache[path] = self._build(path, self.versions[path])
                    changed += 1
        return changed

    def validators(self) -> bytes:
        return "".join(f"{p}\t{c[2]}\t{c[3]}\n" for p, c in self.cache.items()).encode()


def _response(status: str, body: bytes, extra: list[tuple[str, str]], length: bool = True) -> bytes:
    headers = [("Server", "citewatch-bench"), ("Date", formatdate(usegmt=True)), *extra]
    if length:
        headers.append(("Content-Length", str(len(body))))
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


class Counters:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = self.ok = self.not_modified = self.not_found = self.conditional = 0
        self.sent = 0
        self.first: float | None = None
        self.last: float | None = None
        self.cpu_at_reset = time.process_time()

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "200": self.ok,
            "304": self.not_modified,
            "404": self.not_found,
            "conditional_requests": self.conditional,
            "bytes": self.sent,
            "first": self.first,
            "last": self.last,
            "cpu": time.process_time() - self.cpu_at_reset,
        }


class HttpProtocol(asyncio.Protocol):
    """Keep-alive HTTP/1.1 GET, as in bench/loopback_server.py, with conditional requests."""

    honour_conditional = True

    def __init__(self, site: Site, counters: Counters) -> None:
        self.site, self.counters = site, counters
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            if not self._answer(head):
                return

    def _answer(self, head: bytes) -> bool:
        assert self.transport is not None
        line, _, fields = head.partition(b"\r\n")
        parts = line.split(b" ")
        if len(parts) != 3:
            self.transport.close()
            return False
        target, _, query = parts[1].decode("latin-1").partition("?")
        lowered = fields.lower()
        if target.startswith("/_bench/"):
            answer = self._control(target, query)
        else:
            answer = self._page(target, lowered)
        self.transport.write(answer)
        closing = parts[2] == b"HTTP/1.0" or b"close" in _field(lowered, b"connection")
        if closing:
            self.transport.close()
        return not closing

    def _page(self, target: str, lowered: bytes) -> bytes:
        counters = self.counters
        now = time.monotonic()
        if counters.first is None:
            counters.first = now
        counters.requests += 1
        found = self.site.get(target)
        if found is None:
            counters.not_found += 1
            answer = _response("404 Not Found", b"not found\n", [("Content-Type", "text/plain")])
        else:
            full, not_modified, etag, modified = found
            none_match = _field(lowered, b"if-none-match").strip()
            since = _field(lowered, b"if-modified-since").strip()
            if none_match or since:
                counters.conditional += 1
            fresh = False
            if self.honour_conditional and none_match:  # If-None-Match wins (RFC 9110 13.2.2)
                fresh = etag.lower().encode() in none_match.split(b", ") or none_match == b"*"
            elif self.honour_conditional and since:
                fresh = _not_after(since, modified)
            if fresh:
                counters.not_modified += 1
                answer = not_modified
            else:
                counters.ok += 1
                answer = full
        counters.sent += len(answer)
        counters.last = now
        return answer

    def _control(self, target: str, query: str) -> bytes:
        if target == "/_bench/reset":
            self.counters.reset()
        elif target == "/_bench/conditional":
            HttpProtocol.honour_conditional = query == "on"
        elif target == "/_bench/change":
            changed = self.site.change(float(query or "0.1"))
            return _response("200 OK", json.dumps({"changed": changed}).encode(), [])
        elif target == "/_bench/validators":
            return _response("200 OK", self.site.validators(), [])
        stats = {**self.counters.as_dict(), "conditional_on": HttpProtocol.honour_conditional}
        return _response("200 OK", json.dumps(stats).encode(), [])


def _not_after(since: bytes, modified: str) -> bool:
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since.decode())
    except (TypeError, ValueError):
        return False


def _field(lowered_fields: bytes, name: bytes) -> bytes:
    """The value of header ``name`` in the lower-cased header lines, or b""."""
    text = b"\r\n" + lowered_fields
    key = b"\r\n" + name + b":"
    at = text.find(key)
    if at < 0:
        return b""
    end = text.find(b"\r\n", at + len(key))
    return text[at + len(key) : end if end >= 0 else None]


async def _serve(site: Site) -> None:
    counters = Counters()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpProtocol(site, counters), "127.0.0.1", 0, backlog=512
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes our stdin
    server.close()


def serve_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="recheck.py _serve")
    for name in ("--articles", "--sources", "--page-kb", "--seed"):
        parser.add_argument(name, type=int, required=True)
    args = parser.parse_args(argv)
    asyncio.run(_serve(Site(args.articles, args.sources, args.page_kb, args.seed)))


class Server:
    """The site's server as a subprocess; it exits when its stdin closes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.argv = [sys.executable, str(Path(__file__).resolve()), "_serve"]
        self.argv += ["--articles", str(args.articles), "--sources", str(args.sources)]
        self.argv += ["--page-kb", str(args.page_kb), "--seed", str(args.seed)]

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def get(self, action: str, query: str = "") -> bytes:
        url = f"http://127.0.0.1:{self.port}/_bench/{action}" + (f"?{query}" if query else "")
        with urllib.request.urlopen(url, timeout=30) as answer:
            return bytes(answer.read())

    def control(self, action: str, query: str = "") -> dict[str, Any]:
        return dict(json.loads(self.get(action, query)))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


# --- the bare Scrapy spider (a subprocess: `recheck.py _bare`) ------------------------------


def bare_main(argv: list[str]) -> None:
    """Fetch every URL of a validators file (url, etag, last-modified a line) with those
    validators as If-None-Match / If-Modified-Since, nothing else; print one JSON line."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import Response

    sys.path.insert(0, str(BENCH))
    from bare_spider import settings

    parser = argparse.ArgumentParser(prog="recheck.py _bare")
    parser.add_argument("validators", type=Path)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    lines = [line.split("\t") for line in args.validators.read_text().splitlines() if line]

    class RecheckSpider(scrapy.Spider):
        name = "bare-recheck"

        async def start(self) -> AsyncIterator[scrapy.Request]:
            for url, etag, modified in lines:
                headers = {"If-None-Match": etag, "If-Modified-Since": modified}
                yield scrapy.Request(url, headers=headers, callback=self.parse)

        def parse(self, response: Response, **kwargs: Any) -> None:
            return None

    process = CrawlerProcess(settings(args.concurrency, "citewatch-bench (bare Scrapy)"))
    crawler = process.create_crawler(RecheckSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    statuses = {
        key.rsplit("/", 1)[1]: value
        for key, value in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    print(json.dumps({"responses": stats.get("response_received_count", 0), "statuses": statuses}))


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Measure:
    mode: str
    variant: str
    checks: int  # requests for pages of the site, as the server counted them
    seconds: float  # crawl phase: first request seen to the exit of the process
    wall: float
    cpu: float
    rss_mib: float
    server: dict[str, Any]
    load: float
    ok: bool
    bytes_added: int | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.checks / self.seconds if self.seconds else 0.0


def data_bytes(data: Path) -> dict[str, int]:
    """Bytes on disk in the data directory: WARC files, the database with its WAL, the rest."""
    sizes = {"warcs": 0, "database": 0, "other": 0}
    for path in data.rglob("*"):
        if not path.is_file():
            continue
        size = path.stat().st_size
        if path.parent.name == "warcs":
            sizes["warcs"] += size
        elif path.name.startswith("citewatch.db"):
            sizes["database"] += size
        else:
            sizes["other"] += size
    return sizes


def db_counts(data: Path) -> dict[str, Any]:
    with sqlite3.connect(data / "citewatch.db") as db:
        captures = dict(
            db.execute("SELECT record_type, count(*) FROM captures GROUP BY 1").fetchall()
        )
        checks = db.execute("SELECT count(*) FROM checks").fetchone()[0]
        events = dict(db.execute("SELECT kind, count(*) FROM events GROUP BY 1").fetchall())
    return {"captures": captures, "checks": checks, "events": events}


def write_config(data: Path, per_site: int) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / "citewatch.toml").write_text(
        f"[crawl]\nallow_private = true\nautothrottle = false\nper_site = {per_site}\n"
        "\n[lookup]\nwayback = false\n"
    )


def citewatch(data: Path, *argv: str, code: str | None) -> Child:
    env = {"PYTHONPATH": code} if code else None
    command = citewatch_command() if not code else [sys.executable, "-m", "crawler"]
    return run_child([*command, "--data", str(data), *argv], env_extra=env)


def _failure(child: Child) -> dict[str, Any]:
    return {"returncode": child.returncode, "stderr": child.stderr[-2000:]}


def run_citewatch(
    args: argparse.Namespace, mode: str, data: Path, server: Server, expected: int
) -> Measure:
    before, counts_before = data_bytes(data), db_counts(data)
    load = os.getloadavg()[0]
    server.control("reset")
    child = citewatch(data, "crawl", "--all", "--json", code=args.code)
    stats = server.control("stats")
    after, counts_after = data_bytes(data), db_counts(data)
    checks = stats["200"] + stats["304"]
    notes: dict[str, Any] = {
        "bytes_before": before,
        "bytes_after": after,
        "captures_added": {
            kind: n - counts_before["captures"].get(kind, 0)
            for kind, n in counts_after["captures"].items()
        },
        "checks_added": counts_after["checks"] - counts_before["checks"],
        "events_added": {
            kind: n - counts_before["events"].get(kind, 0)
            for kind, n in counts_after["events"].items()
        },
    }
    ok = child.returncode == 0 and checks == expected
    if child.returncode == 0:
        notes["summary"] = json.loads(child.stdout)
    else:
        notes.update(_failure(child))
    added = sum(after.values()) - sum(before.values())
    return _measure(mode, "citewatch", child, stats, load, ok, added, notes)


def run_bare(args: argparse.Namespace, mode: str, validators: Path, server: Server) -> Measure:
    argv = [sys.executable, str(Path(__file__).resolve()), "_bare", str(validators)]
    argv += ["--concurrency", str(args.per_site)]
    load = os.getloadavg()[0]
    server.control("reset")
    child = run_child(argv)
    stats = server.control("stats")
    expected = sum(1 for line in validators.read_text().splitlines() if line)
    ok = child.returncode == 0 and stats["200"] + stats["304"] == expected
    notes = {"spider": json.loads(child.stdout.strip().splitlines()[-1])} if ok else _failure(child)
    return _measure(mode, "bare", child, stats, load, ok, None, notes)


def _measure(
    mode: str,
    variant: str,
    child: Child,
    stats: dict[str, Any],
    load: float,
    ok: bool,
    added: int | None,
    notes: dict[str, Any],
) -> Measure:
    first = stats["first"] if stats["first"] is not None else child.launched
    server = {k: stats[k] for k in ("200", "304", "404", "conditional_requests", "bytes", "cpu")}
    notes["startup"] = first - child.launched
    return Measure(
        mode,
        variant,
        stats["200"] + stats["304"],
        child.ended - first,
        child.ended - child.launched,
        child.cpu,
        child.rss_mib,
        server,
        load,
        ok,
        added,
        notes,
    )


def validators_file(server: Server, path: Path) -> Path:
    """What a client that kept the last crawl's validators sends: url, ETag, Last-Modified."""
    lines = server.get("validators").decode().splitlines()
    path.write_text("".join(server.url(line.split("\t", 1)[0]) + "\t" + line.split("\t", 1)[1]
                            + "\n" for line in lines))  # fmt: skip
    return path


def recheck_rounds(
    args: argparse.Namespace, server: Server, data: Path, root: Path, measures: list[Measure]
) -> None:
    expected = args.articles * (1 + args.sources)
    for round_number in range(args.runs):
        for mode in args.modes:
            server.get("conditional", "off" if mode == "b" else "on")
            # Validators first: in (c) they are the last crawl's, and the pages change after.
            validators = validators_file(server, root / f"validators-{mode}.tsv")
            if mode == "c":
                changed = server.control("change", "0.1")["changed"]
            pair = ["bare", "citewatch"]
            if round_number % 2:
                pair.reverse()  # neither variant always runs first
            for variant in pair:
                if variant == "bare":
                    measure = run_bare(args, mode, validators, server)
                else:
                    measure = run_citewatch(args, mode, data, server, expected)
                if mode == "c":
                    measure.notes["sources_changed"] = changed
                measures.append(measure)
                per_check = (
                    f", +{measure.bytes_added / max(measure.checks, 1):.0f} B/check"
                    if measure.bytes_added is not None
                    else ""
                )
                console.print(
                    f"  run {round_number + 1} ({mode}, {variant}): {measure.checks} checks in "
                    f"{measure.seconds:.1f} s = {measure.rate:.0f}/s; server sent "
                    f"{measure.server['200']} x 200, {measure.server['304']} x 304; CPU "
                    f"{measure.cpu:.1f} s, RSS {measure.rss_mib:.0f} MiB{per_check}, load "
                    f"{measure.load:.1f}"
                    + ("" if measure.ok else f"  [red]FAILED {measure.notes}[/]")
                )
                if args.save_to:
                    save(args, measures, {})
                if not measure.ok:
                    return


# --- the watch-list memory part ------------------------------------------------------------


def watchlist_memory(args: argparse.Namespace, server: Server, root: Path) -> dict[str, Any]:
    """Peak RSS of add, crawl (none due, a few due) and schedule --once at two list sizes."""
    results: dict[str, Any] = {}
    for size in (args.small_watches, args.big_watches):
        data = root / f"watches-{size}"
        write_config(data, args.per_site)
        urls = root / f"watches-{size}.txt"
        urls.write_text("".join(server.url(f"/w/{n}.html") + "\n" for n in range(size)))
        row: dict[str, Any] = {}
        added = citewatch(data, "add", "--file", str(urls), "--every", "1d", code=args.code)
        row["add"] = _child_figures(added)
        if added.returncode != 0:
            results[str(size)] = row
            continue
        # Out of due time, except the first `args.due` watches: what a daily recheck service
        # meets between its rounds. The bench writes next_due itself: crawling 100,000
        # articles to make them not due would take an hour.
        with sqlite3.connect(data / "citewatch.db") as db:
            db.execute("UPDATE watches SET next_due = '2099-01-01 00:00:00.000000'")
        row["crawl_none_due"] = _child_figures(citewatch(data, "crawl", "--json", code=args.code))
        with sqlite3.connect(data / "citewatch.db") as db:
            db.execute(
                "UPDATE watches SET next_due = '2000-01-01 00:00:00.000000' WHERE id IN "
                "(SELECT id FROM watches ORDER BY id LIMIT ?)",
                (args.due,),
            )
        server.control("reset")
        row["crawl_few_due"] = _child_figures(citewatch(data, "crawl", "--json", code=args.code))
        row["crawl_few_due"]["server_requests"] = server.control("stats")["requests"]
        with sqlite3.connect(data / "citewatch.db") as db:
            db.execute(
                "UPDATE watches SET next_due = '2000-01-01 00:00:00.000000' WHERE id IN "
                "(SELECT id FROM watches ORDER BY id LIMIT ?)",
                (args.due,),
            )
        server.control("reset")
        row["schedule_once"] = _child_figures(citewatch(data, "schedule", "--once", code=args.code))
        row["schedule_once"]["server_requests"] = server.control("stats")["requests"]
        row["data_bytes"] = data_bytes(data)
        results[str(size)] = row
        console.print(
            f"  {size:,} watches: "
            + "; ".join(
                f"{name} {fig['rss_mib']:.0f} MiB / {fig['wall']:.1f} s"
                + ("" if fig["returncode"] == 0 else f" [red](exit {fig['returncode']})[/]")
                for name, fig in row.items()
                if isinstance(fig, dict) and "rss_mib" in fig
            )
        )
        shutil.rmtree(data, ignore_errors=True)
    return results


def _child_figures(child: Child) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "returncode": child.returncode,
        "rss_mib": round(child.rss_mib, 1),
        "wall": round(child.ended - child.launched, 2),
        "cpu": round(child.cpu, 2),
    }
    if child.returncode != 0:
        figures["stderr"] = child.stderr[-1500:]
    return figures


# --- the report -------------------------------------------------------------------------------


def summarize(measures: list[Measure]) -> dict[str, Any]:
    medians: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        for variant in VARIANTS:
            good = [m for m in measures if m.mode == mode and m.variant == variant and m.ok]
            if not good:
                continue
            entry = {
                "runs": len(good),
                "checks_per_s": statistics.median(m.rate for m in good),
                "cpu_s": statistics.median(m.cpu for m in good),
                "cpu_ms_per_check": statistics.median(1000 * m.cpu / m.checks for m in good),
                "rss_mib": statistics.median(m.rss_mib for m in good),
                "server_200": statistics.median(m.server["200"] for m in good),
                "server_304": statistics.median(m.server["304"] for m in good),
                "conditional_requests": statistics.median(
                    m.server["conditional_requests"] for m in good
                ),
            }
            if variant == "citewatch":
                entry["bytes_per_check"] = statistics.median(
                    (m.bytes_added or 0) / m.checks for m in good
                )
            medians[f"{mode}/{variant}"] = entry
    ratios = {
        f"ratio_{mode}": medians[f"{mode}/citewatch"]["checks_per_s"]
        / medians[f"{mode}/bare"]["checks_per_s"]
        for mode in MODES
        if f"{mode}/citewatch" in medians and f"{mode}/bare" in medians
    }
    unchanged = [
        (m.bytes_added or 0) / m.checks
        for m in measures
        if m.variant == "citewatch" and m.mode in "ab" and m.ok
    ]
    return {
        "medians": medians,
        "ratios": ratios,
        "bytes_per_unchanged_check": statistics.median(unchanged) if unchanged else None,
    }


def report(args: argparse.Namespace, measures: list[Measure], memory: dict[str, Any]) -> None:
    figures = summarize(measures)
    table = Table(title=f"recheck: {args.articles * (1 + args.sources):,} URLs, medians")
    for name in ("mode", "variant", "runs", "checks/s", "CPU s", "ms CPU/check", "RSS MiB",
                 "200s", "304s", "B added/check"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("mode", "variant") else "right")
    for key, entry in figures["medians"].items():
        mode, variant = key.split("/")
        table.add_row(
            f"{mode}: {MODES[mode]}",
            VARIANTS[variant],
            str(entry["runs"]),
            f"{entry['checks_per_s']:.0f}",
            f"{entry['cpu_s']:.1f}",
            f"{entry['cpu_ms_per_check']:.1f}",
            f"{entry['rss_mib']:.0f}",
            f"{entry['server_200']:.0f}",
            f"{entry['server_304']:.0f}",
            f"{entry['bytes_per_check']:.0f}" if "bytes_per_check" in entry else "-",
        )
    console.print(table)
    for ratio, value in figures["ratios"].items():
        target = TARGETS.get(ratio)
        verdict = (
            "" if target is None else (" [green]PASS[/]" if value >= target else " [red]FAIL[/]")
        )
        console.print(
            f"{ratio} (citewatch / bare) = {value:.2f}"
            + (f"   target >= {target}{verdict}" if target else "   (no target)")
        )
    per_check = figures["bytes_per_unchanged_check"]
    if per_check is not None:
        target = TARGETS["bytes_per_unchanged_check"]
        verdict = "[green]PASS[/]" if per_check <= target else "[red]FAIL[/]"
        console.print(
            f"bytes added per unchanged check (a, b) = {per_check:,.0f}   target <= {target}   "
            f"{verdict}"
        )
    cw_conditional = [
        m.server["conditional_requests"] for m in measures if m.variant == "citewatch"
    ]
    if cw_conditional and not any(cw_conditional):
        console.print(
            "[yellow]note:[/] citewatch sent no conditional request (no If-None-Match or "
            "If-Modified-Since): in (a) and (c) it got full 200 answers where bare Scrapy got 304s."
        )
    for size, row in memory.items():
        console.print(
            f"{int(size):,} watches: "
            + ", ".join(
                f"{name} {fig['rss_mib']:.0f} MiB"
                for name, fig in row.items()
                if isinstance(fig, dict) and "rss_mib" in fig
            )
        )
    if len(memory) == 2:
        small, big = (memory[k] for k in sorted(memory, key=int))
        for name in ("crawl_none_due", "crawl_few_due", "schedule_once"):
            if name in small and name in big:
                growth = big[name]["rss_mib"] - small[name]["rss_mib"]
                flat = growth < 20 and big[name]["rss_mib"] < TARGETS["rss_mib"]
                console.print(
                    f"  {name}: {small[name]['rss_mib']:.0f} -> {big[name]['rss_mib']:.0f} MiB "
                    f"({growth:+.0f})   target: flat, < {TARGETS['rss_mib']} MiB   "
                    + ("[green]PASS[/]" if flat else "[red]FAIL[/]")
                )
    loads = [m.load for m in measures]
    if loads:
        console.print(
            f"load average (1 min) at the start of runs: {min(loads):.1f}-{max(loads):.1f} "
            f"on {os.cpu_count()} cores"
        )
    if args.save_to:
        save(args, measures, memory)
        console.print(f"results: {args.save_to.relative_to(BENCH.parent)}")


def code_version(code: str | None) -> dict[str, Any]:
    """Which citewatch was measured: its commit, and the files changed since (a dirty tree)."""
    where = code or str(BENCH.parent)
    git = ["git", "-C", where]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "archive", "crawler"],
                           capture_output=True, text=True).stdout  # fmt: skip
    return {"path": where, "commit": head.strip(), "uncommitted": dirty.splitlines()}


def save(args: argparse.Namespace, measures: list[Measure], memory: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    result = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "code": args.code_version,
        "options": {
            k: str(v) if k == "save_to" else v for k, v in vars(args).items() if k != "code_version"
        },
        "urls": args.articles * (1 + args.sources),
        "first_crawl": args.first_crawl,
        "targets": TARGETS,
        **summarize(measures),
        "watchlist_memory": memory,
        "runs": [{**asdict(m), "rate": m.rate} for m in measures],
    }
    args.save_to.write_text(json.dumps(result, indent=1) + "\n")


# --- main -------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100, help="watched articles (100)")
    parser.add_argument("--sources", type=int, default=100, help="sources each cites (100)")
    parser.add_argument("--page-kb", type=int, default=20, help="page size in KB (20)")
    parser.add_argument("--runs", type=int, default=3, help="rounds of every mode (median)")
    parser.add_argument("--modes", default="abc", help="modes to run, e.g. ab (abc)")
    parser.add_argument("--per-site", type=int, default=16, help="concurrency, as crawl.per_site")
    parser.add_argument("--big-watches", type=int, default=100_000, help="watch list (100000)")
    parser.add_argument("--small-watches", type=int, default=1000, help="compared with (1000)")
    parser.add_argument("--due", type=int, default=20, help="watches due in the few-due crawl")
    parser.add_argument("--no-memory", action="store_true", help="skip the watch-list part")
    parser.add_argument("--no-recheck", action="store_true", help="only the watch-list part")
    parser.add_argument("--code", help="run citewatch from this checkout (PYTHONPATH)")
    parser.add_argument("--seed", type=int, default=2016, help="page generator seed")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--quick", action="store_true", help="smoke run: 210 URLs, 1 run")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.sources, args.runs = min(args.articles, 10), min(args.sources, 20), 1
        args.big_watches, args.small_watches = min(args.big_watches, 2000), 200
    args.modes = [m for m in MODES if m in args.modes]
    if not args.modes or args.runs < 1:
        parser.error("need at least one mode of abc and one run")
    args.code = str(Path(args.code).resolve()) if args.code else None
    args.code_version = code_version(args.code)
    args.first_crawl = None
    args.save_to = (
        None if args.no_save else RESULTS / f"recheck-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    )
    return args


def first_crawl(args: argparse.Namespace, server: Server, root: Path) -> Path | None:
    """Watch the articles and crawl everything once (not measured); the data directory."""
    urls = args.articles * (1 + args.sources)
    data = root / "data"
    write_config(data, args.per_site)
    articles = root / "articles.txt"
    articles.write_text("".join(server.url(f"/a/{a}.html") + "\n" for a in range(args.articles)))
    added = citewatch(data, "add", "--file", str(articles), code=args.code)
    if added.returncode != 0:
        console.print(f"[red]citewatch add failed[/]: {added.stderr[-1500:]}")
        return None
    server.control("reset")
    first = citewatch(data, "crawl", "--all", "--json", code=args.code)
    stats = server.control("stats")
    args.first_crawl = {
        **_child_figures(first),
        "server": stats,
        "summary": json.loads(first.stdout) if first.returncode == 0 else None,
        "data_bytes": data_bytes(data),
    }
    console.print(
        f"first crawl (not measured): {stats['requests']} requests in "
        f"{first.ended - first.launched:.0f} s, CPU {first.cpu:.0f} s, data "
        f"{sum(data_bytes(data).values()) / 2**20:.0f} MiB"
    )
    if first.returncode != 0 or stats["200"] != urls:
        console.print(f"[red]the first crawl failed[/]: {first.stderr[-1500:]}")
        return None
    return data


def main() -> int:
    args = parse_args()
    console.print(
        f"[bold]{args.articles * (1 + args.sources):,} URLs[/]: {args.articles} articles x "
        f"{args.sources} cited sources, ~{args.page_kb} KB pages; {args.runs} round(s) of modes "
        f"{''.join(args.modes)}; citewatch from {args.code_version['path']} "
        f"({args.code_version['commit'][:8]}, {len(args.code_version['uncommitted'])} "
        "uncommitted file(s) in archive/ crawler/)"
    )
    measures: list[Measure] = []
    memory: dict[str, Any] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="citewatch-recheck-") as tmp, Server(args) as server:
        root = Path(tmp)
        try:
            if not args.no_recheck:
                data = first_crawl(args, server, root)
                failed = data is None
                if data is not None:
                    recheck_rounds(args, server, data, root, measures)
            if not args.no_memory and not failed:
                console.print("watch-list memory:")
                memory = watchlist_memory(args, server, root)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted: the report covers the runs that finished[/]")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"(this process peaked at {own:.0f} MiB; children's peaks cannot read lower)")
    report(args, measures, memory)
    failed = failed or not all(m.ok for m in measures)
    return 1 if failed or not (measures or memory) else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_bare":
        bare_main(sys.argv[2:])
    else:
        sys.exit(main())
