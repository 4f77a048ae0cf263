"""Judging checks of a cited source: every rule of "States of a cited source", table by table."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive import config
from archive.health import (
    DeadRules,
    Observation,
    PageHistory,
    Verdict,
    classify,
    is_bot_challenge,
    is_home,
    is_parked,
    is_soft_404,
    judge,
    judge_answer,
    judge_failure,
    looks_not_found,
    probe_path,
    redirect_to_home,
    similarity,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RULES = DeadRules(after_failures=3, after_days=0)
CITED = "https://news.example.com/2016/11/alep-evacuation.html"
ARTICLE = " ".join(
    f"Paragraph {n}: the evacuation of eastern Aleppo resumed on Thursday after talks between"
    " the parties, according to officials quoted by the agency, while aid convoys waited."
    for n in range(12)
)
# A real article that talks about things "not found": long, so never a soft-404.
ARTICLE_ABOUT_NOT_FOUND = (
    "Investigators said the flight recorder was not found. The page not found error that "
    "readers saw on the ministry website on Monday was, according to a spokesman, an outage. "
    "La page introuvable du ministère a été rétablie. " + ARTICLE
)


def check(**changes: Any) -> Observation:
    """A normal 200 answer for CITED at T0, with ``changes`` applied."""
    values: dict[str, Any] = {
        "cited_url": CITED,
        "checked_at": T0,
        "http_status": 200,
        "title": "Aleppo evacuation resumes | News",
        "text": ARTICLE,
        "text_digest": "sha1:baseline",
        "changed_from_baseline": False,
        "baseline_url": CITED,  # the article cited the page where it then was
    }
    values.update(changes)
    return Observation(**values)


def failed(at: datetime, **changes: Any) -> Observation:
    values: dict[str, Any] = {"http_status": 404, "text": None, "text_digest": None, **changes}
    return check(checked_at=at, **values)


def after(previous: PageHistory, verdict: Verdict, observation: Observation) -> PageHistory:
    """The page's row as the store would write it from ``verdict``."""
    return PageHistory(
        state=verdict.state,
        reason=verdict.reason,
        failures=verdict.failures,
        first_failure=verdict.first_failure,
        last_ok=verdict.last_ok,
        state_since=verdict.state_since,
        moved_to=verdict.moved_to,
        has_baseline=previous.has_baseline or observation.text is not None,
        text_digest=observation.text_digest or previous.text_digest,
    )


def run(
    observations: Iterable[Observation],
    rules: DeadRules = RULES,
    start: PageHistory | None = None,
) -> list[Verdict]:
    history = start or PageHistory(
        state="ok",
        last_ok=T0 - DAY,
        state_since=T0 - DAY,
        has_baseline=True,
        text_digest="sha1:baseline",
    )
    verdicts = []
    for observation in observations:
        verdict = judge(history, observation, rules)
        verdicts.append(verdict)
        history = after(history, verdict, observation)
    return verdicts


def kinds(verdict: Verdict) -> list[str]:
    return [event.kind for event in verdict.events]


# --- one answer alone -------------------------------------------------------------------------

