"""The fake web's generated content lives with the bundled sample web (``crawler.demo``)."""

from crawler.demo.content import (
    MAX_BIG,
    PDF_SENTENCE,
    big_page,
    pdf_document,
    png_image,
    reason,
    status_page,
)

__all__ = [
    "MAX_BIG",
    "PDF_SENTENCE",
    "big_page",
    "pdf_document",
    "png_image",
    "reason",
    "status_page",
]
