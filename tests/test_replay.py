"""Replay: ``citewatch index`` writes CDXJ, and pywb's ``wayback`` replays a real crawl from it.

pywb lives in a virtual environment of its own (it pins libraries older than Scrapy's and
shadows the ``brotli`` module), and monkey-patches with gevent on import: it only ever runs as a
subprocess. The test finds ``wayback`` in ``$PYWB_BIN``, else ``.venv-pywb/bin``, else
beside this Python or on ``PATH``, and fails when it is nowhere: CI must install it.
"""

from __future__ import annotations

import gzip
import http.client
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from archive import cdxj
from archive.errors import ArchiveError
from archive.warcs import Exchange, HttpRequest, HttpResponse, WarcWriter
from crawler.demo.content import SITE
from tests.crawling import BIN, citewatch, make_data_dir
from tests.fakeweb import FakeWeb

ROOT = Path(__file__).resolve().parents[1]
# The folder holding wayback. Not CITEWATCH_…: citewatch rejects unknown CITEWATCH_* variables.
PYWB_ENV = "PYWB_BIN"
PYWB_INSTALL = "python3 -m venv .venv-pywb && .venv-pywb/bin/pip install 'pywb>=2.10,<2.11'"
COLLECTION = "citewatch"
# pywb imports gevent and loads its templates before it answers: seconds on an idle machine.
START_TIMEOUT = 90
REQUEST_TIMEOUT = 20
PAGES = SITE  # the pages the fake web serves
# Sentences of the French article, typographic apostrophes and accents included.
ARTICLE_SENTENCES = (
    "Cela fait deux semaines que ni la Russie, ni la Syrie ne font voler d’avions au-dessus d’Alep",
    "Malgré la décision présidentielle russe de ne pas reprendre le bombardement",
)
REDIRECT_TARGET_TITLE = "Alep : le Conseil de sécurité sans position unanime"


# -- the indexer, on WARC files written here -------------------------------------------------


def write_warc(folder: Path, *urls: str) -> Path:
    """Write a closed WARC file with one 200 response per URL, as the crawler does; its path."""
    before = set(folder.glob("*.warc.gz"))
    writer = WarcWriter(folder)
    started = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    for url in urls:
        body = f"<html><p>{url}</p></html>".encode()
        headers = [(b"Content-Type", b"text/html"), (b"Content-Length", str(len(body)).encode())]
        request = HttpRequest(url, "GET", [(b"User-Agent", b"citewatch/test")])
        response = HttpResponse(200, headers, body, "OK")
        writer.write_exchange(Exchange(request, response, started, "127.0.0.1"))
    writer.close()
    (path,) = set(folder.glob("*.warc.gz")) - before
    return path


def index_lines(indexes: Path) -> list[str]:
    return (indexes / cdxj.INDEX_NAME).read_text(encoding="utf-8").splitlines()


def test_index_is_incremental_and_merged_in_order(tmp_path: Path) -> None:
    warcs, indexes = tmp_path / "warcs", tmp_path / "indexes"
    warcs.mkdir()
    first = write_warc(warcs, "https://z.example/1", "https://m.example/2")
    second = write_warc(warcs, "https://a.example/3")

    result = cdxj.index_warcs(warcs, indexes)
    assert (result["files_indexed"], result["records"], result["skipped"]) == (2, 3, 0)
    assert sorted(f["warc"] for f in result["files"]) == sorted([first.name, second.name])
    assert result["index"] == str(indexes / "index.cdxj")
    lines = index_lines(indexes)
    assert [line.split(" ")[0] for line in lines] == [
        "example,a)/3",
        "example,m)/2",
        "example,z)/1",
    ]
    assert f'"filename": "{second.name}"' in lines[0]  # relative to DATA/warcs/, as pywb wants

    again = cdxj.index_warcs(warcs, indexes)
    assert (again["files_indexed"], again["skipped"], again["index_records"]) == (0, 2, 3)

    part = indexes / "per-warc" / f"{first.name}.cdxj"
    earlier = first.stat().st_mtime_ns - 10**9  # as if the WARC changed after it was indexed
    os.utime(part, ns=(earlier, earlier))
    (warcs / "citewatch-20991231000000-00000-abcdef.warc.gz.open").write_bytes(b"")
    changed = cdxj.index_warcs(warcs, indexes)
    assert [f["warc"] for f in changed["files"]] == [first.name]
    assert (changed["skipped"], changed["open"], changed["index_records"]) == (1, 1, 3)

    second.unlink()
    dropped = cdxj.index_warcs(warcs, indexes)
    assert (dropped["dropped"], dropped["index_records"]) == (1, 2)
    assert not any(second.name in line for line in index_lines(indexes))
    assert not list(indexes.rglob("*.tmp"))


