"""Whole crawls of the fake web through the real CLI, spider, WARC writer and database."""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.demo.content import SITE
from tests.crawling import citewatch, make_data_dir, warc_records, warcio_check
from tests.fakeweb import FakeWeb, Seen, Site


def sources_by_url(data: Path, article: str | None = None) -> dict[str, dict]:
    """The cited sources' status, of every watched article or just ``article``."""
    status = citewatch(data, "status", "--json").json()
    return {
        s["url"]: s
        for a in status["articles"]
        if article is None or a["url"] == article
        for s in a["sources"]
    }


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path / "data")


@dataclass
class Crawl:
    """One crawl of three articles: the French news article, one whose sources test how the
    wire formats are stored, and one whose sources fail or misbehave in every way checked."""

    data: Path
    summary: dict[str, Any]
    requests: list[Seen]  # what the fake web saw during the crawl
    article: str  # the news article
    wire: dict[str, str]  # what the second article cites, by the trait it tests
    hard_article: str
    hard: dict[str, str]  # what the third article cites, by how it fails


@pytest.fixture(scope="module")
def crawled(fakeweb: FakeWeb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    data = make_data_dir(tmp_path_factory.mktemp("crawl") / "data", '[warc]\nmax_size = "1GB"\n')
    config = (data / "citewatch.toml").read_text()
    # A timeout long enough for a loaded machine to answer the others, far shorter than the
    # slow source; a size limit far below the big source, far above every other page.
    config = config.replace("timeout = 5", "timeout = 4")
    config = config.replace("[crawl]\n", '[crawl]\nmax_size = "64KB"\n')
    (data / "citewatch.toml").write_text(config, encoding="utf-8")
    wire = {
        "gzip": fakeweb.url("/gzip/sources/blog-post.html"),
        "chunked": fakeweb.url("/chunked/sources/agency-story.html"),
        "cookies": fakeweb.url("/cookies"),
        "latin1": fakeweb.url("/latin1-header"),
        "phrase": fakeweb.url("/status/404?reason=Gone+Fishing"),
    }
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
    hard = {
        "slow": fakeweb.url("/slow/20/sources/blog-post.html"),
        "refused": f"http://127.0.0.1:{refused_port}/gone",
        "missing": fakeweb.url("/status/404"),  # the news article cites it too
        "nodns": "http://source.citewatch.invalid/story",
        "fine": fakeweb.url("/sources/agency-story.html"),  # and this
        "big": fakeweb.url("/big/400000"),
        "broken": fakeweb.url("/drop-mid/sources/blog-post.html"),
    }
    site = fakeweb.site("crawl")
    for name, cited in (("wire", wire), ("hard", hard)):
        links = "".join(f'<p>See <a href="{url}">{trait}</a>.</p>' for trait, url in cited.items())
        site.set(f"/{name}.html", f"<html><body><article><h1>T</h1>{links}</article></body></html>")
    article = fakeweb.url("/articles/alep.html")
    articles = (article, site.url("/wire.html"), site.url("/hard.html"))
    assert citewatch(data, "add", *articles).code == 0
    seen = len(fakeweb.requests)
    run = citewatch(data, "crawl", "--json")
    assert run.code == 0, run.err
    yield Crawl(data, run.json(), fakeweb.requests[seen:], article, wire, articles[2], hard)
    site.reset()


def test_crawl_archives_article_and_its_sources(fakeweb: FakeWeb, crawled: Crawl) -> None:
    data, article = crawled.data, crawled.article
    sources = sources_by_url(data, article)
    assert {url: (s["state"], s["reason"]) for url, s in sources.items()} == {
        fakeweb.url("/sources/blog-post.html"): ("ok", None),
        fakeweb.url("/sources/agency-story.html"): ("ok", None),
        fakeweb.url("/pdf/rapport-31-octobre.pdf"): ("ok", None),
        fakeweb.url("/redirect?to=/sources/tchurkin-onu.html&code=301"): ("ok", None),
        fakeweb.url("/status/404"): ("failing", "http-404"),
    }
    # Two sources cited by two articles each, fetched once.
    every = set(sources) | set(crawled.wire.values()) | set(crawled.hard.values())
    summary = crawled.summary
    assert (summary["articles"], summary["sources"]) == (3, len(every))
    for shared in ("/status/404", "/sources/agency-story.html"):
        assert len([seen for seen in crawled.requests if seen.path == shared]) == 1
    assert summary["bytes_written"] > 0
    fetched = {seen.url_path for seen in crawled.requests}
    # Navigation, tags, author, share, comments and related links were never fetched.
    for boilerplate in (
        "/categorie/international/",
        "/tag/syrie/",
        "/contact/",
        "/auteur/karine-bechet-golovko/",
    ):
        assert boilerplate not in fetched
    assert not any(path.startswith("/commentateurs/") for path in fetched)

    check = warcio_check(data)
    assert check.returncode == 0, check.stdout + check.stderr
    records = warc_records(data)
    assert records[0].rec_type == "warcinfo"
    responses = [r for r in records if r.rec_type == "response"]
    requests = {
        r.rec_headers.get_header("WARC-Concurrent-To"): r
        for r in records
        if r.rec_type == "request"
    }
    for response in responses:
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        assert record_id in requests, "every response has its request"
        request = requests[record_id]
        assert request.rec_headers.get_header("WARC-Date") == response.rec_headers.get_header(
            "WARC-Date"
        )
        assert response.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    # The redirecting citation is archived hop by hop: a 301 pair, then the target's pair.
    by_uri = {r.rec_headers.get_header("WARC-Target-URI"): r for r in responses}
    hop = by_uri[fakeweb.url("/redirect?to=/sources/tchurkin-onu.html&code=301")]
    assert hop.http_headers.get_statuscode() == "301"
    assert fakeweb.url("/sources/tchurkin-onu.html") in by_uri
    # The WARCs alone say what the article cites: a metadata record beside its response.
    listing = next(
        r
        for r in records
        if r.rec_type == "metadata"
        and r.rec_headers.get_header("WARC-Concurrent-To")
        == by_uri[article].rec_headers.get_header("WARC-Record-ID")
    )
    cited = json.loads(listing.raw_body)["citations"]
    assert {c["url"] for c in cited} == set(sources)
    assert any(c["text"] == "l’ambassadeur russe V. Tchurkin" for c in cited)
    # ... and the text each change is judged on: a conversion record of the response.
    article_id = by_uri[article].rec_headers.get_header("WARC-Record-ID")
    conversion = next(
        r
        for r in records
        if r.rec_type == "conversion" and r.rec_headers.get_header("WARC-Refers-To") == article_id
    )
    assert "Malgré la décision présidentielle russe" in conversion.raw_body.decode("utf-8")
    # The article's body is in its response record byte for byte.
    served = (SITE / "articles/alep.html").read_text(encoding="utf-8")
    stored = by_uri[article].raw_body.decode("utf-8")
    assert stored == served.replace("{{base}}", fakeweb.base_url)


def test_wire_formats_survive_in_the_warc(fakeweb: FakeWeb, crawled: Crawl) -> None:
    cited = crawled.wire
    responses = {
        r.rec_headers.get_header("WARC-Target-URI"): r
        for r in warc_records(crawled.data)
        if r.rec_type == "response"
    }
    gzipped = responses[cited["gzip"]]
    assert gzipped.http_headers.get_header("Content-Encoding") == "gzip"
    original = (SITE / "sources/blog-post.html").read_bytes()
    assert gzip.decompress(gzipped.raw_body) == original.replace(
        b"{{base}}", fakeweb.base_url.encode()
    )

    chunked = responses[cited["chunked"]]
    assert chunked.http_headers.get_header("Transfer-Encoding") is None
    assert int(chunked.http_headers.get_header("Content-Length")) == len(chunked.raw_body)

    cookies = [
        v for k, v in responses[cited["cookies"]].http_headers.headers if k.lower() == "set-cookie"
    ]
    assert len(cookies) == 2
    links_headers = [
        v for k, v in responses[cited["cookies"]].http_headers.headers if k.lower() == "link"
    ]
    assert len(links_headers) == 2
    assert cited["latin1"] in responses  # a Latin-1 header byte did not crash the writer
    # The status line keeps the server's own reason phrase, not a rebuilt standard one.
    assert responses[cited["phrase"]].http_headers.statusline == "404 Gone Fishing"
    assert responses[cited["phrase"]].http_headers.protocol == "HTTP/1.1"


def test_failures_are_recorded_and_the_crawl_carries_on(crawled: Crawl) -> None:
    cited = crawled.hard
    sources = sources_by_url(crawled.data, crawled.hard_article)
    states = {url: (s["state"], s["reason"]) for url, s in sources.items()}
    assert set(states) == set(cited.values())  # every source was checked
    assert {
        name: states[cited[name]] for name in ("slow", "refused", "missing", "nodns", "fine")
    } == {
        "slow": ("failing", "timeout"),
        "refused": ("failing", "connection-refused"),
        "missing": ("failing", "http-404"),
        "nodns": ("failing", "dns-error"),
        "fine": ("ok", None),
    }
    metadata = [r for r in warc_records(crawled.data) if r.rec_type == "metadata"]
    reasons = {r.rec_headers.get_header("WARC-Target-URI"): r.raw_body for r in metadata}
    assert b"fetch-error: timeout" in reasons[cited["slow"]]
    assert b"fetch-error: dns-error" in reasons[cited["nodns"]]


def test_oversized_and_broken_bodies_are_marked_truncated(crawled: Crawl) -> None:
    responses = {
        r.rec_headers.get_header("WARC-Target-URI"): r
        for r in warc_records(crawled.data)
        if r.rec_type == "response"
    }
    big, broken = crawled.hard["big"], crawled.hard["broken"]
    assert responses[big].rec_headers.get_header("WARC-Truncated") == "length"
    assert 64 * 1024 <= len(responses[big].raw_body) < 400000
    assert responses[broken].rec_headers.get_header("WARC-Truncated") == "disconnect"


def test_private_addresses_are_skipped_unless_allowed(
    fakeweb: FakeWeb, site: Site, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "citewatch.toml").write_text("[crawl]\nautothrottle = false\n", encoding="utf-8")
    site.set("/article.html", "<html><body><article><p>x</p></article></body></html>")
    citewatch(data, "add", site.url("/article.html"))
    run = citewatch(data, "crawl", "--json")
    assert run.code == 0, run.err
    article = citewatch(data, "status", "--json").json()["articles"][0]
    assert (article["state"], article["reason"]) == ("skipped", "private-address")
    assert site.requests_for("/article.html") == []  # never fetched
