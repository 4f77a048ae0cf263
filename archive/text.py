"""A capture's readable text and metadata (HTML via trafilatura, PDF via pypdf, plain text as is),
and the normalised-text digest that decides whether a source changed.

``extract`` never raises for bad content: a capture whose text cannot be had gets an empty text
and a ``reason`` ("no-main-text", "unsupported-type:image/png", "pdf-error: …", "empty-body").
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import functools
import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import lxml.html
    from lxml.html import HtmlElement
    from trafilatura.settings import Document

logger = logging.getLogger(__name__)

# The extraction libraries load on first use, in the processes that extract: a crawl's writers,
# and the commands that only compare texts, need nothing here but the normaliser, and loading
# trafilatura cost each of them seconds.

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
# Types servers send when they do not know: the bytes decide instead.
UNKNOWN_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/x-download",
     "application/force-download", "application/unknown", "unknown/unknown"}
)  # fmt: skip

# Labels browsers read as windows-1252 (WHATWG Encoding): latin-1 pages use its quotes and dashes.
_WINDOWS_1252 = frozenset(
    {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819", "us-ascii",
     "ascii", "windows-1252", "x-cp1252", "cp1252"}
)  # fmt: skip
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_IMAGE_MAGIC = ((b"\x89PNG", "image/png"), (b"GIF8", "image/gif"), (b"\xff\xd8\xff", "image/jpeg"))
_HTML_START = re.compile(rb"^\s*<(!doctype\s+html|html|head|body|meta|title|div|p)\b", re.I)
# Control characters that no real text is made of; many of them mean the bytes are not text.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\ufffd]")


# What citewatch asks of trafilatura: a page's text and metadata. bench/extract_only.py makes
# trafilatura's one call with these; extract makes it in two parts, _TEXT_ONLY then
# page_metadata, which takes no options: one that changes the metadata (author_blacklist,
# url_blacklist, date_extraction_params) would have to reach it too.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "favor_precision": True,  # evidence wants the article, not the page's furniture
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "with_metadata": True,
    "deduplicate": False,  # its cache is process-wide state: digests would depend on order
}
# The same, for the text alone: the metadata comes from page_metadata.
_TEXT_ONLY = {**TRAFILATURA_OPTIONS, "with_metadata": False}


@dataclass(frozen=True)
class ExtractedText:
    """The text of one capture; when ``text`` is empty, ``reason`` says why."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    site_name: str | None = None
    language: str | None = None
    reason: str | None = None

    @classmethod
    def failed(cls, reason: str) -> ExtractedText:
        """An empty text and why, for a capture whose text cannot be had."""
        return cls("", reason=reason)


def extract(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    mime: str | None = None,
    pdf: bool = True,
) -> ExtractedText:
    """The main text and metadata of a response body.

    ``content_type`` is the Content-Type header as received (its charset is used); ``mime``,
    when known (a sniffed or stored MIME type), wins over the header's media type.
    """
    if not body.strip():
        return ExtractedText("", reason="empty-body")
    media = (mime or _media_type(content_type)).lower()
    if media in UNKNOWN_TYPES:
        media = _sniff(body)
    if media in PDF_TYPES:
        return _pdf(body) if pdf else ExtractedText("", reason="pdf-disabled")
    if media not in HTML_TYPES and media not in TEXT_TYPES:
        return ExtractedText("", reason=f"unsupported-type:{media}")
    is_html = media in HTML_TYPES
    decoded = decode(body, content_type, html=is_html)
    if len(_NOT_TEXT.findall(decoded[:8192])) > len(decoded[:8192]) // 50:
        return ExtractedText("", reason="binary-content")
    if not is_html:
        text = decoded.replace("\r\n", "\n").strip()
        return ExtractedText(text, reason=None if text else "empty-body")
    return _html(decoded, url)


def decode(body: bytes, content_type: str | None, *, html: bool = True) -> str:
    """``body`` as text: BOM, then the HTTP header's charset, then a <meta> one, then detection.

    A declaration the bytes contradict (a "utf-8" page full of windows-1252 accents) is passed
    over for the next candidate; when every candidate fails, the first is used with
    replacement characters, as a browser would.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    declared = [_codec(_header_charset(content_type))]
    if html:
        found = _META_CHARSET.search(body[:4096])
        meta = _codec(found.group(1).decode("ascii", "replace")) if found else None
        # A <meta> cannot truthfully declare UTF-16: the bytes it was read from are ASCII-like.
        declared.append("utf-8" if meta and meta.startswith("utf-16") else meta)
    candidates = [c for c in declared if c]
    for encoding in dict.fromkeys([*candidates, "utf-8"]):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    import charset_normalizer

    matches = charset_normalizer.from_bytes(body)
    best = matches.best()
    if best is not None:
        # Short Western texts fit several single-byte charsets equally well; like browsers, pick
        # windows-1252, by far the web's most common legacy charset, when it reads as cleanly.
        for match in matches:
            if match.chaos <= best.chaos + 0.01 and "cp1252" in match.could_be_from_charset:
                return str(match)
        return str(best)
    return body.decode(candidates[0] if candidates else "cp1252", errors="replace")


def _codec(label: str | None) -> str | None:
    """Python's codec for a charset label, or None for a label no codec answers to."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _WINDOWS_1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _header_charset(content_type: str | None) -> str | None:
    found = _HEADER_CHARSET.search(content_type or "")
    return found.group(1) if found else None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip()


