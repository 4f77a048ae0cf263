"""What a recheck is compared with: the last full capture of each URL a page answered from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive import checks
from archive.last_captures import cited_urls, last_response, last_responses
from archive.store import Store

START = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'citewatch.db'}")
    yield store
    store.close()


def capture(url: str, n: int, status: int = 200, **extra: object) -> checks.CapturedResponse:
    return checks.CapturedResponse(
        url=url,
        fetched_at=START + timedelta(days=n),
        http_status=status,
        mime="text/html",
        warc_file="a.warc.gz",
        warc_offset=n * 1000,
        warc_length=900,
        record_id=f"<urn:uuid:{n:08d}-0000-0000-0000-000000000000>",
        payload_digest=f"sha1:DIGEST{n}",
        **extra,  # type: ignore[arg-type]
    )


def check(store: Store, page: str, n: int, *hops: checks.CapturedResponse) -> None:
    outcome = checks.CheckOutcome(
        url=page, checked_at=START + timedelta(days=n), http_status=hops[-1].http_status,
        captures=hops,
    )  # fmt: skip
    checks.record(store, outcome)


def test_each_url_of_a_page_keeps_its_newest_full_success(store: Store) -> None:
    page, moved_to = "http://a.test/old", "http://a.test/new"
    check(store, page, 1, capture(page, 1))
    check(store, page, 2, capture(page, 2, 301), capture(moved_to, 3, etag='"v1"'))
    check(store, page, 4, capture(page, 4, 301), capture(moved_to, 5, 503))  # failed: ignored
    check(store, page, 6, capture(page, 6, 301), capture(moved_to, 7, truncated="length"))

    found = last_responses(store, [page, "http://b.test/never-seen"])

    assert found["http://b.test/never-seen"] == {}
    assert set(found[page]) == {page, moved_to}
    assert found[page][page].original.record_id.startswith("<urn:uuid:00000001")
    newest = found[page][moved_to]
    assert newest.original.record_id.startswith("<urn:uuid:00000003")
    assert newest.original.payload_digest == "sha1:DIGEST3"
    assert newest.conditional_headers() == {"If-None-Match": '"v1"'}
    assert last_response(store, page, moved_to) == newest


def test_captures_are_kept_apart_by_the_page_that_made_them(store: Store) -> None:
    """A URL reached from two cited pages: each page's recheck compares with its own capture."""
    shared = "http://a.test/landing"
    check(store, "http://a.test/one", 1, capture("http://a.test/one", 1, 302), capture(shared, 2))
    check(store, "http://a.test/two", 3, capture("http://a.test/two", 3, 302), capture(shared, 4))

    found = last_responses(store, ["http://a.test/one", "http://a.test/two"])

    assert found["http://a.test/one"][shared].original.payload_digest == "sha1:DIGEST2"
    assert found["http://a.test/two"][shared].original.payload_digest == "sha1:DIGEST4"


def test_an_unchanged_page_follows_what_it_cited_when_last_parsed(store: Store) -> None:
    article, other = "http://a.test/article", "http://a.test/cites-nothing"
    first = [checks.CitedLink(url) for url in ("http://b.test/1", "http://b.test/2")]
    cite(store, article, 1, first)
    cite(store, other, 1, [])
    # Edited: the second source went, a third came before the first.
    cite(store, article, 2, [checks.CitedLink("http://b.test/3"), first[0]])

    found = cited_urls(store, [article, other, "http://a.test/never-seen"])

    # Dropped sources are not followed; a page citing nothing is parsed again, not trusted.
    assert found == {article: ["http://b.test/3", "http://b.test/1"]}


def cite(store: Store, page: str, n: int, cited: list[checks.CitedLink]) -> None:
    outcome = checks.CheckOutcome(
        url=page, checked_at=START + timedelta(days=n), http_status=200,
        captures=(capture(page, n),), citations=cited,
    )  # fmt: skip
    checks.record(store, outcome)