CLASSIFIED = [
    ("plain 200", {}, ("ok", None)),
    ("204", {"http_status": 204, "text": None}, ("ok", None)),
    ("404", {"http_status": 404}, ("failing", "http-404")),
    ("410", {"http_status": 410}, ("failing", "http-410")),
    ("400", {"http_status": 400}, ("failing", "http-400")),
    ("500", {"http_status": 500}, ("failing", "http-500")),
    ("503", {"http_status": 503, "headers": {"Server": "cloudflare"}}, ("failing", "http-503")),
    ("still redirecting", {"http_status": 302}, ("failing", "redirect-loop")),
    ("401", {"http_status": 401}, ("blocked", "http-401")),
    ("402", {"http_status": 402}, ("blocked", "http-402")),
    ("403", {"http_status": 403}, ("blocked", "http-403")),
    ("407", {"http_status": 407}, ("blocked", "http-407")),
    ("429", {"http_status": 429}, ("blocked", "http-429")),
    ("451", {"http_status": 451}, ("blocked", "http-451")),
    ("dns", {"http_status": None, "failure": "dns-error"}, ("failing", "dns-error")),
    (
        "refused",
        {"http_status": None, "failure": "connection-refused"},
        ("failing", "connection-refused"),
    ),
    (
        "reset",
        {"http_status": None, "failure": "connection-reset"},
        ("failing", "connection-reset"),
    ),
    ("timeout", {"http_status": None, "failure": "timeout"}, ("failing", "timeout")),
    ("tls", {"http_status": None, "failure": "tls-error"}, ("failing", "tls-error")),
    ("loop", {"http_status": None, "failure": "redirect-loop"}, ("failing", "redirect-loop")),
    ("no answer", {"http_status": None}, ("failing", "no-answer")),
    (
        "private",
        {"http_status": None, "failure": "private-address"},
        ("skipped", "private-address"),
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"), [c[1:] for c in CLASSIFIED], ids=[c[0] for c in CLASSIFIED]
)
def test_classify_one_answer(changes: dict[str, Any], expected: tuple[str, str | None]) -> None:
    assert classify(check(**changes)) == expected


def test_single_answer_rules_kept_for_the_recorder() -> None:
    assert judge_answer(200) == ("ok", None)
    assert judge_answer(451) == ("blocked", "http-451")
    assert judge_answer(301) == ("failing", "redirect-loop")
    assert judge_failure("timeout") == ("failing", "timeout")
    assert judge_failure("unsupported-scheme") == ("skipped", "unsupported-scheme")


CHALLENGES = [
    ("cf-mitigated", 403, {"Server": "cloudflare", "cf-mitigated": "challenge"}, "", None),
    ("cloudflare just a moment", 503, {"Server": "cloudflare"}, "Just a moment...", None),
    ("cloudflare 200 challenge", 200, {}, "Just a moment...", None),
    ("attention required", 403, {"server": "cloudflare"}, "Attention Required! | Cloudflare", ""),
    ("checking browser", 503, {}, "Checking your browser before accessing example.com", None),
    ("datadome header", 403, {"X-DataDome": "protected"}, "", None),
    ("datadome cookie", 403, {"Set-Cookie": "datadome=abc; Path=/"}, "", None),
    ("datadome script", 403, {}, None, '<script src="https://ct.captcha-delivery.com/c.js">'),
    ("perimeterx", 403, {}, "Access to this page has been denied", None),
    ("px captcha", 200, {}, None, '<div id="px-captcha"></div>'),
    ("captcha title", 200, {}, "Captcha", None),
    ("turnstile", 403, {}, None, "Enable JavaScript and cookies to continue"),
    ("aws waf", 202, {"x-amzn-waf-action": "challenge"}, "", None),
    ("imperva", 200, {}, None, "Request unsuccessful. Incapsula incident ID: 1234"),
]


@pytest.mark.parametrize(
    ("status", "headers", "title", "text"),
    [c[1:] for c in CHALLENGES],
    ids=[c[0] for c in CHALLENGES],
)
def test_bot_challenges_are_blocked(
    status: int, headers: dict[str, str], title: str | None, text: str | None
) -> None:
    assert is_bot_challenge(status, headers, title, text)
    observed = check(http_status=status, headers=headers, title=title, text=text)
    assert classify(observed) == ("blocked", "bot-challenge")


@pytest.mark.parametrize(
    ("status", "headers", "title", "text"),
    [
        (200, {"Server": "cloudflare"}, "Aleppo evacuation resumes", ARTICLE),
        (503, {"Server": "cloudflare"}, "Service Unavailable", "The server is overloaded."),
        (200, {"X-DataDome": "protected"}, "Aleppo evacuation resumes", ARTICLE),
        (200, {}, "Just a moment in history: the fall of Aleppo", ARTICLE),
    ],
)
def test_not_bot_challenges(status: int, headers: dict[str, str], title: str, text: str) -> None:
    assert not is_bot_challenge(status, headers, title, text)


PARKED = [
    ("parking host", "https://www.sedoparking.com/alep.example", "", ""),
    ("sale host", "https://www.hugedomains.com/domain_profile.cfm?d=alep", "", ""),
    ("dan.com", "https://dan.com/buy-domain/alep.example", "", ""),
    ("for sale text", CITED, "alep.example", "This domain is for sale! Make an offer."),
    ("title", CITED, "alep.example is for sale", ""),
    ("buy", CITED, "", "Buy this domain. Related searches: news, travel"),
    ("godaddy parked", CITED, "", "This domain is parked free, courtesy of GoDaddy.com"),
    ("french", CITED, "", "Ce nom de domaine est à vendre"),
    ("german", CITED, "", "Diese Domain steht zum Verkauf"),
    ("bodis script", CITED, "", "<script src='//parking.bodiscdn.com/x.js'></script>"),
]


@pytest.mark.parametrize(
    ("final_url", "title", "text"), [p[1:] for p in PARKED], ids=[p[0] for p in PARKED]
)
def test_parked_pages(final_url: str, title: str, text: str) -> None:
    assert is_parked(final_url, title, text)
    observed = check(
        final_url=final_url,
        title=title,
        text=text,
        redirects=((CITED, 302),),
        changed_from_baseline=True,
    )
    assert classify(observed) == ("failing", "parked")


def test_an_article_about_domain_sales_is_not_parked() -> None:
    text = "Experts say this domain is for sale every few years. " + ARTICLE
    assert not is_parked(CITED, "The market for domain names", text)
    assert not is_parked("https://sedo.community.example/", "", "")


HOME_REDIRECTS = [
    ("root", "https://news.example.com/"),
    ("root without slash", "https://news.example.com"),
    ("index", "https://news.example.com/index.html"),
    ("home", "https://news.example.com/home"),
    ("language", "https://news.example.com/en/"),
    ("language and country", "https://news.example.com/fr-fr/"),
    ("another site's home", "https://www.buyer.example/"),
    ("tracking only", "https://news.example.com/?utm_source=redirect"),
]


@pytest.mark.parametrize(
    "final", [h[1] for h in HOME_REDIRECTS], ids=[h[0] for h in HOME_REDIRECTS]
)
def test_redirect_from_a_deep_link_to_a_home_page(final: str) -> None:
    assert redirect_to_home(CITED, final)
    observed = check(
        redirects=((CITED, 301),),
        final_url=final,
        title="News",
        text="Front page news.",
        changed_from_baseline=True,
    )
    assert classify(observed) == ("failing", "redirect-to-home")


@pytest.mark.parametrize(
    ("cited", "final"),
    [
        ("https://news.example.com/", "https://news.example.com/en/"),  # a home page cited
        ("http://news.example.com", "https://www.news.example.com/"),  # same page, new scheme
        (CITED, "https://news.example.com/world/2016/11/alep-evacuation"),  # deep to deep
        (CITED, "https://news.example.com/?p=1234"),  # WordPress article, not the home page
        (CITED, None),
    ],
)
def test_not_a_redirect_to_home(cited: str, final: str | None) -> None:
    assert not redirect_to_home(cited, final)


def test_a_cited_shortener_that_always_led_home_is_not_failing() -> None:
    # The author cited a short link to a front page: the same text as the baseline.
    observed = check(
        cited_url="https://bit.example/abc",
        redirects=(("https://bit.example/abc", 301),),
        final_url="https://ngo.example/",
        changed_from_baseline=False,
    )
    assert run([observed])[0].state == "ok"


@pytest.mark.parametrize(
    ("url", "home"),
    [
        ("https://a.example/", True),
        ("https://a.example", True),
        ("https://a.example/index.php", True),
        ("https://a.example/default.aspx", True),
        ("https://a.example/en", True),
        ("https://a.example/de/startseite", True),
        ("https://a.example/?lang=fr", True),
        ("https://a.example/?p=12", False),
        ("https://a.example/news/", False),
        ("https://a.example/about", False),
        ("https://a.example/2016/11/alep", False),
    ],
)
def test_is_home(url: str, home: bool) -> None:
    assert is_home(url) is home


# --- soft-404s ----------------------------------------------------------------------------------

NOT_FOUND_PAGES = [
    ("en title", "404 Not Found", "The requested URL was not found on this server."),
    ("en title with site", "Page not found | News", "Sorry about that. Try the search box."),
    ("en oops", "Oops! That page can’t be found. – Blog", "It looks like nothing was here."),
    ("en text only", "News", "Sorry, the page you are looking for could not be found."),
    ("en error code", "Error 404: Page not found", ""),
    ("fr title", "Page introuvable - Libération", "Retour à l'accueil"),
    ("fr text", "Le Monde", "Désolé, cette page n'existe pas ou a été déplacée."),
    ("fr non trouvée", "Erreur 404 - Page non trouvée", ""),
    ("de", "Seite nicht gefunden", "Die angeforderte Seite existiert nicht."),
    ("de text", "Spiegel", "Fehler 404. Diese Seite wurde nicht gefunden."),
    ("es", "Página no encontrada", "La página que buscas no existe."),
    ("es text", "El País", "Lo sentimos, la página solicitada no existe."),
    ("it", "Pagina non trovata", ""),
    ("it text", "Corriere", "Siamo spiacenti, la pagina richiesta non esiste."),
    ("pt", "Página não encontrada", ""),
    ("pt text", "Público", "Erro 404: a página que procura não existe."),
    ("nl", "Pagina niet gevonden", ""),
    ("pl", "Nie znaleziono strony", ""),
    ("sv", "Sidan kunde inte hittas", ""),
    ("ru", "Страница не найдена", ""),
    ("tr", "Sayfa bulunamadı", ""),
    ("ja", "ページが見つかりません", ""),
]


@pytest.mark.parametrize(
    ("title", "text"), [p[1:] for p in NOT_FOUND_PAGES], ids=[p[0] for p in NOT_FOUND_PAGES]
)
def test_not_found_pages_in_many_languages(title: str, text: str) -> None:
    assert looks_not_found(title, text)
    observed = check(title=title, text=text, changed_from_baseline=True)
    assert classify(observed) == ("failing", "soft-404")


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Flight recorder not found, investigators say", ARTICLE_ABOUT_NOT_FOUND),
        ("Not found: the lost city of Z", "A short review of the film."),
        ("Body not found in lake search - BBC News", "Police divers searched the lake."),
        ("The 404 bus route is cancelled", "The council cut the route on Monday."),
        ("Aleppo evacuation resumes", ARTICLE_ABOUT_NOT_FOUND),
        # A "not found" title on a long page: an article, not an error page.
        ("Page not found | News", ARTICLE),
    ],
)
def test_articles_mentioning_not_found_are_not_soft_404(title: str, text: str) -> None:
    assert not looks_not_found(title, text)
    observed = check(title=title, text=text, changed_from_baseline=True)
    assert classify(observed) == ("ok", None)