def test_many_warc_files_merge_in_rounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cdxj, "_MAX_OPEN", 2)
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    urls = [f"https://site{n}.example/page" for n in (5, 3, 1, 4, 2)]
    for url in urls:
        write_warc(warcs, url)
    result = cdxj.index_warcs(warcs, tmp_path / "indexes")
    assert (result["files_indexed"], result["index_records"]) == (5, 5)
    keys = [line.split(" ")[0] for line in index_lines(tmp_path / "indexes")]
    assert keys == [f"example,site{n})/page" for n in (1, 2, 3, 4, 5)]
    assert sorted(p.name for p in (tmp_path / "indexes").iterdir()) == ["index.cdxj", "per-warc"]


def test_index_with_no_warc_files_says_so(tmp_path: Path) -> None:
    data = tmp_path / "never-used"
    run = citewatch(data, "index")
    assert (run.code, run.err) == (0, "")
    assert (
        run.out
        == f"Nothing to index: no closed WARC files in {data / 'warcs'} (run citewatch crawl).\n"
    )
    result = cdxj.index_warcs(data / "warcs", data / "indexes")  # what --json prints
    assert (result["index"], result["files_indexed"], result["records"]) == (None, 0, 0)
    assert not data.exists()  # nothing was created


def test_an_unreadable_warc_file_is_one_error_line(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "data")
    (data / "warcs").mkdir()
    bad = data / "warcs" / "citewatch-20261125180000-00000-abcdef.warc.gz"
    bad.write_bytes(b"\0" * 4096)  # what a power cut can leave of a file
    run = citewatch(data, "index")
    assert run.code == 1
    assert run.err == (
        f"Error: cannot index {bad}: not a readable WARC file (ArchiveLoadFailed); "
        f"check it with: warcio check {bad}\n"
    )
    assert not list((data / "indexes").rglob("*.cdxj"))
    assert not list((data / "indexes").rglob("*.tmp"))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 100, id="bad-deflate"),
        pytest.param(
            gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n\r\n", mtime=0), id="no-uri"
        ),
    ],
)
def test_damaged_warc_files_raise_archive_error(tmp_path: Path, damage: bytes) -> None:
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    write_warc(warcs, "https://a.example/1")  # a sound file beside it does not help
    bad = warcs / "citewatch-20261125180000-00000-abcdef.warc.gz"
    bad.write_bytes(damage)
    with pytest.raises(ArchiveError, match="not a readable WARC file") as caught:
        cdxj.index_warcs(warcs, tmp_path / "indexes")
    assert caught.value.path == str(bad)
    assert not list((tmp_path / "indexes").rglob("*.tmp"))


# -- a real crawl, indexed, replayed by pywb -------------------------------------------------


