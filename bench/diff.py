"""How fast `archive.diff.diff` compares a ~1 MB text with an edited copy of itself.

`python bench/diff.py` builds the text (seeded: the same every run) from the French sample's
vocabulary, makes a few hundred edits (words changed, sentences added and removed), then times,
in the same run: citewatch's diff (median of several runs), difflib.SequenceMatcher over the same
texts' lines (the baseline), and naive character-level difflib on a 20 KB slice (what the diff
must never fall back to). Prints the figures and writes bench/results/diff-<UTC time>.json.

Shared virtual machines run sustained Python several times slower than their peak, and by an
amount that changes from second to second. So each diff run is paired with a run of a fixed
reference workload (a 10-million-step Python loop, ~0.3-0.4 s on a current laptop core), and the
figure that travels between machines is their ratio; each stage's best time shows the work itself.
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

from archive import diff as diffing
from archive.diff import diff
from archive.text import normalise_lines

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


def reference_loop(steps: int = 10_000_000) -> int:
    """The machine-speed yardstick: plain interpreted Python, no allocation, no I/O."""
    total = 0
    for step in range(steps):
        total += step
    return total


def paired(function: Callable[[], object], runs: int) -> dict[str, float]:
    """``function`` and the reference loop in turn, ``runs`` times: both see the same machine."""
    ours, reference = [], []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference_loop()
        reference.append(time.perf_counter() - start)
    ratios = [mine / ref for mine, ref in zip(ours, reference, strict=True)]
    return {
        "median_s": statistics.median(ours),
        "best_s": min(ours),
        "reference_median_s": statistics.median(reference),
        "reference_best_s": min(reference),
        "median_ratio": statistics.median(ratios),
        "best_ratio": min(ratios),
        "runs": runs,
    }


def stages(old: str, new: str, runs: int) -> dict[str, float]:
    """Best time of each stage of the diff: the work itself, without the machine's stalls."""
    a, b = diffing.split_units(old), diffing.split_units(new)
    ids: dict[str, int] = {}
    a_ids = [ids.setdefault(key, len(ids)) for key in normalise_lines(a)]
    b_ids = [ids.setdefault(key, len(ids)) for key in normalise_lines(b)]
    blocks = diffing.matching_blocks(a_ids, b_ids)
    ops = diffing._ops(a, b, blocks)
    steps: dict[str, Callable[[], object]] = {
        "split_sentences": lambda: (diffing.split_units(old), diffing.split_units(new)),
        "normalise": lambda: (normalise_lines(a), normalise_lines(b)),
        "align": lambda: diffing.matching_blocks(a_ids, b_ids),
        "ops_and_word_edits": lambda: diffing._ops(a, b, blocks),
        "summary_and_hunks": lambda: (
            diffing._summarise("sentence", a, b, ops),
            diffing._hunks(ops, 3),
        ),
    }
    return {name: timed(step, runs)["best_s"] for name, step in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters (default 1 MB)")
    parser.add_argument("--edits", type=int, default=300, help="edits to the copy (default 300)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each (default 9)")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args()

    old, new = build(args.size, args.edits, seed=2016)
    result = diff(old, new)  # warm-up, and the figures the report shows
    ours = paired(lambda: diff(old, new), args.runs)
    parts = stages(old, new, max(args.runs, 15))
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
        "stage_best_s": parts,
        "difflib_lines": by_lines,
        "difflib_chars_20kb": by_chars,
    }
    print(f"text: {len(old):,} characters, {result.old_units:,} sentences, {args.edits} edits")
    print(f"load average: {report['load_average']:.2f} (2 cores; figures are noisier above ~1)")
    print(f"result: {result.summary.describe()}, {len(result.hunks)} hunks")
    print(
        f"citewatch diff (sentences, word edits, summary): median {ours['median_s']:.3f}s, "
        f"best {ours['best_s']:.3f}s"
    )
    print(
        f"reference loop in the same runs: median {ours['reference_median_s']:.3f}s, best "
        f"{ours['reference_best_s']:.3f}s; diff / reference: median {ours['median_ratio']:.2f}, "
        f"best {ours['best_ratio']:.2f}"
    )
    staged = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in parts.items())
    print(f"best time of each stage: {staged}; sum {sum(parts.values()):.3f}s")
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
