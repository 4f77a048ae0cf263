"""Variant (d) of bench/crawl.py: trafilatura alone over the benchmark's pages, in one process.

`python bench/extract_only.py PAGES_DIR URLS_FILE` reads each page from disk (the page cache:
the files were just written) and asks trafilatura for its text and metadata with the options
citewatch uses (`archive.text.TRAFILATURA_OPTIONS`), then prints one JSON line: pages, seconds
spent in the loop (imports and warm-up excluded), CPU seconds, and how many pages gave text.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura

from archive.text import TRAFILATURA_OPTIONS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path, help="directory the server serves")
    parser.add_argument("urls", type=Path, help="file of URLs, one a line, as crawled")
    args = parser.parse_args()
    urls = [line.strip() for line in args.urls.read_text().splitlines() if line.strip()]
    files = [args.pages / urlsplit(url).path.lstrip("/") for url in urls]
    _extract(files[0].read_bytes(), urls[0])  # warm the lazy imports
    wall, cpu = time.perf_counter(), time.process_time()
    with_text = 0
    for url, file in zip(urls, files, strict=True):
        with_text += bool(_extract(file.read_bytes(), url))
    result = {
        "pages": len(urls),
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "with_text": with_text,
    }
    print(json.dumps(result))


def _extract(body: bytes, url: str) -> str:
    """The page's main text and metadata, by trafilatura's one call, as anyone would make it.
    citewatch gets the same fields for less (its own parse, only the metadata it keeps:
    archive.text), which bench/README.md accounts for."""
    document = trafilatura.bare_extraction(body, url=url, **TRAFILATURA_OPTIONS)
    return (getattr(document, "text", None) or "").strip()


if __name__ == "__main__":
    main()
