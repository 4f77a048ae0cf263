"""Precision and recall of crawler.citations.find() over tests/data/articles, per page and total.

Run from anywhere: `python bench/citations_quality.py` (add `-v` to list each page's extra and
missed URLs). Totals are micro-averaged, as in the gate in tests/test_citations.py.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, installed or not

from crawler.citations import find  # noqa: E402  (needs the path above)

ARTICLES = ROOT / "tests" / "data" / "articles"


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def main(verbose: bool) -> int:
    print(f"{'page':24} {'found':>5} {'expected':>8} {'hits':>4} {'precision':>9} {'recall':>6}")
    hits_total = found_total = expected_total = 0
    started = time.process_time()
    for page in sorted(ARTICLES.glob("*.html")):
        expected = json.loads(page.with_name(page.stem + ".expected.json").read_text("utf-8"))
        wanted = set(expected["citations"])
        got = {c.url for c in find(page.read_bytes(), expected["base_url"])}
        hits = len(got & wanted)
        hits_total, found_total, expected_total = (
            hits_total + hits,
            found_total + len(got),
            expected_total + len(wanted),
        )
        print(
            f"{page.stem:24} {len(got):5} {len(wanted):8} {hits:4} "
            f"{ratio(hits, len(got)):9.3f} {ratio(hits, len(wanted)):6.3f}"
        )
        if verbose:
            for url in sorted(got - wanted):
                print(f"    extra   {url}")
            for url in sorted(wanted - got):
                print(f"    missed  {url}")
    elapsed = time.process_time() - started
    print(
        f"{'TOTAL':24} {found_total:5} {expected_total:8} {hits_total:4} "
        f"{ratio(hits_total, found_total):9.3f} {ratio(hits_total, expected_total):6.3f}"
    )
    print(f"({elapsed * 1000:.0f} ms CPU for all pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main("-v" in sys.argv[1:]))
