"""Looking dead sources up in web archives, against answers faked with ``responses``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from archive import config
from archive.config import LookupConfig
from archive.errors import ConfigError
from archive.lookup import (
    ArchivedCopy,
    LookupResult,
    ask_memento,
    ask_wayback,
    find_copy,
    parse_timemap,
)

URL = "https://news.example.com/2016/11/alep.html"
AVAILABLE = "https://archive.org/wayback/available"
TIMEMAPS = "https://web.archive.org/web/timemap/link/"
CITED_AT = datetime(2016, 11, 25, 18, 0, tzinfo=UTC)
UA = "citewatch/9.9 (+https://github.com/citewatch/citewatch)"
CONFIG = LookupConfig(wayback=True, availability=AVAILABLE, memento=TIMEMAPS, timeout=5)

TIMEMAP = f"""<{URL}>; rel="original",
<{TIMEMAPS}{URL}>; rel="self"; type="application/link-format";
  from="Thu, 24 Nov 2016 10:00:00 GMT",
<https://web.archive.org/web/{URL}>; rel="timegate",
<https://web.archive.org/web/20161124100000/{URL}>; rel="first memento";
  datetime="Thu, 24 Nov 2016 10:00:00 GMT",
<https://web.archive.org/web/20161126090000/{URL}>; rel="memento";
  datetime="Sat, 26 Nov 2016 09:00:00 GMT",
<https://web.archive.org/web/20170301000000/{URL}>; rel="memento"; datetime="not a date",
<https://web.archive.org/web/20190101120000/{URL}>; rel="last memento";
  datetime="Tue, 01 Jan 2019 12:00:00 GMT"
