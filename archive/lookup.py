"""Finding an archived copy of a dead source in public web archives.

The Wayback Machine's availability API is asked first, then a Memento TimeMap (the Wayback
Machine's own, or an aggregator such as Time Travel that searches many archives). Network
trouble is a reason in the result, never an exception: a lookup is a courtesy, not a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from archive.config import LookupConfig

USER_AGENT = "citewatch (+https://github.com/citewatch/citewatch)"
NOT_ARCHIVED = "not-archived"

# One link of a TimeMap in link format: <url>; rel="memento"; datetime="Sun, 02 Mar 1997 …".
# Quoted values may hold commas (the datetime does), so links are found, not split on ",".
_LINK = re.compile(r'<([^>]+)>((?:\s*;\s*[\w-]+\s*=\s*(?:"[^"]*"|[^;,<\s]+))*)')
_PARAM = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|([^;,<\s]+))')


@dataclass(frozen=True)
class ArchivedCopy:
    """A copy of the page kept by a public archive."""

    archived_url: str
    timestamp: datetime  # when the archive captured it, UTC
    source: str  # "wayback" (availability API) or "memento" (TimeMap)


@dataclass(frozen=True)
class LookupResult:
    """The copy found, or why there is none; ``tried`` says what each service answered."""

    copy: ArchivedCopy | None
    reason: str | None  # not-archived, timeout, connection-error, http-503, bad-answer, disabled
    tried: tuple[tuple[str, str], ...] = ()


def find_copy(
    url: str,
    at: datetime | None,
    config: LookupConfig,
    *,
    user_agent: str = USER_AGENT,
    session: requests.Session | None = None,
) -> LookupResult:
    """The archived copy of ``url`` nearest ``at`` (when it was cited; None: the latest)."""
    if not config.wayback:
        return LookupResult(None, "disabled")
    services = [
        ("wayback", ask_wayback, config.availability),
        ("memento", ask_memento, config.memento),
    ]
    tried: list[tuple[str, str]] = []
    for name, ask, endpoint in services:
        if not endpoint:
            continue
        result = ask(
            url,
            at,
            endpoint=endpoint,
            timeout=config.timeout,
            user_agent=user_agent,
            session=session,
        )
        if result.copy is not None:
            return LookupResult(result.copy, None, (*tried, (name, "found")))
        tried.append((name, result.reason or NOT_ARCHIVED))
    if not tried:
        return LookupResult(None, "disabled")
    # "not archived" only when every archive said so; otherwise the first one that failed.
    errors = [why for _, why in tried if why != NOT_ARCHIVED]
    return LookupResult(None, errors[0] if errors else NOT_ARCHIVED, tuple(tried))


def ask_wayback(
    url: str,
    at: datetime | None,
    *,
    endpoint: str,
    timeout: float,
    user_agent: str = USER_AGENT,
    session: requests.Session | None = None,
) -> LookupResult:
    """The Wayback Machine availability API's closest capture of ``url`` that answered 2xx."""
    params = {"url": url}
    if at is not None:
        params["timestamp"] = at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    answer = _get(endpoint, timeout, user_agent, session, params)
    if isinstance(answer, str):
        return LookupResult(None, answer)
    try:
        closest = answer.json().get("archived_snapshots", {}).get("closest") or {}
        status = str(closest.get("status", ""))
        if not closest.get("available") or not status.startswith("2"):
            return LookupResult(None, NOT_ARCHIVED)  # a capture of an error page is no copy
        when = datetime.strptime(closest["timestamp"], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        archived = str(closest["url"]).replace(
            "http://web.archive.org/", "https://web.archive.org/"
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return LookupResult(None, "bad-answer")
    return LookupResult(ArchivedCopy(archived, when, "wayback"), None)


def ask_memento(
    url: str,
    at: datetime | None,
    *,
    endpoint: str,
    timeout: float,
    user_agent: str = USER_AGENT,
    session: requests.Session | None = None,
) -> LookupResult:
    """The memento of ``url`` nearest ``at`` (the latest without one) in a link-format TimeMap."""
    answer = _get(endpoint + url, timeout, user_agent, session)
    if isinstance(answer, str):
        # TimeMaps answer 404 for a URL they hold nothing of.
        return LookupResult(None, NOT_ARCHIVED if answer == "http-404" else answer)
    mementos = parse_timemap(answer.text)
    if not mementos:
        return LookupResult(None, NOT_ARCHIVED)
    if at is None:
        archived, when = max(mementos, key=lambda m: m[1])
    else:
        # Nearest to the citation; on a tie the earlier one, captured before any decay.
        archived, when = min(mementos, key=lambda m: (abs((m[1] - at).total_seconds()), m[1]))
    return LookupResult(ArchivedCopy(archived, when, "memento"), None)


def parse_timemap(text: str) -> list[tuple[str, datetime]]:
    """Every memento (URL, capture time) listed in a link-format TimeMap (RFC 7089)."""
    mementos = []
    for target, params in _LINK.findall(text):
        values = {m[0].lower(): m[1] or m[2] for m in _PARAM.findall(params)}
        if "memento" not in values.get("rel", "").split() or "datetime" not in values:
            continue
        try:
            when = parsedate_to_datetime(values["datetime"])
        except (TypeError, ValueError):
            continue  # one unreadable date does not spoil the others
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # RFC 7089 datetimes are GMT
        mementos.append((target, when.astimezone(UTC)))
    return mementos


def _get(
    url: str,
    timeout: float,
    user_agent: str,
    session: requests.Session | None,
    params: dict[str, str] | None = None,
) -> requests.Response | str:
    """The answer, or the reason there is none usable."""
    get = session.get if session is not None else requests.get
    try:
        answer = get(url, params=params, timeout=timeout, headers={"User-Agent": user_agent})
    except requests.Timeout:
        return "timeout"
    except requests.ConnectionError:
        return "connection-error"
    except requests.RequestException:
        return "request-error"
    if answer.status_code != 200:
        return f"http-{answer.status_code}"
    return answer