def test_a_page_about_http_404_is_not_a_soft_404() -> None:
    cited = "https://developer.example/docs/Web/HTTP/Status/404"
    observed = check(cited_url=cited, title="404 Not Found - HTTP | Docs", text="404 page.")
    assert not is_soft_404(cited, cited, observed.title, observed.text)


SOFT_404_URLS = [
    "https://news.example.com/404",
    "https://news.example.com/404.html",
    "https://news.example.com/error/404",
    "https://news.example.com/errors/404.aspx",
    "https://news.example.com/not-found",
    "https://news.example.com/notfound/",
    "https://news.example.com/page-not-found",
    "https://news.example.com/error.aspx?aspxerrorpath=/2016/11/alep-evacuation.html",
]


@pytest.mark.parametrize("final", SOFT_404_URLS)
def test_redirect_to_a_not_found_url(final: str) -> None:
    observed = check(
        redirects=((CITED, 302),),
        final_url=final,
        title="News",
        text=ARTICLE,
        changed_from_baseline=True,
    )
    assert classify(observed) == ("failing", "soft-404")


PROBES: list[tuple[str, dict[str, Any], bool]] = [
    ("similar to the probe", {"probe_similarity": 0.95}, True),
    ("same text as the probe", {"probe_text": ARTICLE}, True),
    ("unlike the probe", {"probe_similarity": 0.2}, False),
    ("probe text unlike", {"probe_text": "Nothing here. Go home."}, False),
    (
        "a home page is never a soft-404",
        {"cited_url": "https://news.example.com/", "probe_similarity": 1.0},
        False,
    ),
    ("probe sent to the cited page", {"probe_similarity": 1.0, "probe_url": CITED}, False),
    ("empty texts say nothing", {"text": "", "probe_similarity": 1.0}, False),
    # The baseline looked like this too: it is what was cited (a JavaScript shell, say).
    (
        "unchanged since the baseline",
        {"probe_similarity": 1.0, "changed_from_baseline": False},
        False,
    ),
]


