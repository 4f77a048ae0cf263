"""The address guard: loopback, private, link-local, multicast and reserved addresses refused."""

from __future__ import annotations

import pytest

from archive.addresses import check_addresses, guard, parse_ipv4, refusal, resolve
from archive.errors import BlockedAddress, InvalidUrl, UnresolvableHost


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata endpoints live here
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "reserved"),  # carrier-grade NAT
        ("192.0.2.1", "private"),  # documentation range
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::7f00:1", "reserved"),
    ],
)
def test_refused(address: str, reason: str) -> None:
    assert refusal(address) == reason


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_allowed(address: str) -> None:
    assert refusal(address) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f.1", "127.0.0.1"),  # hex, short form
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("10.0.0.1.", "10.0.0.1"),
        ("1.2.3", "1.2.0.3"),
    ],
)
def test_parse_ipv4_forms(host: str, address: str) -> None:
    assert str(parse_ipv4(host)) == address


@pytest.mark.parametrize("host", ["example.org", "1.2.3.4.5", "0x7g.1", "a.1", ""])
def test_parse_ipv4_leaves_names(host: str) -> None:
    assert parse_ipv4(host) is None


def test_parse_ipv4_out_of_range() -> None:
    with pytest.raises(InvalidUrl):
        parse_ipv4("256.0.0.1")


def no_dns(host: str) -> list[str]:
    raise AssertionError(f"{host} must not reach a resolver")


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "localhost", "a.localhost"]
)
def test_guard_blocks_loopback_forms(host: str) -> None:
    with pytest.raises(BlockedAddress) as caught:
        guard(f"http://{host}/", host, allow_private=False, resolver=no_dns)
    assert "CITEWATCH_ALLOW_PRIVATE=1" in str(caught.value)


def test_guard_allows_private_when_asked() -> None:
    assert guard("http://127.0.0.1/", "127.0.0.1", allow_private=True, resolver=no_dns) == [
        "127.0.0.1"
    ]


def test_guard_checks_every_resolved_address() -> None:
    # A name with one public and one private address is refused: it could be steered either way.
    def resolver(host: str) -> list[str]:
        return ["8.8.8.8", "10.0.0.7"]

    with pytest.raises(BlockedAddress) as caught:
        guard("http://mixed.example.net/", "mixed.example.net", False, resolver)
    assert caught.value.address == "10.0.0.7"
    assert guard("http://p.example.net/", "p.example.net", False, lambda h: ["8.8.8.8"]) == [
        "8.8.8.8"
    ]


@pytest.mark.parametrize("host", ["gone.invalid", "site.test", "www.example", "X.INVALID."])
def test_reserved_tlds_never_resolve(host: str) -> None:
    with pytest.raises(UnresolvableHost):
        resolve(host, resolver=no_dns)


def test_resolver_failure_is_unresolvable() -> None:
    def failing(host: str) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(UnresolvableHost, match="does not resolve"):
        resolve("nowhere.example.net", failing)


def test_check_addresses_names_the_address() -> None:
    with pytest.raises(BlockedAddress) as caught:
        check_addresses("http://x/", ["169.254.169.254"], allow_private=False)
    assert caught.value.address == "169.254.169.254"
    assert "link-local" in str(caught.value)
