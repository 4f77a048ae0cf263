"""The address guard: which hosts citewatch may fetch, decided on IP addresses after resolution.

Cited URLs come from pages strangers wrote, so by default nothing on loopback, private,
link-local, multicast or reserved addresses is fetched. Hosts are read the way browsers read
them (WHATWG URL), so ``http://2130706433/`` and ``http://0x7f.1/`` are 127.0.0.1, and names
under the reserved TLDs never reach a resolver.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

from archive.errors import BlockedAddress, InvalidUrl, UnresolvableHost

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Sequence[str]]

# RFC 2606 / RFC 6761 names that must never be sent to a DNS server. `.localhost` names are
# loopback by definition, so they resolve here and then meet the guard like any loopback host.
RESERVED_TLDS = frozenset({"invalid", "test", "example"})
LOCALHOST_ADDRESSES = ("127.0.0.1", "::1")


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host spells in any form browsers accept, or None for a domain name.

    Accepts dotted decimal plus the legacy forms: 1 to 4 parts, each decimal, octal (leading
    ``0``) or hex (``0x``), the last part filling the remaining bytes (``127.1``, ``0x7f.1``,
    ``2130706433``). Raises InvalidUrl for a numeric host that is out of range.
    """
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers) or not 1 <= len(numbers) <= 4:
        return None
    values = [n for n in numbers if n is not None]
    *leading, last = values
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(values)):
        raise InvalidUrl(f"{host} is not a valid IPv4 address", url=host)
    address = last
    for index, number in enumerate(leading):
        address += number << (8 * (3 - index))
    return ipaddress.IPv4Address(address)


def _ipv4_number(part: str) -> int | None:
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def refusal(address: str | IPAddress) -> str | None:
    """Why the guard refuses an address (``"loopback"``, ``"private"``…), or None if allowed."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one is judged by the IPv4 address inside.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return refusal(embedded)
    for reason, flagged in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("reserved", not ip.is_global),  # shared (CGNAT), documentation, benchmarking…
    ):
        if flagged:
            return reason
    return None


def is_reserved_name(host: str) -> bool:
    """True for names under TLDs that never resolve (``.invalid``, ``.test``, ``.example``)."""
    return host.rstrip(".").rsplit(".", 1)[-1].lower() in RESERVED_TLDS


def is_localhost_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def system_resolver(host: str) -> list[str]:
    """Every address the system resolver gives for ``host``."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve(host: str, resolver: Resolver = system_resolver) -> list[str]:
    """The addresses of ``host`` (an IP literal, a name); raises UnresolvableHost."""
    literal = host.strip("[]")
    try:
        return [str(ipaddress.ip_address(literal))]
    except ValueError:
        pass
    ipv4 = parse_ipv4(host)
    if ipv4 is not None:
        return [str(ipv4)]
    if is_reserved_name(host):
        raise UnresolvableHost(f"{host} is under a reserved TLD and never resolves", url=host)
    if is_localhost_name(host):
        return list(LOCALHOST_ADDRESSES)
    try:
        addresses = list(resolver(host))
    except (OSError, UnicodeError) as exc:
        raise UnresolvableHost(f"{host} does not resolve ({exc})", url=host) from None
    if not addresses:
        raise UnresolvableHost(f"{host} does not resolve", url=host)
    return addresses


def check_addresses(url: str, addresses: Sequence[str], allow_private: bool) -> None:
    """Raise BlockedAddress if any address of ``url``'s host is refused.

    Every address must pass, not just one: a name that resolves to both a public and a
    private address could otherwise be steered to the private one.
    """
    if allow_private:
        return
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            raise BlockedAddress(
                f"{url} resolves to {reason} address {address}; "
                "set CITEWATCH_ALLOW_PRIVATE=1 to allow it",
                url=url,
                address=address,
            )


def guard(
    url: str, host: str, allow_private: bool, resolver: Resolver = system_resolver
) -> list[str]:
    """Resolve ``host`` and check every address; returns the addresses allowed."""
    addresses = resolve(host, resolver)
    check_addresses(url, addresses, allow_private)
    return addresses