@pytest.mark.parametrize(("changes", "soft"), [p[1:] for p in PROBES], ids=[p[0] for p in PROBES])
def test_soft_404_by_the_probe(changes: dict[str, Any], soft: bool) -> None:
    verdict = run([check(**{"changed_from_baseline": True, **changes})])[0]
    if soft:
        assert (verdict.state, verdict.reason) == ("failing", "soft-404")
    else:
        assert verdict.state in ("ok", "changed")


def test_probe_path_is_random_and_keeps_the_section() -> None:
    rng = random.Random(7)  # noqa: S311 -- seeded for a repeatable test, not a secret
    first, second = probe_path(rng), probe_path(rng)
    assert first != second and first.startswith("/") and len(first) > 16
    probe = probe_path(rng, "https://news.example.com/2016/11/alep.html?x=1")
    assert probe.startswith("/2016/") and probe.endswith(".html") and probe.count("/") == 2
    # An id folder is left out: /questions/123/<random> would fetch question 123 again.
    assert "123" not in probe_path(rng, "https://qa.example/questions/123/slug")
    assert probe_path(rng, "https://news.example.com/").count("/") == 1


def test_similarity() -> None:
    assert similarity(ARTICLE, ARTICLE) == 1.0
    assert similarity("", "") == 1.0
    assert similarity(ARTICLE, "") == 0.0
    assert similarity(ARTICLE, "Nothing to see here, go back home please.") < 0.1
    assert 0.5 < similarity(ARTICLE, ARTICLE + " One more sentence at the end.") < 1.0


