"""Validate and normalise the URLs users watch and articles cite, so each page has one spelling.

Normalising follows RFC 3986 section 6 plus what browsers do to hosts: scheme and host in lower
case, IDN to punycode, legacy IPv4 forms to dotted decimal, the default port and the fragment
dropped, dot segments removed, percent-encoding made canonical. Query order is kept: sites may
depend on it.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import idna

from archive.addresses import parse_ipv4
from archive.errors import InvalidUrl

SCHEMES = {"http": 80, "https": 443}
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
PATH_SAFE = "!$&'()*+,;=:@/"
QUERY_SAFE = PATH_SAFE + "?"
_ASCII_HOST = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*")
_ESCAPE_OR_TEXT = re.compile(r"%[0-9A-Fa-f]{2}|%|[^%]+")
# Browsers strip these around a URL and drop tabs and newlines inside one (WHATWG URL).
_STRIPPED = "".join(chr(c) for c in range(0x21))
_DROPPED = re.compile(r"[\t\n\r]")


def normalize(url: str) -> str:
    """The canonical spelling of an absolute http(s) URL; raises InvalidUrl with the reason."""
    text = _DROPPED.sub("", url.strip(_STRIPPED))
    if not text:
        raise InvalidUrl("empty URL", url=url)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"{url} is not a valid URL ({exc})", url=url) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidUrl(f"{url} is not an http(s) URL", url=url)
    if not parts.hostname:
        raise InvalidUrl(f"{url} has no host", url=url)
    host = _normalize_host(parts.hostname, url)
    netloc = _userinfo(parts) + host + (f":{port}" if port not in (None, SCHEMES[scheme]) else "")
    path = _remove_dot_segments(_normalize_escapes(parts.path, PATH_SAFE)) or "/"
    query = _normalize_escapes(parts.query, QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """The host of a normalised URL as a resolver wants it (IPv6 without brackets)."""
    return urlsplit(url).hostname or ""


def _normalize_host(host: str, url: str) -> str:
    if ":" in host:  # urlsplit has already taken the brackets off an IPv6 literal
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise InvalidUrl(f"{url} has an invalid IPv6 host", url=url) from None
    try:
        ipv4 = parse_ipv4(host)
    except InvalidUrl:
        raise InvalidUrl(f"{url} has an out-of-range IPv4 host", url=url) from None
    if ipv4 is not None:
        return str(ipv4)
    name = host.rstrip(".")
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise InvalidUrl(f"{url} has an invalid host name ({exc})", url=url) from None
    # ASCII names skip IDNA's strict rules: underscores, for one, are common in real hosts.
    if not _ASCII_HOST.fullmatch(name):
        raise InvalidUrl(f"{url} has an invalid host name", url=url)
    return name.lower()


def _userinfo(parts: SplitResult) -> str:
    if parts.username is None:
        return ""
    password = f":{parts.password}" if parts.password is not None else ""
    return f"{parts.username}{password}@"


def _normalize_escapes(text: str, safe: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape what must be."""
    out = []
    for match in _ESCAPE_OR_TEXT.finditer(text):
        piece = match.group()
        if piece == "%":  # a lone percent sign stands for itself
            out.append("%25")
        elif piece[0] == "%":
            char = chr(int(piece[1:], 16))
            out.append(char if char in UNRESERVED else piece.upper())
        else:
            out.append(quote(piece, safe=safe))
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: ``/a/./b/../c`` → ``/a/c``."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)