def _sniff(body: bytes) -> str:
    """A media type for a body whose server did not say: PDF, image, HTML or text."""
    head = body[:1024]
    if b"%PDF-" in head:
        return "application/pdf"
    for magic, media in _IMAGE_MAGIC:
        if head.startswith(magic):
            return media
    if head[:12].startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return "text/html" if _HTML_START.match(head.lstrip(codecs.BOM_UTF8)) else "text/plain"


def _html(markup: str, url: str) -> ExtractedText:
    import trafilatura
    from trafilatura.settings import Document

    tree = parse_html(markup)
    if tree is None:
        return ExtractedText("", reason="not-html")
    language = _language(tree)
    page_title = _clean(tree.findtext(".//title"))
    try:
        # The text first, without metadata: a page with no main text needs none.
        result = trafilatura.bare_extraction(tree, url=url, **_TEXT_ONLY)
    except Exception as exc:  # trafilatura and lxml raise many kinds; bad content is not a crash
        return ExtractedText(
            "", title=page_title, language=language, reason=f"extract-error: {exc}"
        )
    # The one place where trafilatura's None (no main text found) becomes a reason.
    document = result if isinstance(result, Document) else None
    text = (document.text or "").strip() if document is not None else ""
    if document is None or not text:
        return ExtractedText("", title=page_title, language=language, reason="no-main-text")
    try:
        metadata = page_metadata(tree, url)
    except Exception:  # a bug in a metadata step: the text stands without its metadata
        logger.warning("metadata of %s could not be read", url, exc_info=True)
        metadata = Document()
    return ExtractedText(
        text=text,
        title=_clean(metadata.title) or page_title,
        author=_clean(metadata.author),
        date=_clean(metadata.date),
        site_name=_clean(metadata.sitename),
        language=language,  # extract_metadata finds none: _language reads the page for it
        reason=None,
    )


def page_metadata(tree: HtmlElement, url: str) -> Document:
    """The page's title, author, date and site name (and URL, description, image), as
    trafilatura's ``extract_metadata`` finds them, step for step, less the steps whose findings
    citewatch never keeps: categories, tags and licence, which search every link of the page
    (a fifth of a page's extraction CPU on the bench's pages), hostname and file date; and
    with no author blacklist, as citewatch sets none. tests/test_text.py checks the fields
    against trafilatura's one call."""
    from trafilatura import metadata as steps
    from trafilatura.settings import DEFAULT_CONFIG, set_date_params

    # What trafilatura's call uses when given no date_extraction_params ("today" included).
    date_params = set_date_params(DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH"))
    found = steps.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # trafilatura's rule: a one-word author is a handle, not a name
    with contextlib.suppress(Exception):  # a broken JSON-LD block: trafilatura reads on too
        found = steps.extract_meta_json(tree, found)
    found.title = found.title or steps.extract_title(tree)
    found.author = found.author or steps.extract_author(tree)
    found.url = found.url or steps.extract_url(tree, url)
    date_params["url"] = found.url
    found.date = steps.find_date(tree, **date_params)
    found.sitename = found.sitename or steps.extract_sitename(tree)
    if found.sitename:
        found.sitename = found.sitename.lstrip("@")  # a Twitter handle
        if found.sitename and "." not in found.sitename and not found.sitename[0].isupper():
            found.sitename = found.sitename.title()
    elif found.url and (from_url := steps.META_URL.match(found.url)):
        found.sitename = from_url[1]
    found.clean_and_trim()
    return found


def parse_html(markup: str) -> HtmlElement | None:
    """``markup`` as the tree trafilatura extracts from, or None when it is not HTML.

    The steps of trafilatura's own ``load_html``, with one difference: lxml.html's parser calls
    a Python function for every element it hands out (to give form fields classes of their own,
    which trafilatura never uses), where this one looks classes up in C. Extraction takes ~5 %
    less CPU for the very same text and metadata (1,050 pages of bench/crawl.py compared).
    """
    from trafilatura.utils import is_dubious_html, repair_faulty_html

    beginning = markup[:50].lower()
    markup = repair_faulty_html(markup, beginning)
    tree = _parsed(markup)
    if tree is None or len(tree) < 1:
        # A str that declares its encoding is refused by lxml; its UTF-8 bytes are not.
        tree = _parsed(markup.encode("utf-8", "surrogatepass"))
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # one element and no <html> anywhere near the start: not a document
    return tree


def _parsed(markup: str | bytes) -> HtmlElement | None:
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.fromstring(markup, parser=_html_parser())
    except (ValueError, etree.LxmlError):  # an encoding declaration in a str; no document
        return None


@functools.cache
def _html_parser() -> lxml.html.HTMLParser:
    """trafilatura's parser settings, with a class lookup done in C (see ``parse_html``)."""
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8",
        remove_comments=True, remove_pis=True,
    )  # fmt: skip
    lookup = etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity,
    )  # fmt: skip
    parser.set_element_class_lookup(lookup)
    return parser