# --- a page's history ---------------------------------------------------------------------------


def test_an_edit_is_changed_with_an_event_and_each_new_edit_another() -> None:
    verdicts = run(
        [
            check(
                checked_at=T0,
                changed_from_baseline=True,
                text_digest="sha1:v2",
                change_summary="1 sentence changed",
            ),
            check(checked_at=T0 + DAY, changed_from_baseline=True, text_digest="sha1:v2"),
            check(checked_at=T0 + 2 * DAY, changed_from_baseline=True, text_digest="sha1:v3"),
        ]
    )
    assert [v.state for v in verdicts] == ["changed", "changed", "changed"]
    assert [kinds(v) for v in verdicts] == [["changed"], [], ["changed"]]
    first = verdicts[0].events[0].detail
    assert first["summary"] == "1 sentence changed" and first["text_digest"] == "sha1:v2"
    assert verdicts[2].events[0].detail["previous_digest"] == "sha1:v2"
    assert [v.state_since for v in verdicts] == [T0, T0, T0]
    assert verdicts[2].last_ok == T0 + 2 * DAY


def test_changed_without_digests_is_told_once() -> None:
    verdicts = run(
        [
            check(checked_at=T0 + n * DAY, changed_from_baseline=True, text_digest=None)
            for n in range(3)
        ]
    )
    assert [kinds(v) for v in verdicts] == [["changed"], [], []]


