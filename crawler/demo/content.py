"""The sample web's content: its static pages (``SITE``), and what it builds in code: status
pages, big pages, a minimal PDF and a PNG. The test suite's fake web serves the same."""

from __future__ import annotations

import html
import re
import struct
import zlib
from http import HTTPStatus
from pathlib import Path

#: The sample web's static pages: a French news article and the sources it cites.
SITE = Path(__file__).resolve().parent / "site"

#: The sentence every `/pdf/<name>.pdf` carries in its text layer.
PDF_SENTENCE = "This PDF is a cited source served by the citewatch sample web."

#: `/big/<n>` refuses to build more than this (64 MiB, above the 50 MB default `crawl.max_size`).
MAX_BIG = 64 * 1024 * 1024


def reason(code: int) -> str:
    """The standard reason phrase for `code`, or "Unknown" for codes HTTP does not name."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


def status_page(code: int, detail: str = "") -> bytes:
    """A small HTML page for an error or status answer."""
    title = f"{code} {reason(code)}"
    text = html.escape(detail or f"The fake web answers {title}.")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n<p>{text}</p></body></html>\n"
    ).encode()


def big_page(size: int) -> bytes:
    """An HTML page of exactly `size` bytes (or the bare skeleton, when `size` is smaller)."""
    head = b'<!doctype html>\n<html><head><meta charset="utf-8"><title>Big</title></head>\n<body>\n'
    tail = b"</body></html>\n"
    para = (
        b"<p>Filler paragraph for size limits: the fake web repeats this sentence "
        b"until the page reaches the size asked for in its URL.</p>\n"
    )
    room = min(size, MAX_BIG) - len(head) - len(tail)
    if room <= 0:
        return head + tail
    count, rest = divmod(room, len(para))
    # Whole paragraphs keep the HTML well formed; the remainder is whitespace.
    return head + para * count + b" " * rest + tail


def _pdf_string(text: str) -> str:
    """`text` as a PDF literal string: ASCII only, with the three special characters escaped."""
    ascii_text = text.encode("ascii", "ignore").decode()
    return "(" + re.sub(r"([\\()])", r"\\\1", ascii_text) + ")"


def pdf_document(name: str) -> bytes:
    """A one-page PDF 1.4 (Helvetica) whose text layer holds `PDF_SENTENCE` and `name`.

    Built by hand so the suite needs no PDF library; the xref table carries real byte offsets,
    so strict readers (pypdf, pdftotext) open it without repairing it.
    """
    stream = (
        f"BT /F1 14 Tf 72 720 Td {_pdf_string(PDF_SENTENCE)} Tj ET\n"
        f"BT /F1 10 Tf 72 700 Td {_pdf_string('Document: ' + name)} Tj ET\n"
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        f"<< /Title {_pdf_string(name)} /Producer (citewatch sample web) >>".encode(),
    ]
    # The binary comment on line 2 tells transfer tools the file is binary (PDF spec 7.5.2).
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset  # each entry is exactly 20 bytes
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_image() -> bytes:
    """A valid 1×1 opaque red RGBA PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1x1, 8-bit RGBA
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")  # filter byte 0, then one RGBA pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )
