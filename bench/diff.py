"""How fast `archive.diff.diff` compares a ~1 MB text with an edited copy of itself.

`python bench/diff.py` builds the text (seeded: the same every run) from the French sample's
vocabulary, makes a few hundred edits (words changed, sentences added and removed), then times,
in the same run: citewatch's diff (median of several runs), difflib.SequenceMatcher over the same
texts' lines (the baseline), and naive character-level difflib on a 20 KB slice (what the diff
must never fall back to). Prints the figures and writes bench/results/diff-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from archive.diff import diff

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "tests" / "fixtures" / "text" / "alep-article.txt"


def build(size: int, edits: int, seed: int) -> tuple[str, str]:
    """A text of about ``size`` characters, paragraphs of 1-6 sentences, and an edited copy."""
    rng = random.Random(seed)  # noqa: S311 (benchmark data, not secrets)
    words = SAMPLE.read_text(encoding="utf-8").split()
    paragraphs: list[str] = []
    total = 0
    while total < size:
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randint(8, 30))).capitalize() + "."
            for _ in range(rng.randint(1, 6))
        ]
        paragraphs.append(" ".join(sentences))
        total += len(paragraphs[-1]) + 1
    edited = list(paragraphs)
    for _ in range(edits):
        k = rng.randrange(len(edited))
        roll = rng.random()
        if roll < 0.7:  # a word changed inside a sentence: the stealth edit
            tokens = edited[k].split()
            tokens[rng.randrange(len(tokens))] = rng.choice(words)
            edited[k] = " ".join(tokens)
        elif roll < 0.85:
            edited.insert(k, "Une phrase ajoutée, qui n’était pas là avant.")
        else:
            del edited[k]
    return "\n".join(paragraphs), "\n".join(edited)


def timed(function: Callable[[], object], runs: int) -> dict[str, float]:
    """Median and best wall-clock and CPU seconds over ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "median_s": statistics.median(walls),
        "best_s": min(walls),
        "median_cpu_s": statistics.median(cpus),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters (default 1 MB)")
    parser.add_argument("--edits", type=int, default=300, help="edits to the copy (default 300)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args()

    old, new = build(args.size, args.edits, seed=2016)
    result = diff(old, new)  # warm-up, and the figures the report shows
    ours = timed(lambda: diff(old, new), args.runs)
    old_lines, new_lines = old.splitlines(), new.splitlines()
    by_lines = timed(
        lambda: difflib.SequenceMatcher(None, old_lines, new_lines).get_opcodes(), args.runs
    )
    slice_size = 20_000
    by_chars = timed(
        lambda: difflib.SequenceMatcher(None, old[:slice_size], new[:slice_size]).ratio(), 1
    )
    report = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average": os.getloadavg()[0],
        "text_chars": len(old),
        "edited_chars": len(new),
        "edits": args.edits,
        "units": {"old": result.old_units, "new": result.new_units, "hunks": len(result.hunks)},
        "summary": result.summary.to_json(),
        "citewatch_diff": ours,
        "difflib_lines": by_lines,
        "difflib_chars_20kb": by_chars,
    }
    print(f"text: {len(old):,} characters, {result.old_units:,} sentences, {args.edits} edits")
    print(f"load average: {report['load_average']:.2f} (2 cores; figures are noisier above ~1)")
    print(f"result: {result.summary.describe()}, {len(result.hunks)} hunks")
    print(
        f"citewatch diff (sentences, word edits, summary): median {ours['median_s']:.3f}s, "
        f"best {ours['best_s']:.3f}s, CPU {ours['median_cpu_s']:.3f}s"
    )
    print(
        f"difflib.SequenceMatcher by lines (opcodes only): median {by_lines['median_s']:.3f}s, "
        f"best {by_lines['best_s']:.3f}s"
    )
    print(f"difflib by characters on {slice_size:,} characters only: {by_chars['median_s']:.3f}s")
    if not args.no_save:
        out = HERE / "results" / f"diff-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