def test_boilerplate_only_change_stays_ok() -> None:
    # The text digest moved (a new date line) but nothing counts as a change.
    verdicts = run([check(text_digest="sha1:new-date", changed_from_baseline=False)])
    assert (verdicts[0].state, verdicts[0].events) == ("ok", ())


def test_no_baseline_is_never_changed() -> None:
    start = PageHistory()
    verdict = run([check(changed_from_baseline=None, text_digest="sha1:x")], start=start)[0]
    assert (verdict.state, verdict.events, verdict.state_since) == ("ok", (), T0)


def test_a_revert_to_the_cited_text_is_told() -> None:
    verdicts = run(
        [
            check(checked_at=T0, changed_from_baseline=True, text_digest="sha1:v2"),
            check(checked_at=T0 + DAY, changed_from_baseline=False, text_digest="sha1:baseline"),
        ]
    )
    assert [v.state for v in verdicts] == ["changed", "ok"]
    assert verdicts[1].events[0].kind == "changed"
    assert verdicts[1].events[0].detail["reverted"] is True


@pytest.mark.parametrize("status", [404, 410, 500])
def test_dead_only_after_n_failures(status: int) -> None:
    verdicts = run([failed(T0 + n * HOUR, http_status=status) for n in range(5)])
    assert [v.state for v in verdicts] == ["failing", "failing", "dead", "dead", "dead"]
    assert [kinds(v) for v in verdicts] == [[], [], ["died"], [], []]
    assert [v.failures for v in verdicts] == [1, 2, 3, 4, 5]
    assert {v.first_failure for v in verdicts} == {T0}
    assert {v.reason for v in verdicts} == {f"http-{status}"}
    assert {v.last_ok for v in verdicts} == {T0 - DAY}
    died = verdicts[2].events[0].detail
    assert died == {
        "reason": f"http-{status}",
        "failures": 3,
        "first_failure": "2026-11-01T12:00:00Z",
        "last_ok": "2026-10-31T12:00:00Z",
    }
    assert verdicts[2].state_since == T0 + 2 * HOUR
    assert verdicts[4].state_since == T0 + 2 * HOUR


def test_dead_needs_the_days_too_however_many_failures() -> None:
    rules = DeadRules(after_failures=3, after_days=3)
    same_day = [failed(T0 + n * timedelta(minutes=30)) for n in range(40)]
    verdicts = run([*same_day, failed(T0 + 2 * DAY), failed(T0 + 3 * DAY - HOUR)], rules)
    assert {v.state for v in verdicts} == {"failing"}
    verdicts = run([*same_day, failed(T0 + 3 * DAY)], rules)
    assert verdicts[-1].state == "dead" and kinds(verdicts[-1]) == ["died"]
    # Spanning the days is not enough either: the count must be reached.
    verdicts = run([failed(T0), failed(T0 + 10 * DAY)], rules)
    assert [v.state for v in verdicts] == ["failing", "failing"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"http_status": 403}, "http-403"),
        ({"http_status": 451}, "http-451"),
        ({"http_status": 429}, "http-429"),
        ({"http_status": 503, "title": "Just a moment..."}, "bot-challenge"),
    ],
)
def test_blocked_is_never_dead(changes: dict[str, Any], reason: str) -> None:
    verdicts = run([check(checked_at=T0 + n * DAY, **changes) for n in range(100)])
    assert {(v.state, v.reason) for v in verdicts} == {("blocked", reason)}
    assert kinds(verdicts[0]) == ["blocked"]
    assert all(not v.events for v in verdicts[1:])
    assert verdicts[0].events[0].detail["reason"] == reason
    assert {v.failures for v in verdicts} == {0}
    assert {v.state_since for v in verdicts} == {T0}


def test_a_blocked_answer_ends_a_run_of_failures() -> None:
    verdicts = run(
        [
            failed(T0),
            failed(T0 + HOUR),
            check(checked_at=T0 + 2 * HOUR, http_status=403),
            failed(T0 + 3 * HOUR),
            failed(T0 + 4 * HOUR),
        ]
    )
    assert [v.state for v in verdicts] == ["failing", "failing", "blocked", "failing", "failing"]
    assert verdicts[-1].failures == 2 and verdicts[-1].first_failure == T0 + 3 * HOUR


