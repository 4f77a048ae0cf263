"""URL validation and normalisation: one spelling per page, clear reasons for bad input."""

from __future__ import annotations

import pytest

from archive.errors import InvalidUrl
from archive.urls import host_of, normalize


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTP://Example.COM/Path", "http://example.com/Path"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com/a#section-2", "http://example.com/a"),
        ("https://bücher.de/straße", "https://xn--bcher-kva.de/stra%C3%9Fe"),
        ("http://example.com/%7euser/%41", "http://example.com/~user/A"),
        ("http://example.com/a%2fb%3F", "http://example.com/a%2Fb%3F"),
        ("http://example.com/a b?q=x y", "http://example.com/a%20b?q=x%20y"),
        ("http://example.com/100%", "http://example.com/100%25"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/?b=2&a=1", "http://example.com/?b=2&a=1"),
        ("  http://example.com/\n", "http://example.com/"),
        ("http://EXAMPLE.com./", "http://example.com/"),
        ("http://under_score.example.org/", "http://under_score.example.org/"),
        ("http://[2001:DB8::0001]:8080/", "http://[2001:db8::1]:8080/"),
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://0177.0.0.1/", "http://127.0.0.1/"),
    ],
)
def test_normalize(given: str, expected: str) -> None:
    assert normalize(given) == expected


def test_normalize_is_idempotent() -> None:
    url = normalize("HTTPS://Bücher.de:443/a b/%7e/./x?q=%c3%a9#f")
    assert normalize(url) == url


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("not-a-url", "not-a-url is not an http(s) URL"),
        ("ftp://x", "ftp://x is not an http(s) URL"),
        ("javascript:alert(1)", "javascript:alert(1) is not an http(s) URL"),
        ("mailto:someone@example.org", "mailto:someone@example.org is not an http(s) URL"),
        ("http://", "http:// has no host"),
        ("http:///path", "http:///path has no host"),
        ("", "empty URL"),
        ("http://a..b/", "http://a..b/ has an invalid host name"),
        ("http://-bad.org/", "http://-bad.org/ has an invalid host name"),
        ("http://1.2.3.256/", "http://1.2.3.256/ has an out-of-range IPv4 host"),
    ],
)
def test_rejects(given: str, reason: str) -> None:
    with pytest.raises(InvalidUrl) as caught:
        normalize(given)
    assert str(caught.value) == reason
    assert caught.value.url == given


def test_rejects_bad_port() -> None:
    with pytest.raises(InvalidUrl, match="is not a valid URL"):
        normalize("http://example.com:99999/")


def test_host_of_strips_ipv6_brackets() -> None:
    assert host_of("http://[::1]:8080/") == "::1"
    assert host_of("http://example.com/") == "example.com"
