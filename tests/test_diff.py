"""archive.diff and its renderings: a stealth edit of the French sample, JSON, HTML, terminal."""

from __future__ import annotations

import difflib
import json
import random
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from archive.diff import diff, matching_blocks, split_units
from archive.diff_html import render as render_html
from crawler.diff_view import print_diff
from crawler.diff_view import render as render_terminal

# A real French article (November 2016) with the two bare "Source:" lines it cites.
SAMPLE = Path(__file__).resolve().parent / "fixtures" / "text" / "alep-article.txt"
OLD_SENTENCE = "Deux militaires syriens ont été tués, et 37 civils ont été blessés."
NEW_SENTENCE = "Deux militaires syriens ont été tués, et 12 civils ont été légèrement blessés."


OLD = SAMPLE.read_text(encoding="utf-8")
STEALTH = OLD.replace(OLD_SENTENCE, NEW_SENTENCE)


def header(data: dict[str, object]) -> dict[str, object]:
    return {"url": "https://www.arretsurinfo.example/alep", "old_time": "2016-11-04T09:00:00Z",
            "new_time": "2016-11-20T09:00:00Z", **data}  # fmt: skip


# --- The diff -----------------------------------------------------------------------------


def test_stealth_edit_of_one_sentence() -> None:
    assert OLD_SENTENCE in OLD and STEALTH != OLD
    result = diff(OLD, STEALTH)
    changes = [op for hunk in result.hunks for op in hunk.ops if op.kind != "equal"]
    assert len(result.hunks) == 1 and len(changes) == 1
    (op,) = changes
    assert (op.kind, op.old_text, op.new_text) == ("replace", (OLD_SENTENCE,), (NEW_SENTENCE,))
    assert [piece for piece in op.words if piece[0] != "equal"] == [
        ("delete", "37"),
        ("insert", "12"),
        ("insert", "légèrement "),
    ]
    summary = result.summary
    assert (summary.edited, summary.added, summary.removed) == (1, 0, 0)
    assert (summary.chars_removed, summary.chars_added) == (2, 13)
    assert 0.99 < result.similarity < 1
    assert summary.describe() == "1 sentence edited, 99% same"


def test_context_surrounds_the_change() -> None:
    result = diff(OLD, STEALTH, context=2)
    (hunk,) = result.hunks
    kinds = [op.kind for op in hunk.ops]
    assert kinds == ["equal", "replace", "equal"]
    assert len(hunk.ops[0].new_text) == 2 and len(hunk.ops[2].new_text) == 2
    assert hunk.old[1] - hunk.old[0] == 5


def test_same_text_up_to_spacing_and_quotes_is_no_change() -> None:
    reflowed = OLD.replace("\n\n", "\n").replace("’", "'").replace("  ", " ")
    result = diff(OLD, reflowed)
    assert result.hunks == ()
    assert result.similarity == 1.0
    assert result.summary.describe() == "no change"


def test_ignore_patterns_hide_noise_in_the_diff() -> None:
    old = "Mis à jour le 3 novembre 2016 à 12h30\n" + OLD
    new = "Mis à jour le 5 novembre 2016 à 08h10\n" + OLD
    assert diff(old, new).summary.edited == 1
    patterns = [r"(?im)^mis à jour le [^\n]*$"]
    assert not diff(old, new, ignore=patterns).summary.changed


def test_sentences_added_and_removed_are_counted() -> None:
    added = STEALTH.replace(NEW_SENTENCE, NEW_SENTENCE + " Un troisième a disparu.")
    dropped = added.replace("Objectivement, elle est dans une impasse.", "")
    summary = diff(OLD, dropped).summary
    assert (summary.edited, summary.added, summary.removed) == (1, 1, 1)
    assert summary.describe() == "1 sentence edited, 1 added, 1 removed, 99% same"
    assert diff("Une phrase.", "Une phrase. Deux phrases. Trois.").summary.describe() == (
        "2 sentences added, 53% same"  # 11 characters common to texts of 11 and 30
    )


def test_rewrite_has_low_similarity() -> None:
    result = diff(OLD, "Page introuvable. Cette page n’existe plus.")
    assert result.similarity < 0.1
    assert result.summary.removed + result.summary.edited == len(split_units(OLD))


def test_sentence_splitting_keeps_abbreviations_and_french_quotes() -> None:
    units = split_units("M. Poutine a parlé. Le 30 octobre, rien. « Oui. » Non !\nLigne deux")
    assert units == [
        "M. Poutine a parlé.",
        "Le 30 octobre, rien.",
        "« Oui. »",
        "Non !",
        "Ligne deux",
    ]


def test_line_mode_compares_lines() -> None:
    result = diff("<p>a</p>\n<p>b</p>\n", "<p>a</p>\n<p>c</p>\n", unit="line")
    assert result.summary.describe() == "1 line edited, 93% same"  # 1 of 16 characters changed


# --- Long texts ---------------------------------------------------------------------------