def _language(tree: HtmlElement) -> str | None:
    """The page's declared language: <html lang>, else a Content-Language or og:locale meta."""
    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        for meta in tree.iterfind(".//meta"):
            name = (meta.get("http-equiv") or meta.get("property") or "").lower()
            if name in ("content-language", "og:locale"):
                lang = meta.get("content")
                break
    return _clean(lang.replace("_", "-")) if lang else None


def _pdf(body: bytes) -> ExtractedText:
    import pypdf  # imported here: most captures are HTML, and pypdf takes a while to load

    try:
        reader = pypdf.PdfReader(io.BytesIO(body))
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            return ExtractedText("", reason="pdf-encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        title = _clean(info.title) if info else None
        author = _clean(info.author) if info else None
        date = _pdf_date(info)
        lang = reader.root_object.get("/Lang")
    except Exception as exc:  # pypdf raises anything from PdfReadError to KeyError on bad files
        return ExtractedText("", reason=f"pdf-error: {type(exc).__name__}: {exc}".strip())
    lines = (line.rstrip() for page in pages for line in [*page.splitlines(), ""])
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    language = _clean(str(lang)) if lang else None
    reason = None if text else "pdf-no-text"  # a scan without a text layer
    return ExtractedText(text, title, author, date, None, language, reason)


def _pdf_date(info: object) -> str | None:
    try:
        created = getattr(info, "creation_date", None)
    except Exception:  # a malformed /CreationDate string raises on access
        return None
    return created.date().isoformat() if created else None


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


# Typographic variants that editors swap without changing what a text says.
_TYPOGRAPHY = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2039\u203a", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015", "-"),
    **dict.fromkeys(
        "\u200b\u200c\u200d\u2060\ufeff\u00ad", ""
    ),  # invisible: zero-width, soft hyphen
    "\u2026": "...",
}
# French guillemets carry spaces inside (« ainsi »); the spaces go with them. Separate patterns
# with a literal or a character class first: the regex engine then skips ahead quickly, where
# one alternation tried at every position cost ~0.7 s a megabyte.
_AFTER_OPENING = re.compile(r"«[^\S\n]+")
_BEFORE_CLOSING = re.compile(r"[^\S\n]+»")
_TYPOGRAPHIC_MAP = {**_TYPOGRAPHY, "«": '"', "»": '"'}
_TYPOGRAPHIC = re.compile("[" + "".join(_TYPOGRAPHIC_MAP) + "]")


def normalise(text: str, ignore: Sequence[str] = ()) -> str:
    """``text`` as compared for change: NFC, ``ignore`` patterns removed, quotes and dashes
    unified, whitespace (line breaks included) collapsed to single spaces."""
    text = unicodedata.normalize("NFC", text)
    # Patterns run before whitespace is collapsed: they may anchor on line starts and ends.
    for pattern in ignore:
        text = re.sub(pattern, " ", text, flags=re.MULTILINE)
    # split() and a regex's \s agree on what whitespace is; the split is three times faster.
    return " ".join(_typography(text).split())


def normalise_lines(lines: Sequence[str], ignore: Sequence[str] = ()) -> list[str]:
    """``normalise`` of each line (lines hold no line breaks), in one pass over their join:
    a long text's thousands of sentences cost one regex run instead of thousands."""
    text = unicodedata.normalize("NFC", "\n".join(lines))
    for pattern in ignore:
        text = re.sub(pattern, " ", text, flags=re.MULTILINE)
    out = [" ".join(line.split()) for line in _typography(text).split("\n")]
    if len(out) != len(lines):  # a pattern removed a line break: fall back to line by line
        return [normalise(line, ignore) for line in lines]
    return out


def _typography(text: str) -> str:
    if text.isascii():
        return text
    if "«" in text or "»" in text:
        text = _BEFORE_CLOSING.sub("»", _AFTER_OPENING.sub("«", text))
    return _TYPOGRAPHIC.sub(lambda found: _TYPOGRAPHIC_MAP[found.group()], text)


def text_digest(text: str, ignore: Sequence[str] = ()) -> str:
    """``sha1:`` and the base32 SHA-1 of the normalised text (WARC's digest spelling)."""
    digest = hashlib.sha1(normalise(text, ignore).encode("utf-8"), usedforsecurity=False)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")