@pytest.mark.parametrize("failure", ["connection-refused", "timeout", "dns-error", "tls-error"])
def test_failure_then_recovery(failure: str) -> None:
    verdicts = run(
        [
            check(checked_at=T0, http_status=None, failure=failure, text=None),
            check(checked_at=T0 + DAY, http_status=None, failure=failure, text=None),
            check(checked_at=T0 + 2 * DAY),
        ]
    )
    assert [(v.state, v.reason) for v in verdicts] == [
        ("failing", failure),
        ("failing", failure),
        ("ok", None),
    ]
    assert [kinds(v) for v in verdicts] == [[], [], ["recovered"]]
    assert verdicts[2].events[0].detail == {
        "from": "failing",
        "reason": failure,
        "failures": 2,
        "since": "2026-11-01T12:00:00Z",
    }
    assert (verdicts[2].failures, verdicts[2].first_failure) == (0, None)
    assert (verdicts[1].last_ok, verdicts[2].last_ok) == (T0 - DAY, T0 + 2 * DAY)
    assert verdicts[2].state_since == T0 + 2 * DAY


def test_dead_then_back_is_recovered() -> None:
    verdicts = run([*(failed(T0 + n * HOUR) for n in range(3)), check(checked_at=T0 + DAY)])
    assert [v.state for v in verdicts][-2:] == ["dead", "ok"]
    assert verdicts[-1].events[0].kind == "recovered"
    assert verdicts[-1].events[0].detail["from"] == "dead"


def test_blocked_then_back_is_recovered() -> None:
    verdicts = run([check(http_status=451), check(checked_at=T0 + DAY)])
    assert [kinds(v) for v in verdicts] == [["blocked"], ["recovered"]]


def test_recovered_to_a_changed_page() -> None:
    verdicts = run(
        [failed(T0), check(checked_at=T0 + DAY, changed_from_baseline=True, text_digest="sha1:v2")]
    )
    assert verdicts[1].state == "changed"
    assert kinds(verdicts[1]) == ["recovered", "changed"]


def test_skipped_keeps_the_failure_run() -> None:
    verdicts = run(
        [
            failed(T0),
            check(checked_at=T0 + HOUR, http_status=None, failure="private-address"),
            failed(T0 + 2 * HOUR),
        ]
    )
    assert [v.state for v in verdicts] == ["failing", "skipped", "failing"]
    assert verdicts[1].failures == 1 and verdicts[1].first_failure == T0
    assert verdicts[2].failures == 2


MOVED_TO = "https://news.example.com/world/middle-east/2016/11/aleppo-evacuation"


def test_permanent_move_to_another_deep_url() -> None:
    moved = check(redirects=((CITED, 301),), final_url=MOVED_TO)
    verdicts = run([moved, dataclasses.replace(moved, checked_at=T0 + DAY)])
    assert [(v.state, v.moved_to) for v in verdicts] == [("moved", MOVED_TO)] * 2
    assert [kinds(v) for v in verdicts] == [["moved"], []]
    assert verdicts[0].events[0].detail == {"from": CITED, "to": MOVED_TO, "http_status": 301}


def test_a_citation_that_already_redirected_is_not_moved() -> None:
    # The article cited a URL that redirected to MOVED_TO already: that is where it was cited.
    already = check(redirects=((CITED, 301),), final_url=MOVED_TO, baseline_url=MOVED_TO)
    first = check(redirects=((CITED, 301),), final_url=MOVED_TO, baseline_url=None,
                  changed_from_baseline=None)  # fmt: skip
    verdicts = run([first, already])
    assert [(v.state, v.moved_to, kinds(v)) for v in verdicts] == [("ok", None, [])] * 2


def test_move_through_a_canonical_redirect_too() -> None:
    http = CITED.replace("https:", "http:")
    moved = check(cited_url=http, redirects=((http, 301), (CITED, 308)), final_url=MOVED_TO)
    assert run([moved])[0].state == "moved"


