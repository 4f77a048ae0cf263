"""Reply transforms behind the wrapper URLs: gzip, chunked, cut mid-body, charsets, conditionals."""

from __future__ import annotations

import codecs
import gzip
import hashlib
import re
from dataclasses import replace
from email.utils import formatdate, parsedate_to_datetime

from tests.fakeweb.generated import status_page
from tests.fakeweb.messages import Reply, Request, has_body

#: Last-Modified of content that has no time of its own (static pages): 2016-11-01 12:00 UTC,
#: the day the sample article was published.
EPOCH_MODIFIED = 1478001600.0

_META_CHARSET = re.compile(rb"""<meta\s+charset\s*=\s*["']?[\w.:-]+["']?\s*/?>\s*""", re.I)
_META_EQUIV = re.compile(rb"""<meta\s+http-equiv\s*=\s*["']?content-type["']?[^>]*>\s*""", re.I)
_HEAD = re.compile(rb"<head(\s[^>]*)?>\s*", re.I)


def gzipped(reply: Reply) -> Reply:
    """The reply with its body gzip-compressed on the wire, whatever the client accepts."""
    if not has_body(reply.status):
        return reply
    # mtime=0 keeps the bytes identical from one run to the next (digests in WARC tests).
    body = gzip.compress(reply.body, mtime=0)
    return replace(reply, body=body).with_headers(
        ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")
    )


def chunked(reply: Reply) -> Reply:
    """The reply sent with `Transfer-Encoding: chunked`."""
    return replace(reply, mode="chunked")


def cut_mid_body(reply: Reply) -> Reply:
    """The reply announced in full but cut after half its body."""
    return replace(reply, mode="drop-mid")


def recharset(reply: Reply, encoding: str, declare: str) -> Reply:
    """The reply's text re-encoded in `encoding`, declared in the header, a meta tag or nowhere.

    `declare` is "header", "meta" or "none". Any existing meta declaration is removed first,
    so each variant declares the charset in exactly one place (or none). Characters the
    charset lacks become HTML character references, as a CMS would write them.
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        return Reply(400, status_page(400, f"Unknown encoding {encoding!r}."))
    media = (reply.content_type or "text/html").split(";", 1)[0].strip()
    if not media.startswith("text/"):
        return reply
    body = _META_EQUIV.sub(b"", _META_CHARSET.sub(b"", reply.body))
    if declare == "meta":
        meta = b'<meta charset="%s">\n' % encoding.encode("ascii")
        found = _HEAD.search(body)
        at = found.end() if found else 0
        body = body[:at] + meta + body[at:]
    text = body.decode("utf-8", errors="replace")
    data = text.encode(encoding, errors="xmlcharrefreplace")
    content_type = f"{media}; charset={encoding}" if declare == "header" else media
    return replace(reply, body=data, content_type=content_type)


def conditional(reply: Reply, request: Request) -> Reply:
    """The reply with ETag and Last-Modified, or a bodiless 304 when the request's validators match.

    Validators the content already carries (a test's own ETag header) are kept. If-None-Match
    wins over If-Modified-Since, as RFC 9110 §13.2.2 orders them.
    """
    if reply.status != 200:
        return reply
    etag = (
        reply.header("ETag")
        or f'"{hashlib.sha1(reply.body, usedforsecurity=False).hexdigest()[:16]}"'
    )
    modified = reply.header("Last-Modified") or formatdate(
        reply.modified or EPOCH_MODIFIED, usegmt=True
    )
    validators = (("ETag", etag), ("Last-Modified", modified))
    if_none_match = request.header("If-None-Match")
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, etag)
    else:
        fresh = _not_older(request.header("If-Modified-Since"), modified)
    if fresh:
        return Reply(304, b"", None, validators)
    return reply.with_headers(*validators)


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison, as If-None-Match uses: `W/"x"` matches `"x"`; `*` matches anything."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def _not_older(since: str | None, modified: str) -> bool:
    if not since:
        return False
    try:
        return parsedate_to_datetime(since) >= parsedate_to_datetime(modified)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as RFC 9110 §13.1.3 says
