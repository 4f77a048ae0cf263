"""The seeded site of bench/recheck.py, served by bench/loopback_server.py: pages that change.

Articles /a/N.html whose body paragraphs each cite a source of their own, /s/N/M.html (pages of
plain paragraphs, `page_kb` each), and /w/N.html, small pages citing nothing, for the watch-list
part. A page's version starts at 0; `/_bench/change?F` gives a share F of the sources a new
version (a new paragraph, ETag and Last-Modified), and `/_bench/validators` lists every page's
path, ETag and Last-Modified: what a client that kept the last crawl's validators would send.
"""

from __future__ import annotations

import json
import random
import zlib
from email.utils import formatdate

from loopback_server import Page, make_page

BASE_DATE = 1479722400  # Mon, 21 Nov 2016 10:00:00 GMT: every page's first Last-Modified


def _paragraphs(seed: int, count: int = 400) -> list[bytes]:
    """A pool of paragraphs; each page is its own selection of them, so no two pages match."""
    rng = random.Random(seed)  # noqa: S311 - seeded page text, not secrets
    words = (  # noqa: SIM905 - a word list reads better as text
        "the of and to in that for on with as by from at about after before during against "
        "government minister report officials statement according sources said told week year "
        "city region border agreement talks vote court ruling evidence investigation data "
        "le la les une des du et pour dans sur avec par ville accord rapport enquête chiffres"
    ).split()
    pool = []
    for _ in range(count):
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randint(8, 22))).capitalize() + "."
            for _ in range(rng.randint(3, 7))
        ]
        pool.append(" ".join(sentences).encode())
    return pool


class Site:
    """The articles and their sources, built at start-up and rebuilt when they change; the
    watch-list pages are built when asked for, as there can be 100,000 of them."""

    def __init__(self, articles: int, sources: int, page_kb: int, seed: int) -> None:
        self.articles, self.sources, self.page_bytes = articles, sources, page_kb * 1000
        self.pool = _paragraphs(seed)
        self.seed = seed
        self.versions: dict[str, int] = {}
        self.generation = 0
        self.cache: dict[str, Page] = {}
        for path in self.paths():
            self.versions[path] = 0
            self.cache[path] = self._build(path, 0)

    def paths(self) -> list[str]:
        out = []
        for a in range(self.articles):
            out.append(f"/a/{a}.html")
            out.extend(f"/s/{a}/{s}.html" for s in range(self.sources))
        return out

    def _body(self, path: str, version: int) -> bytes:
        rng = random.Random(f"{self.seed}{path}")  # noqa: S311
        title = f"Page {path}".encode()
        parts = [b"<!doctype html><html><head><meta charset=utf-8><title>", title,
                 b"</title></head><body><nav><a href=/>Home</a></nav><main><article><h1>",
                 title, b"</h1>"]  # fmt: skip
        if version:
            parts.append(f"<p>Update {version}: officials revised the figures.</p>".encode())
        size = sum(map(len, parts))
        if path.startswith("/a/"):
            article = path.split("/")[2].split(".")[0]
            for s in range(self.sources):
                link = f'<p>According to <a href="/s/{article}/{s}.html">report {s}</a>, '
                chunk = link.encode() + rng.choice(self.pool) + b"</p>\n"
                parts.append(chunk)
                size += len(chunk)
        budget = self.page_bytes if not path.startswith("/w/") else 2000
        while size < budget:
            chunk = b"<p>" + rng.choice(self.pool) + b"</p>\n"
            parts.append(chunk)
            size += len(chunk)
        parts.append(b"</article></main><footer>Bench site</footer></body></html>\n")
        return b"".join(parts)

    def _build(self, path: str, version: int) -> Page:
        body = self._body(path, version)
        etag = f'"{zlib.crc32(body):08x}-{version}"'
        modified = formatdate(BASE_DATE + 86400 * version, usegmt=True)
        return make_page(body, etag, modified, [("Cache-Control", "max-age=0")])

    def get(self, path: str) -> Page | None:
        found = self.cache.get(path)
        if found is None and path.startswith("/w/"):
            found = self._build(path, 0)  # watch-list pages: built when asked, not kept
        return found

    def control(self, action: str, query: str) -> bytes | None:
        if action == "change":
            return json.dumps({"changed": self.change(float(query or "0.1"))}).encode()
        if action == "validators":
            return "".join(f"{p}\t{c.etag}\t{c.modified}\n" for p, c in self.cache.items()).encode()
        return None

    def change(self, fraction: float) -> int:
        """Give a new version to `fraction` of the sources, a different share each time."""
        self.generation += 1
        step = max(1, round(1 / fraction))
        changed = 0
        for path in self.cache:
            if path.startswith("/s/"):
                number = int(path.rsplit("/", 1)[1].split(".")[0])
                if (number + self.generation) % step == 0:
                    self.versions[path] += 1
                    self.cache[path] = self._build(path, self.versions[path])
                    changed += 1
        return changed