"""


def available(closest: dict[str, object] | None) -> dict[str, object]:
    return {"url": URL, "archived_snapshots": {"closest": closest} if closest else {}}


SNAPSHOT = {
    "status": "200",
    "available": True,
    "url": f"http://web.archive.org/web/20161125120000/{URL}",
    "timestamp": "20161125120000",
}


@responses.activate
def test_wayback_availability_finds_the_copy_nearest_the_citation() -> None:
    responses.get(
        AVAILABLE,
        json=available(SNAPSHOT),
        match=[
            matchers.query_param_matcher({"url": URL, "timestamp": "20161125180000"}),
            matchers.header_matcher({"User-Agent": UA}),
        ],
    )
    result = find_copy(URL, CITED_AT, CONFIG, user_agent=UA)
    assert result == LookupResult(
        ArchivedCopy(
            archived_url=f"https://web.archive.org/web/20161125120000/{URL}",
            timestamp=datetime(2016, 11, 25, 12, 0, tzinfo=UTC),
            source="wayback",
        ),
        None,
        (("wayback", "found"),),
    )
    assert len(responses.calls) == 1  # found: the TimeMap is not asked


@responses.activate
def test_memento_timemap_is_asked_when_wayback_has_nothing() -> None:
    responses.get(AVAILABLE, json=available(None))
    responses.get(TIMEMAPS + URL, body=TIMEMAP, content_type="application/link-format")
    result = find_copy(URL, CITED_AT, CONFIG, user_agent=UA)
    assert result.copy == ArchivedCopy(
        f"https://web.archive.org/web/20161126090000/{URL}",
        datetime(2016, 11, 26, 9, 0, tzinfo=UTC),
        "memento",
    )
    assert result.tried == (("wayback", "not-archived"), ("memento", "found"))
    assert responses.calls[1].request.headers["User-Agent"] == UA


@responses.activate
def test_a_captured_error_page_is_not_a_copy() -> None:
    responses.get(AVAILABLE, json=available({**SNAPSHOT, "status": "404"}))
    responses.get(TIMEMAPS + URL, status=404, body="")
    result = find_copy(URL, CITED_AT, CONFIG)
    assert result == LookupResult(
        None, "not-archived", (("wayback", "not-archived"), ("memento", "not-archived"))
    )


@responses.activate
def test_without_a_time_the_latest_memento() -> None:
    responses.get(TIMEMAPS + URL, body=TIMEMAP)
    result = ask_memento(URL, None, endpoint=TIMEMAPS, timeout=5)
    assert result.copy is not None
    assert result.copy.timestamp == datetime(2019, 1, 1, 12, 0, tzinfo=UTC)


@responses.activate
def test_without_a_time_wayback_is_asked_for_its_latest() -> None:
    responses.get(
        AVAILABLE, json=available(SNAPSHOT), match=[matchers.query_param_matcher({"url": URL})]
    )
    assert ask_wayback(URL, None, endpoint=AVAILABLE, timeout=5).copy is not None


@responses.activate
def test_an_aggregator_endpoint_from_config() -> None:
    aggregator = "https://timetravel.mementoweb.org/timemap/link/"
    responses.get(aggregator + URL, body=TIMEMAP)
    settings = LookupConfig(wayback=True, availability="", memento=aggregator, timeout=5)
    result = find_copy(URL, CITED_AT, settings)
    assert result.copy is not None and result.tried == (("memento", "found"),)


NETWORK_TROUBLE = [
    ("timeout", requests.ConnectTimeout("slow"), "timeout"),
    ("read timeout", requests.ReadTimeout("slow"), "timeout"),
    ("refused", requests.ConnectionError("refused"), "connection-error"),
    ("other", requests.TooManyRedirects("loop"), "request-error"),
]


@pytest.mark.parametrize(
    ("error", "reason"), [t[1:] for t in NETWORK_TROUBLE], ids=[t[0] for t in NETWORK_TROUBLE]
)
@responses.activate
def test_network_trouble_is_a_reason_not_an_exception(error: Exception, reason: str) -> None:
    responses.get(AVAILABLE, body=error)
    responses.get(TIMEMAPS + URL, body=error)
    result = find_copy(URL, CITED_AT, CONFIG)
    assert result == LookupResult(None, reason, (("wayback", reason), ("memento", reason)))


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"status": 503, "body": "busy"}, "http-503"),
        ({"status": 200, "body": "<html>not json</html>"}, "bad-answer"),
        ({"status": 200, "json": available({**SNAPSHOT, "timestamp": "soon"})}, "bad-answer"),
        ({"status": 200, "json": ["a", "list"]}, "bad-answer"),
    ],
)
@responses.activate
def test_bad_wayback_answers(answer: dict[str, object], reason: str) -> None:
    responses.get(AVAILABLE, **answer)
    assert ask_wayback(URL, CITED_AT, endpoint=AVAILABLE, timeout=5).reason == reason


@responses.activate
def test_an_error_wins_over_not_archived() -> None:
    # One archive had nothing, the other could not be asked: the copy may still exist.
    responses.get(AVAILABLE, json=available(None))
    responses.get(TIMEMAPS + URL, body=requests.ReadTimeout("slow"))
    result = find_copy(URL, CITED_AT, CONFIG)
    assert (result.copy, result.reason) == (None, "timeout")


@responses.activate
def test_an_empty_timemap_is_not_archived() -> None:
    responses.get(TIMEMAPS + URL, body=f'<{URL}>; rel="original"\n')
    assert ask_memento(URL, CITED_AT, endpoint=TIMEMAPS, timeout=5).reason == "not-archived"


@pytest.mark.parametrize(
    "settings",
    [
        LookupConfig(wayback=False, availability=AVAILABLE, memento=TIMEMAPS, timeout=5),
        LookupConfig(wayback=True, availability="", memento="", timeout=5),
    ],
)
@responses.activate
def test_switched_off_asks_nothing(settings: LookupConfig) -> None:
    assert find_copy(URL, CITED_AT, settings) == LookupResult(None, "disabled")
    assert len(responses.calls) == 0


@responses.activate
def test_a_given_session_is_used() -> None:
    responses.get(AVAILABLE, json=available(SNAPSHOT))
    with requests.Session() as session:
        session.headers["X-Test"] = "1"
        result = find_copy(URL, CITED_AT, CONFIG, session=session)
    assert result.copy is not None
    assert responses.calls[0].request.headers["X-Test"] == "1"


def test_parse_timemap() -> None:
    mementos = parse_timemap(TIMEMAP)
    assert [when.year for _, when in mementos] == [2016, 2016, 2019]
    assert mementos[0][0] == f"https://web.archive.org/web/20161124100000/{URL}"
    # Unquoted values and a different order of parameters are link format too.
    text = '<https://arch.example/1/x>;datetime="Mon, 01 Feb 2021 00:00:00 GMT";rel=memento'
    assert parse_timemap(text) == [("https://arch.example/1/x", datetime(2021, 2, 1, tzinfo=UTC))]
    assert parse_timemap("") == []


def test_lookup_config_keys(tmp_path: Path) -> None:
    loaded = config.load(tmp_path, {})
    assert loaded.lookup == LookupConfig(
        wayback=True,
        availability="https://archive.org/wayback/available",
        memento="https://web.archive.org/web/timemap/link/",
        timeout=10,
    )
    assert config.load(tmp_path, {"CITEWATCH_LOOKUP_MEMENTO": '""'}).lookup.memento == ""
    with pytest.raises(ConfigError, match=r"lookup\.memento"):
        config.load(tmp_path, {"CITEWATCH_LOOKUP_MEMENTO": "ftp://x"})
