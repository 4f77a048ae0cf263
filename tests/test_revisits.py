"""Cheap rechecks over real crawls: conditional requests, and ``revisit`` records of unchanged
pages that warcio accepts and pywb replays.

One article, served with validators, cites a source served with them (``/etag/…``) and a plain
one; the second crawl finds all three unchanged. Both crawls run once, in a module fixture the
tests only read.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.crawling import citewatch, make_data_dir, warc_records, warcio_check
from tests.fakeweb import FakeWeb, Seen
from tests.test_replay import COLLECTION, launch_wayback

# Pages of some size, little compressible, as real ones are: a recheck must not copy them.
FIGURES = " ".join(hashlib.sha256(str(n).encode()).hexdigest()[:8] for n in range(3000))
SOURCE = (
    "<html><head><title>Agency report</title></head><body><article><h1>Agency report</h1>"
    "<p>The agency counted 40 dead, including 16 children, and 250 wounded in the district.</p>"
    f"<p>Its observers reached the area on the morning of 30 October.</p><p>{FIGURES}</p>"
    "</article></body></html>"
)
PLAIN = SOURCE.replace("Agency report", "Hospital statement").replace("40 dead", "41 dead")
NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# A revisit holds a request's worth of HTTP headers and no body, whatever the page's size.
REVISIT_MAX_BYTES = 2_000


@dataclass
class Crawled:
    data: Path
    article: str
    validated: str  # served with ETag and Last-Modified
    plain: str  # served without validators
    recheck_requests: list[Seen]  # what the fake web saw during the second crawl
    first_bytes: int  # of the WARC files the first crawl wrote
    recheck_bytes: int  # of those the second crawl added


def warc_bytes(data: Path) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in (data / "warcs").glob("*.warc.gz")}


@pytest.fixture(scope="module")
def crawled(fakeweb: FakeWeb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    data = make_data_dir(tmp_path_factory.mktemp("revisits") / "data")
    site = fakeweb.site("revisits")
    site.set("/source.html", SOURCE)
    site.set("/plain.html", PLAIN)
    validated = fakeweb.url("/etag" + site.path("/source.html"))
    plain = site.url("/plain.html")
    site.set(
        "/article.html",
        f'<html><body><article><p>As <a href="{validated}">the agency reported</a> and '
        f'<a href="{plain}">the hospital confirmed</a>, the toll rose.</p></article>'
        "</body></html>",
    )
    article = fakeweb.url("/etag" + site.path("/article.html"))
    assert citewatch(data, "add", article).code == 0
    first = citewatch(data, "crawl")
    assert first.code == 0, first.err
    before = warc_bytes(data)
    seen = len(fakeweb.requests)
    second = citewatch(data, "crawl", "--all")
    assert second.code == 0, second.err
    after = warc_bytes(data)
    yield Crawled(
        data,
        article,
        validated,
        plain,
        recheck_requests=fakeweb.requests[seen:],
        first_bytes=sum(before.values()),
        recheck_bytes=sum(size for name, size in after.items() if name not in before),
    )
    site.reset()


def records_of(data: Path, url: str) -> list[Any]:
    """The HTTP exchanges archived for ``url`` (its conversion and metadata records aside)."""
    return [
        r
        for r in warc_records(data)
        if r.rec_headers.get_header("WARC-Target-URI") == url
        and r.rec_type in ("request", "response", "revisit")
    ]


def requests_for(crawled: Crawled, url: str) -> list[Seen]:
    return [seen for seen in crawled.recheck_requests if seen.path == urlsplit(url).path]


def history(data: Path, url: str) -> dict[str, Any]:
    run = citewatch(data, "history", url, "--json")
    assert run.code == 0, run.err
    result: dict[str, Any] = run.json()
    return result


def test_a_304_is_archived_as_a_revisit_of_the_original_response(crawled: Crawled) -> None:
    (asked,) = requests_for(crawled, crawled.validated)
    assert asked.header("If-None-Match") and asked.header("If-Modified-Since")

    records = records_of(crawled.data, crawled.validated)
    assert [r.rec_type for r in records] == ["request", "response", "request", "revisit"]
    original, revisit = records[1], records[3]
    assert revisit.rec_headers.get_header("WARC-Profile") == NOT_MODIFIED
    refers_to = revisit.rec_headers.get_header("WARC-Refers-To")
    assert refers_to == original.rec_headers.get_header("WARC-Record-ID")
    assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == crawled.validated
    assert revisit.rec_headers.get_header("WARC-Refers-To-Date") == original.rec_headers.get_header(
        "WARC-Date"
    )
    assert revisit.http_headers.get_statuscode() == "304"
    assert revisit.raw_body == b""
    digest = original.rec_headers.get_header("WARC-Payload-Digest")
    assert revisit.rec_headers.get_header("WARC-Payload-Digest") == digest
    # The revalidating request, as sent, is archived with it.
    assert records[2].http_headers.get_header("If-None-Match") == asked.header("If-None-Match")


def test_an_identical_payload_is_archived_as_a_revisit(crawled: Crawled) -> None:
    records = records_of(crawled.data, crawled.plain)
    assert [r.rec_type for r in records] == ["request", "response", "request", "revisit"]
    original, revisit = records[1], records[3]
    assert revisit.rec_headers.get_header("WARC-Profile") == IDENTICAL
    assert revisit.rec_headers.get_header("WARC-Refers-To") == original.rec_headers.get_header(
        "WARC-Record-ID"
    )
    assert revisit.http_headers.get_statuscode() == "200"
    # A page without validators is asked for in full: nothing to revalidate with.
    (asked,) = requests_for(crawled, crawled.plain)
    assert asked.header("If-None-Match") is None and asked.header("If-Modified-Since") is None


def test_every_revisit_points_at_a_response_and_warcio_accepts_them(crawled: Crawled) -> None:
    records = warc_records(crawled.data)
    by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for r in records}
    revisits = [r for r in records if r.rec_type == "revisit"]
    assert len(revisits) >= 3  # the two sources, and the unchanged article
    for revisit in revisits:
        assert by_id[revisit.rec_headers.get_header("WARC-Refers-To")].rec_type == "response"
    check = warcio_check(crawled.data)
    assert check.returncode == 0, check.stdout + check.stderr


def test_storage_grows_with_changes_not_with_checks(crawled: Crawled) -> None:
    revisits = [r for r in warc_records(crawled.data) if r.rec_type == "revisit"]
    for revisit in revisits:
        assert int(revisit.rec_headers.get_header("Content-Length")) < REVISIT_MAX_BYTES
    # Nothing but requests and revisits were added: the unchanged article was not parsed
    # again, so it has no new list of citations.
    assert crawled.recheck_bytes < crawled.first_bytes / 4, crawled


def test_an_unchanged_article_is_revalidated_and_its_sources_still_checked(
    crawled: Crawled,
) -> None:
    (asked,) = requests_for(crawled, crawled.article)
    assert asked.header("If-None-Match")
    (original, revisit) = [
        r for r in records_of(crawled.data, crawled.article) if r.rec_type != "request"
    ]
    assert (original.rec_type, revisit.rec_headers.get_header("WARC-Profile")) == (
        "response",
        NOT_MODIFIED,
    )
    # What it cited last time is followed: both sources were asked for again.
    assert requests_for(crawled, crawled.validated) and requests_for(crawled, crawled.plain)
    citation_lists = [r for r in warc_records(crawled.data) if r.rec_type == "metadata"]
    assert len(citation_lists) == 1  # from the first crawl, which parsed the article
    status = citewatch(crawled.data, "status", "--json").json()["articles"][0]
    sources = {source["url"]: source for source in status["sources"]}
    assert set(sources) == {crawled.validated, crawled.plain}
    assert all(source["dropped"] is None for source in sources.values())


def test_unchanged_sources_stay_ok_and_keep_their_text(crawled: Crawled) -> None:
    for url in (crawled.validated, crawled.plain, crawled.article):
        checks = history(crawled.data, url)["checks"]  # the latest first
        assert [check["state"] for check in checks] == ["ok", "ok"], checks
        recheck, first = checks[0]["capture"], checks[1]["capture"]
        assert (first["record_type"], recheck["record_type"]) == ("response", "revisit")
        assert recheck["payload_digest"] == first["payload_digest"]
        assert recheck["text_chars"] == first["text_chars"] and first["text_chars"] > 0
    # "304 Not Modified" is recorded as the answer it confirms.
    assert history(crawled.data, crawled.validated)["checks"][0]["http_status"] == 200


def test_a_recheck_stores_the_text_only_once(crawled: Crawled) -> None:
    """Storage grows with changes, not with checks: a revisit's row keeps the text's digest
    and leaves the text itself to the response it repeats."""
    with closing(sqlite3.connect(crawled.data / "citewatch.db")) as conn:
        rows = conn.execute(
            "SELECT record_type, text IS NOT NULL, text_digest IS NOT NULL FROM captures "
            "WHERE http_status = 200 OR record_type = 'revisit' ORDER BY id"
        ).fetchall()
    assert ("revisit", 0, 1) in rows
    assert all(stored == (kind == "response") for kind, stored, _ in rows), rows


def original_stamp(data: Path, url: str) -> str:
    first = history(data, url)["checks"][-1]["capture"]
    return re.sub(r"\D", "", first["fetched_at"])[:14]


def test_pywb_replays_a_revisit_as_the_original_page(crawled: Crawled, tmp_path: Path) -> None:
    index = citewatch(crawled.data, "index", "--json")
    assert index.code == 0, index.err
    lines = (crawled.data / "indexes" / "index.cdxj").read_text(encoding="utf-8")
    assert '"mime": "warc/revisit"' in lines and '"status": "304"' not in lines
    wayback = launch_wayback(tmp_path / "pywb", crawled.data)
    try:
        wayback.wait_until_ready()
        for url in (crawled.validated, crawled.plain):
            recheck = history(crawled.data, url)["checks"][0]["capture"]
            stamp = re.sub(r"\D", "", recheck["fetched_at"])[:14]
            replayed = wayback.get(f"/{COLLECTION}/{stamp}id_/{url}")
            assert replayed.status == 200, wayback.output()
            assert replayed.body.decode() == (SOURCE if url == crawled.validated else PLAIN)
            served = parsedate_to_datetime(replayed.headers["Memento-Datetime"])
            # The identical payload replays as the revisit, at its own time; a 304 is not
            # indexed (pywb would replay an empty 304), so the response it confirmed is served.
            expected = stamp if url == crawled.plain else original_stamp(crawled.data, url)
            assert served.strftime("%Y%m%d%H%M%S") == expected
    finally:
        wayback.stop()