def pywb_bin() -> Path:
    """The folder holding pywb's ``wayback``; fails the test, with the fix, when there is none."""
    candidates = [Path(os.environ[PYWB_ENV])] if os.environ.get(PYWB_ENV) else []
    candidates += [ROOT / ".venv-pywb" / "bin", BIN]
    on_path = shutil.which("wayback")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "wayback").is_file():
            return folder
    pytest.fail(f"pywb's wayback not found (set ${PYWB_ENV}); install it with: {PYWB_INSTALL}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def text(self) -> str:
        body = self.body
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return body.decode("utf-8")


@dataclass
class Wayback:
    """A running ``wayback`` on 127.0.0.1 serving one collection."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def replay(self, url: str, mode: str = "id_") -> Answer:
        """The latest capture of ``url``; ``id_`` is the bytes as archived, ``mp_`` rewritten."""
        return self.get(f"/{COLLECTION}/{mode}/{url}")

    def follow(self, path: str, hops: int = 5) -> tuple[list[int], Answer]:
        """GET ``path``, following redirects that must stay inside this replay server."""
        statuses = []
        for _ in range(hops):
            answer = self.get(path)
            statuses.append(answer.status)
            location = answer.headers.get("Location")
            if answer.status not in (301, 302, 303, 307, 308) or not location:
                return statuses, answer
            target = urlsplit(urljoin(self.base + path, location))
            assert (target.hostname, target.port) == ("127.0.0.1", self.port), location
            assert target.path.startswith(f"/{COLLECTION}/"), location
            path = target.path + (f"?{target.query}" if target.query else "")
        raise AssertionError(f"more than {hops} redirects: {statuses}")

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Return once the collection answers; fail if wayback exits or stays silent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"wayback exited with {self.process.returncode}:\n{self.output()}")
            try:
                if self.get(f"/{COLLECTION}/").status == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        pytest.fail(f"wayback did not answer within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def launch_wayback(folder: Path, data: Path) -> Wayback:
    """Start ``wayback`` in ``folder``, serving ``data``'s index and WARC files as they appear.

    pywb opens the index at each lookup, so it may start before the crawl: its slow start-up
    overlaps the crawl's.
    """
    folder.mkdir()
    (folder / "config.yaml").write_text(
        f"collections:\n"
        f"  {COLLECTION}:\n"
        f"    index_paths: {data / 'indexes' / 'index.cdxj'}\n"
        f"    archive_paths: {data / 'warcs'}/\n",
        encoding="utf-8",
    )
    log = folder / "wayback.log"
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [pywb_bin() / "wayback", "--bind", "127.0.0.1", "--port", str(port)],
            cwd=folder,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Wayback(process, port, log)


@pytest.fixture
def wayback(tmp_path: Path, data: Path) -> Iterator[Wayback]:
    """pywb replaying ``data``, launched (not yet answering) and stopped after the test."""
    server = launch_wayback(tmp_path / "pywb", data)
    yield server
    server.stop()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path / "data")


def served_page(fakeweb: FakeWeb, page: str) -> str:
    """A static fake-web page as the server sends it (``{{base}}`` filled in)."""
    return (PAGES / page).read_text(encoding="utf-8").replace("{{base}}", fakeweb.base_url)


def test_crawled_article_and_sources_replay_in_pywb(
    fakeweb: FakeWeb, data: Path, wayback: Wayback
) -> None:
    article = fakeweb.url("/articles/alep.html")
    gzipped = fakeweb.url("/gzip/articles/alep.html")  # the same page, gzip on the wire
    redirecting = fakeweb.url("/redirect?to=/sources/tchurkin-onu.html&code=301")
    assert citewatch(data, "add", article, gzipped).code == 0
    crawl = citewatch(data, "crawl", "--json")
    assert crawl.code == 0, crawl.err

    index = citewatch(data, "index", "--json")
    assert index.code == 0, index.err
    summary = index.json()
    assert summary["files_indexed"] >= 1 and summary["skipped"] == 0
    assert summary["index_records"] == summary["records"] > 0

    wayback.wait_until_ready()  # launched before the crawl, by the fixture
    fakeweb.clear_requests()

    # The article comes back byte for byte, its French text intact.
    replayed = wayback.replay(article)
    assert replayed.status == 200
    assert replayed.text() == served_page(fakeweb, "articles/alep.html")
    for sentence in ARTICLE_SENTENCES:
        assert sentence in replayed.text()

    # The gzip capture, stored still encoded, replays as the same page.
    unzipped = wayback.replay(gzipped)
    assert unzipped.status == 200
    assert unzipped.headers["X-Archive-Orig-Content-Encoding"] == "gzip"  # as captured
    assert unzipped.text() == served_page(fakeweb, "articles/alep.html")

    # The cited URL that redirected replays its 301, then the archived target.
    statuses, target = wayback.follow(f"/{COLLECTION}/mp_/{redirecting}")
    assert statuses == [301, 200]
    assert REDIRECT_TARGET_TITLE in target.text()
    assert wayback.replay(redirecting).status == 301  # id_: the hop exactly as captured

    # All of it came from the WARC files: pywb never reached the live (fake) web.
    assert fakeweb.requests == []