def long_pair(seed: int, paragraphs: int, edits: int) -> tuple[str, str]:
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    words = OLD.split()
    paras = []
    for _ in range(paragraphs):
        sentences = (
            " ".join(rng.choice(words) for _ in range(rng.randint(6, 20))).capitalize() + "."
            for _ in range(rng.randint(1, 5))
        )
        paras.append(" ".join(sentences))
    edited = list(paras)
    for _ in range(edits):
        k = rng.randrange(len(edited))
        action = rng.random()
        if action < 0.6:
            edited[k] = edited[k].replace(rng.choice(edited[k].split()), "MODIFIÉ", 1)
        elif action < 0.8:
            edited.insert(k, "Une phrase ajoutée ici.")
        else:
            del edited[k]
    return "\n".join(paras), "\n".join(edited)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_long_texts_rebuild_exactly_from_the_ops(seed: int) -> None:
    old, new = long_pair(seed, paragraphs=600, edits=80)
    result = diff(old, new, context=0)
    a, b = split_units(old), split_units(new)
    rebuilt_old: list[str] = []
    rebuilt_new: list[str] = []
    for op in result.ops:
        assert list(op.old_text) == a[op.old[0] : op.old[1]]
        assert list(op.new_text) == b[op.new[0] : op.new[1]]
        rebuilt_old += op.old_text
        rebuilt_new += op.new_text
        if op.kind == "replace":
            old_side = "".join(t for k, t in op.words if k != "insert")
            new_side = "".join(t for k, t in op.words if k != "delete")
            assert old_side == "\n".join(op.old_text)
            assert new_side == "\n".join(op.new_text)
    assert (rebuilt_old, rebuilt_new) == (a, b)
    # As good an alignment as difflib's on the same sentences.
    matched = sum(size for _, _, size in matching_blocks(*_ids(a, b)))
    reference = difflib.SequenceMatcher(None, a, b, autojunk=False)
    assert matched >= sum(block.size for block in reference.get_matching_blocks())


def _ids(a: list[str], b: list[str]) -> tuple[list[int], list[int]]:
    ids: dict[str, int] = {}
    return [ids.setdefault(u, len(ids)) for u in a], [ids.setdefault(u, len(ids)) for u in b]


def test_matching_blocks_on_repeated_units() -> None:
    a = [1, 2, 1, 2, 1, 2, 3]
    b = [1, 2, 1, 2, 3, 1, 2]
    blocks = matching_blocks(a, b)
    assert blocks[-1] == (len(a), len(b), 0)
    for i, j, size in blocks:
        assert a[i : i + size] == b[j : j + size]
    assert sum(size for *_, size in blocks) == 6


# --- JSON ---------------------------------------------------------------------------------


def test_json_shape() -> None:
    data = json.loads(json.dumps(diff(OLD, STEALTH, context=1).to_json()))
    assert set(data) == {"unit", "old_units", "new_units", "similarity", "summary", "hunks"}
    assert data["summary"] == {
        "unit": "sentence",
        "added": 0,
        "removed": 0,
        "edited": 1,
        "chars_added": 13,
        "chars_removed": 2,
        "similarity": data["similarity"],
        "description": "1 sentence edited, 99% same",
    }
    (hunk,) = data["hunks"]
    assert set(hunk) == {"old", "new", "ops"}
    replace = hunk["ops"][1]
    assert set(replace) == {"op", "old", "new", "old_text", "new_text", "words"}
    assert replace["op"] == "replace"
    assert replace["old"][1] - replace["old"][0] == 1
    assert ["delete", "37"] in replace["words"]


# --- HTML page ----------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]


def test_html_page_escapes_the_archived_text() -> None:
    hostile = STEALTH.replace(NEW_SENTENCE, NEW_SENTENCE + ' <script>alert("x")</script>')
    hostile = hostile.replace(
        "Objectivement", '<img src="https://evil.example/t.png">Objectivement'
    )
    page = render_html(
        diff(OLD, hostile).to_json(),
        url='https://a.example/"><script>alert(1)</script>',
        old_label="2016-11-04 <b>",
        new_label="2016-11-20",
    )
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags and "b" not in parser.tags
    assert parser.links == []  # nothing external to load
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page


def test_html_page_marks_changes_side_by_side() -> None:
    page = render_html(diff(OLD, STEALTH).to_json(), url="u", old_label="a", new_label="b")
    assert "<del>37</del>" in page
    assert "<ins>12</ins>" in page and "<ins>légèrement </ins>" in page
    assert "1 sentence edited, 99% same" in page
    # The edited row and three of context either side.
    assert page.count('<tr><td class="n">') == 7


# --- Terminal -----------------------------------------------------------------------------


def test_terminal_plain_is_a_unified_diff() -> None:
    data = header(diff(OLD, STEALTH, context=1).to_json())
    lines = [line.plain for line in render_terminal(data, color=False)]
    assert lines[0] == "--- https://www.arretsurinfo.example/alep  2016-11-04T09:00:00Z"
    assert lines[1] == "+++ https://www.arretsurinfo.example/alep  2016-11-20T09:00:00Z"
    assert lines[2].startswith("1 sentence edited, 99% same (similarity 0.99")
    assert lines[3] == "@@ -17,3 +17,3 @@"
    assert lines[5] == "-" + OLD_SENTENCE
    assert lines[6] == "+" + NEW_SENTENCE
    assert lines[4].startswith(" ") and lines[7].startswith(" ") and len(lines) == 8


def test_terminal_colour_highlights_changed_words() -> None:
    data = header(diff(OLD, STEALTH, context=0).to_json())
    plain = render_terminal(data, color=False)
    colour = render_terminal(data, color=True)
    assert [line.plain for line in plain] == [line.plain for line in colour]
    assert all(not line.spans and not line.style for line in plain)
    minus, plus = colour[-2], colour[-1]
    assert [minus.plain[s.start : s.end] for s in minus.spans if "reverse" in str(s.style)] == [
        "37"
    ]
    assert [plus.plain[s.start : s.end] for s in plus.spans if "reverse" in str(s.style)] == [
        "12",
        "légèrement ",
    ]


def test_print_diff_is_plain_in_a_pipe_and_never_wraps(capsys: pytest.CaptureFixture[str]) -> None:
    data = header(diff(OLD, STEALTH, context=1).to_json())
    print_diff(Console(width=40), data)  # a pipe: not a terminal
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert f"-{OLD_SENTENCE}\n" in out
    print_diff(Console(width=200, force_terminal=True, color_system="standard"), data)
    assert "\x1b[" in capsys.readouterr().out
