"""Rechecks over real crawls: each source's fate on the fake web, judged across three crawls.

One article cites a source per rule. Between crawls the fake web changes under it: an edit, a
boilerplate-only change, noise, a 404, 403 and 451 answers, a redirect to the home page, a
permanent move, a parked domain, a "page not found" page answering 200, a timeout that
recovers. Deaths need two failed checks here (``dead.after_failures = 2``, no minimum span).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import citewatch, make_data_dir
from tests.fakeweb import FakeWeb, Site

RULES = """
[dead]
after_failures = 2
after_days = 0
"""

LOOKALIKE = "/catch-all/rechecks/aid-convoys-story.html"
NAV = '<nav><a href="/">Home</a> <a href="/world/">World</a></nav>'
FOOTER = "<footer><p>Advertisement: {ad}</p><p>© Example News</p></footer>"


def story(title: str, paragraphs: list[str], *, ad: str = "Buy shoes", extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body>{NAV}<main><article><h1>{title}</h1>"
        f"{extra}{body}</article></main>{FOOTER.format(ad=ad)}</body></html>"
    )


REPORT = [
    "The agency counted 40 dead, including 16 children, and 250 wounded in the district.",
    "Its observers reached the area on the morning of 30 October, after two days of shelling.",
    "Aid convoys were still waiting at the checkpoint north of the city when they left.",
    "The report ends with a call for a ceasefire and for access for medical teams.",
]
EDITED = [
    REPORT[0].replace("40 dead, including 16 children, and 250", "14 dead and 50"),
    *REPORT[1:],
]
EDITED_AGAIN = [*EDITED[:3], "The report ends with a call for negotiations."]

SOURCES = {
    # name: (day-0 page, what the fake web does before crawl 2)
    "edited": "edit",
    "boilerplate": "boilerplate",
    "noise": "noise",
    "gone": "404",
    "forbidden": "403",
    "legal": "451",
    "home": "redirect-home",
    "moved": "move",
    "parked": "parked",
    "vanished": "soft-404",
    # Another host (localhost, not 127.0.0.1): a site whose every path answers 200, so its
    # soft-404 is found by the probe alone.
    "lookalike": "soft-404 by probe",
    "slow": "timeout",
}


@dataclass
class Scenario:
    data: Path
    site: Site
    article: str

    def url(self, name: str) -> str:
        if name == "lookalike":
            return self.site.web.url(LOOKALIKE).replace("127.0.0.1", "localhost")
        return self.site.url(f"/sources/{name}.html")

    def sources(self) -> dict[str, dict[str, Any]]:
        status = citewatch(self.data, "status", "--json").json()
        found = {s["url"]: s for a in status["articles"] for s in a["sources"]}
        return {name: found[self.url(name)] for name in SOURCES}

    def events(self) -> list[tuple[str, str]]:
        listed = citewatch(self.data, "events", "--json").json()["events"]
        by_url = {self.url(name): name for name in SOURCES}
        return sorted((by_url.get(e["url"], e["url"]), e["kind"]) for e in listed)

    def crawl(self) -> dict[str, Any]:
        run = citewatch(self.data, "crawl", "--all", "--json")
        assert run.code == 0, run.err
        return run.json()


def page(name: str) -> str:
    return story(f"Report {name}", [f"{sentence} ({name})" for sentence in REPORT])


@pytest.fixture(scope="module")
def scenario(fakeweb: FakeWeb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    data = make_data_dir(tmp_path_factory.mktemp("rechecks") / "data", RULES)
    site = fakeweb.site("rechecks")
    scenario = Scenario(data, site, site.url("/article.html"))
    links = "".join(
        f'<p>As <a href="{scenario.url(name)}">report {name}</a> says.</p>' for name in SOURCES
    )
    site.set("/article.html", story("Article", [], extra=links))
    for name in SOURCES:
        site.set(f"/sources/{name}.html", page(name))
    fakeweb.set(LOOKALIKE, page("lookalike"))  # a real story, until it is gone
    assert citewatch(data, "add", scenario.article).code == 0
    yield scenario
    site.reset()
    fakeweb.reset(LOOKALIKE)


@pytest.fixture(scope="module")
def after_first(scenario: Scenario) -> dict[str, dict[str, Any]]:
    scenario.crawl()
    return scenario.sources()


@pytest.fixture(scope="module")
def after_second(scenario: Scenario, after_first: dict[str, Any]) -> dict[str, dict[str, Any]]:
    site = scenario.site
    site.set("/sources/edited.html", story("Report edited", [f"{s} (edited)" for s in EDITED]))
    site.set("/sources/boilerplate.html", story("Report boilerplate", [
        f"{s} (boilerplate)" for s in REPORT], ad="Sell shoes, now 50% off"))  # fmt: skip
    site.set("/sources/noise.html", story("Report noise", [
        "Updated 25 November 2026 at 14:32", *[f"{s} (noise)" for s in REPORT]]))  # fmt: skip
    site.set("/sources/gone.html", page("gone"), status=404)
    site.set("/sources/forbidden.html", page("forbidden"), status=403)
    site.set("/sources/legal.html", page("legal"), status=451)
    site.redirect("/sources/home.html", scenario.site.web.url("/"), 301)
    site.set("/2027/moved-here.html", page("moved"))
    site.redirect("/sources/moved.html", site.url("/2027/moved-here.html"), 301)
    site.set(
        "/sources/parked.html",
        "<html><head><title>example.org</title></head><body>"
        "<h1>This domain is for sale!</h1><p>Buy this domain today.</p></body></html>",
    )
    site.set(
        "/sources/vanished.html",
        "<html><head><title>Page introuvable | Example</title>"
        "</head><body><p>La page que vous cherchez n'existe pas.</p></body></html>",
    )
    site.redirect("/sources/slow.html", site.web.url("/slow/8/sources/blog-post.html"), 302)
    site.web.reset(LOOKALIKE)  # the site now answers its landing page, status 200
    scenario.crawl()
    return scenario.sources()


@pytest.fixture(scope="module")
def after_third(scenario: Scenario, after_second: dict[str, Any]) -> dict[str, dict[str, Any]]:
    site = scenario.site
    site.set("/sources/edited.html", story("Report edited", [
        f"{s} (edited)" for s in EDITED_AGAIN]))  # fmt: skip
    site.set("/sources/slow.html", page("slow"))  # answers in time again
    scenario.crawl()
    return scenario.sources()


def states(found: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str | None]]:
    return {name: (source["state"], source["reason"]) for name, source in found.items()}


def test_first_crawl_everything_is_ok(after_first: dict[str, dict[str, Any]]) -> None:
    assert set(states(after_first).values()) == {("ok", None)}


def test_second_crawl_judges_each_rule(after_second: dict[str, dict[str, Any]]) -> None:
    assert states(after_second) == {
        "edited": ("changed", None),
        "boilerplate": ("ok", None),
        "noise": ("ok", None),
        "gone": ("failing", "http-404"),
        "forbidden": ("blocked", "http-403"),
        "legal": ("blocked", "http-451"),
        "home": ("failing", "redirect-to-home"),
        "moved": ("moved", None),
        "parked": ("failing", "parked"),
        "vanished": ("failing", "soft-404"),
        "lookalike": ("failing", "soft-404"),
        "slow": ("failing", "timeout"),
    }


def test_third_crawl_death_recovery_and_a_second_change(
    scenario: Scenario, after_third: dict[str, dict[str, Any]]
) -> None:
    found = states(after_third)
    assert found["gone"] == ("dead", "http-404")  # the second failure in a row
    assert found["forbidden"] == ("blocked", "http-403")  # never dead
    assert found["legal"] == ("blocked", "http-451")
    assert found["slow"] == ("ok", None)
    assert found["edited"] == ("changed", None)
    assert found["boilerplate"] == ("ok", None)
    events = scenario.events()
    assert events.count(("edited", "changed")) == 2  # each new change is news
    for expected in [
        ("gone", "died"),
        ("forbidden", "blocked"),
        ("legal", "blocked"),
        ("moved", "moved"),
        ("slow", "recovered"),
    ]:
        assert expected in events
    assert not any(name in ("boilerplate", "noise") for name, _ in events)
    assert ("home", "died") in events and ("parked", "died") in events


def test_change_is_described_in_history_and_diffed_against_the_baseline(
    scenario: Scenario, after_third: dict[str, dict[str, Any]]
) -> None:
    url = scenario.url("edited")
    history = citewatch(scenario.data, "history", url, "--json").json()
    assert history["state"] == "changed"
    told = [e for check in history["checks"] for e in check["events"]]
    assert [e["kind"] for e in told] == ["changed", "changed"]
    assert all("same" in e["summary"] for e in told)
    first = told[-1]["size"]  # oldest last: the stealth edit of one sentence
    assert (first["edited"], first["added"], first["removed"]) == (1, 0, 0)
    assert 0.8 < first["similarity"] < 1
    assert all(check["capture"]["text_chars"] > 100 for check in history["checks"])
    run = citewatch(scenario.data, "diff", url, "--json")
    assert run.code == 0, run.err
    result = run.json()
    assert result["old_time"] == history["baseline"]
    removed = " ".join(t for h in result["hunks"] for op in h["ops"] for t in op["old_text"]
                       if op["op"] != "equal")  # fmt: skip
    assert "40 dead, including 16 children" in removed
    assert "call for a ceasefire" in removed


def test_moved_source_records_where_it_went(
    scenario: Scenario, after_second: dict[str, dict[str, Any]]
) -> None:
    listed = citewatch(scenario.data, "events", "--json").json()["events"]
    moved = [e for e in listed if e["kind"] == "moved"]
    assert moved and moved[0]["detail"]["to"] == scenario.site.url("/2027/moved-here.html")


def test_live_diff_fetches_archives_and_compares(
    scenario: Scenario, after_third: dict[str, dict[str, Any]]
) -> None:
    # Runs last in this module: it adds a check of its own to two sources.
    url = scenario.url("edited")
    before = len(citewatch(scenario.data, "history", url, "--json").json()["checks"])
    run = citewatch(scenario.data, "diff", url, "--live", "--json")
    assert run.code == 0, run.err
    result = run.json()
    history = citewatch(scenario.data, "history", url, "--json").json()
    assert len(history["checks"]) == before + 1  # the live copy was archived like any check
    assert result["new_time"] == history["checks"][0]["capture"]["fetched_at"]
    assert result["old_time"] == history["baseline"]
    assert "call for negotiations" in " ".join(
        t for h in result["hunks"] for op in h["ops"] for t in op["new_text"]
    )
    dead = citewatch(scenario.data, "diff", scenario.url("gone"), "--live")
    assert (dead.code, dead.out) == (2, "")
    assert dead.err == (
        f"Error: {scenario.url('gone')} does not answer now (dead: http-404); the check is "
        "recorded in `citewatch history`\n"
    )
    both = citewatch(scenario.data, "diff", url, "--live", "--to", "-1")
    assert (both.code, both.err) == (
        2,
        "Error: --live compares with the page as it is now: leave out --to\n",
    )