@pytest.mark.parametrize(
    ("redirects", "final"),
    [
        (((CITED, 302),), MOVED_TO),  # temporary: the cited URL still names the page
        (((CITED, 307),), MOVED_TO),
        (((CITED, 301), (MOVED_TO + "?x", 302)), MOVED_TO),  # not permanent all the way
        (((CITED, 301),), CITED.replace("https://", "https://www.")),  # same page, new host
        (((CITED, 301),), CITED + "/"),
    ],
)
def test_not_moved(redirects: tuple[tuple[str, int], ...], final: str) -> None:
    verdict = run([check(redirects=redirects, final_url=final)])[0]
    assert (verdict.state, verdict.moved_to, verdict.events) == ("ok", None, ())


def test_permanent_redirect_to_different_text_is_a_change_not_a_move() -> None:
    observed = check(
        redirects=((CITED, 301),),
        final_url=MOVED_TO,
        changed_from_baseline=True,
        text_digest="sha1:other",
    )
    verdict = run([observed])[0]
    assert (verdict.state, verdict.moved_to, kinds(verdict)) == ("changed", None, ["changed"])


def test_a_moved_page_that_comes_back_is_ok() -> None:
    moved = check(redirects=((CITED, 301),), final_url=MOVED_TO)
    verdicts = run([moved, check(checked_at=T0 + DAY)])
    assert [(v.state, v.moved_to) for v in verdicts] == [("moved", MOVED_TO), ("ok", None)]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"final_url": "https://sedoparking.com/x", "redirects": ((CITED, 302),)}, "parked"),
        ({"title": "Page not found", "text": "Sorry."}, "soft-404"),
        (
            {"final_url": "https://news.example.com/", "redirects": ((CITED, 301),)},
            "redirect-to-home",
        ),
        ({"probe_similarity": 0.99}, "soft-404"),
    ],
)
def test_soft_failures_also_die(changes: dict[str, Any], reason: str) -> None:
    observations = [
        check(checked_at=T0 + n * HOUR, changed_from_baseline=True, **changes) for n in range(3)
    ]
    verdicts = run(observations)
    assert [(v.state, v.reason) for v in verdicts] == [
        ("failing", reason),
        ("failing", reason),
        ("dead", reason),
    ]


def test_rules_from_config(tmp_path: Path) -> None:
    loaded = config.load(tmp_path, {"CITEWATCH_DEAD_AFTER_FAILURES": "5"})
    assert DeadRules.from_config(loaded.dead) == DeadRules(5, 3.0, 0.9)


def test_event_details_are_json_ready() -> None:
    moved = check(redirects=((CITED, 301),), final_url=MOVED_TO)
    observations = [
        check(http_status=403),
        *(failed(T0 + n * HOUR) for n in range(1, 4)),
        check(checked_at=T0 + DAY, changed_from_baseline=True, text_digest="sha1:v2"),
        check(checked_at=T0 + 2 * DAY),
        dataclasses.replace(moved, checked_at=T0 + 3 * DAY),
    ]
    verdicts = run(observations)
    seen = {event.kind for verdict in verdicts for event in verdict.events}
    assert seen == {"blocked", "died", "recovered", "changed", "moved"}
    for verdict in verdicts:
        for kind, detail in verdict.events:
            assert json.loads(json.dumps(detail)) == detail, kind


def test_observation_from_the_hops_of_a_fetch() -> None:
    hops = [(CITED, 301), (MOVED_TO, 200)]
    observed = Observation.from_hops(
        CITED, T0, hops, text=ARTICLE, changed_from_baseline=False, baseline_url=CITED
    )
    assert (observed.redirects, observed.final_url, observed.http_status) == (
        ((CITED, 301),),
        MOVED_TO,
        200,
    )
    assert run([observed])[0].state == "moved"
    unanswered = Observation.from_hops(CITED, T0, [], failure="timeout")
    assert classify(unanswered) == ("failing", "timeout")
