"""Soft-404s: pages that answer ``200 OK`` but are not the cited page any more.

Three signals, each pure: the page reads like the site's answer to a random unknown path (the
probe), it reads like a "not found" page in one of many languages, or the fetch was redirected
to a "not found" URL or to the site's home page.
"""

from __future__ import annotations

import random
import re
import string
from urllib.parse import parse_qsl, urlsplit

# The title rule only holds on pages this short: a long text is an article, whatever it says.
TITLE_MAX_WORDS = 250
# The text rule searches phrases, so it needs an even shorter page to be trusted.
TEXT_MAX_WORDS = 120
PROBE_SIMILARITY = 0.9

# Phrases that, on their own, make a whole title segment a "not found" title.
_TITLE_PHRASES = [
    r"(?:page|file|document|article|content|url|site) not found",
    r"not found",
    r"(?:(?:that|this|the) )?page (?:can ?not|can't|could not|couldn't) be found",
    r"(?:(?:that|this|the) )?page (?:does not|doesn't|no longer) exists?",
    r"(?:page )?introuvable",
    r"page non trouvée",
    r"(?:cette |la )?page n'existe (?:pas|plus)",
    r"(?:seite )?(?:wurde )?nicht gefunden",
    r"(?:diese |die )?seite existiert nicht(?: mehr)?",
    r"(?:página )?no encontrada",
    r"(?:la )?página no existe",
    r"(?:pagina )?non trovata",
    r"(?:la )?pagina non esiste",
    r"(?:página )?não encontrada",
    r"(?:a )?página não existe",
    r"(?:pagina )?niet gevonden",
    r"(?:deze )?pagina bestaat niet",
    r"nie znaleziono(?: strony)?",
    r"strona nie istnieje",
    r"sidan (?:kunde inte hittas|hittades inte|finns inte)",
    r"siden (?:blev ikke fundet|findes ikke|finnes ikke|ble ikke funnet)",
    r"(?:страница )?не найдена",
    r"sayfa bulunamadı",
    r"ページが見つかりません",
    r"(?:页面不存在|找不到页面|页面未找到)",
]
_ERROR_WORD = r"(?:error|erreur|fehler|erro|errore|fout|błąd|http|code)"
_PHRASES = "|".join(_TITLE_PHRASES)
# "404", "Error 404", "404 - Page not found", "Oops! That page can't be found.", "Not Found (404)".
_TITLE = re.compile(
    rf"(?:(?:oops|whoops|sorry|uh[- ]oh|désolé|hoppla|ups)\W+)?"
    rf"(?:(?:{_ERROR_WORD}\W*){{0,2}}404(?:\W*{_ERROR_WORD})?(?:\W+(?:{_PHRASES}))?"
    rf"|(?:{_PHRASES})(?:\W+(?:{_ERROR_WORD}\W*)?404)?)"
)
# A title is "site name | page name": each segment is judged alone. Colons do not split, so
# "Not found: the lost city" stays one segment and is not taken for an error title.
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—·»-]|::)\s+")

# Phrases specific enough to search for anywhere in a short page's text.
_TEXT = re.compile(
    "|".join(
        [
            r"\bpage not found\b",
            r"\b(?:requested )?(?:url|page|document|resource|file) (?:was|could) not (?:be )?found",
            r"\b(?:page|url|content) you (?:are|were|have been) looking for (?:\w+ ){0,6}?"
            r"(?:(?:can ?not|can't|could not|couldn't) be found|(?:does not|doesn't|no longer)"
            r" exists?|(?:is|was|has been) (?:moved|removed|deleted)|is no longer available)",
            r"\b(?:error 404|404 error|404 not found|404\W+page not found)\b",
            r"\b(?:this|that|the) page (?:doesn't|does not|no longer) exists?\b",
            r"\bwe (?:can't|cannot|couldn't|could not) find (?:the|that|this) page\b",
            r"\bpage (?:introuvable|non trouvée)",
            r"\b(?:cette|la) page (?:\w+ ){0,4}?n'existe (?:pas|plus)",
            r"\berreur 404\b",
            r"\bseite (?:wurde )?nicht gefunden",
            r"\b(?:diese|die) (?:\w+ )?seite (?:\w+ ){0,3}?(?:existiert nicht|nicht gefunden)",
            r"\bfehler 404\b",
            r"\bpágina no encontrada",
            r"\bla página (?:\w+ ){0,5}?no existe",
            r"\bpagina non trovata",
            r"\bla pagina (?:\w+ ){0,5}?non esiste",
            r"\bpágina não encontrada",
            r"\ba página (?:\w+ ){0,5}?não existe",
            r"\berro 404\b",
            r"\bpagina niet gevonden",
            r"\bpagina (?:\w+ ){0,4}?bestaat niet",
            r"\bnie znaleziono strony",
            r"\bstrona nie istnieje",
            r"\bsidan (?:kunde inte hittas|hittades inte|finns inte)",
            r"\bsiden (?:blev ikke fundet|findes ikke|finnes ikke|ble ikke funnet)",
            r"страница не найдена",
            r"sayfa bulunamadı",
            r"ページが見つかりません",
            r"页面不存在|找不到页面|页面未找到",
        ]
    )
)

# Where sites send what they cannot find: /404, /404.html, /not-found, /error/404, /pagenotfound…
_NOT_FOUND_PATH = re.compile(
    r"/(?:errors?/)?(?:404|error[-_]?404|404[-_]?error|not[-_]?found|page[-_]?not[-_]?found"
    r"|erreur[-_]?404|fehler[-_]?404|seite[-_]nicht[-_]gefunden)(?:\.[a-z0-9]{2,5})?/?$",
    re.IGNORECASE,
)
# ASP.NET's customErrors redirect carries the lost path in this query key.
_NOT_FOUND_QUERY = frozenset({"aspxerrorpath"})
# A site's front page: /, /index.html, /home, /en/, /fr-fr/accueil…
_HOME_PATH = re.compile(
    r"/(?:[a-z]{2}(?:[-_][a-z]{2})?/)?"
    r"(?:(?:index|default|home|homepage|start|main|accueil|inicio|portada|startseite)"
    r"(?:\.[a-z0-9]{2,5}|/))?"
)
# Query keys that do not make a front page a deep link.
_HOME_QUERY_KEYS = frozenset({"lang", "hl", "locale", "ref", "src", "source", "from"})
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "´": "'"})


def looks_not_found(title: str | None, text: str | None) -> bool:
    """Whether a short page's title or text says "not found" (in one of many languages).

    Long pages are never flagged: an article *about* something not found is still an article.
    """
    # Counted up to one past the larger limit: a long article's words need not all be split.
    words = len(text.split(maxsplit=max(TITLE_MAX_WORDS, TEXT_MAX_WORDS))) if text else 0
    if words > TITLE_MAX_WORDS:
        return False
    if title and any(
        _TITLE.fullmatch(segment.strip(" \t\n!.?¡¿()[]'\"«»"))
        for segment in _TITLE_SEPARATOR.split(_fold(title))
    ):
        return True
    return bool(text) and words <= TEXT_MAX_WORDS and _TEXT.search(_fold(text or "")) is not None


def is_soft_404(
    cited_url: str,
    final_url: str | None,
    title: str | None,
    text: str | None,
    probe_similarity: float | None = None,
    *,
    probe_url: str | None = None,
    threshold: float = PROBE_SIMILARITY,
    as_cited: bool = False,
) -> bool:
    """Whether a ``200`` answer for ``cited_url`` is really the site saying "no such page".

    ``probe_similarity`` is how close the text is to the site's answer to a random unknown
    path (0 to 1), and ``probe_url`` where that probe ended. ``as_cited`` says the text has not
    changed since the baseline: that text is what the author cited, so however generic it
    looks (a JavaScript shell, a page about HTTP 404), it is not a soft-404.
    """
    if is_home(cited_url) or as_cited:
        return False  # a home page is what unknown paths often lead to; it is not lost
    redirected = final_url is not None and final_url != cited_url
    if redirected and _not_found_url(final_url or "") and not _not_found_url(cited_url):
        return True
    # An empty text matches any other empty text, and a probe that was sent back to the cited
    # page itself (sites that route on an id and ignore the rest of the path) proves nothing.
    probe_counts = (text is None or bool(text.strip())) and (
        probe_url is None or not same_page(probe_url, final_url or cited_url)
    )
    if probe_counts and probe_similarity is not None and probe_similarity >= threshold:
        return True
    # A URL about 404 (a page on HTTP status codes) may well be titled "404 Not Found".
    return not _not_found_url(cited_url, anywhere=True) and looks_not_found(title, text)


def is_home(url: str) -> bool:
    """Whether ``url`` is a site's front page (``/``, ``/index.html``, ``/home``, ``/en/``…)."""
    parts = urlsplit(url)
    path = parts.path.lower() or "/"
    last = path.rsplit("/", 1)[-1]
    if last and "." not in last:
        path += "/"  # /en and /home are the same front page as /en/ and /home/
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key not in _HOME_QUERY_KEYS and not key.startswith("utm_") for key, _ in query):
        return False  # /?p=123 is a WordPress article, not the front page
    return _HOME_PATH.fullmatch(path) is not None


def redirect_to_home(cited_url: str, final_url: str | None) -> bool:
    """Whether a deep link ended on a front page: the site dropped the page and sends visitors
    home (InternetArchiveBot counts this as dead)."""
    if final_url is None or is_home(cited_url) or not is_home(final_url):
        return False
    return not same_page(cited_url, final_url)


def same_page(a: str, b: str) -> bool:
    """Whether two URLs name one page up to the spellings sites redirect between: http or
    https, ``www.`` or not, a trailing slash, an ``index.html``."""

    def key(url: str) -> tuple[str, str, str]:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        path = re.sub(r"/(?:index|default)\.[a-z0-9]{2,5}$", "/", parts.path, flags=re.I)
        return host, path.rstrip("/"), parts.query

    return key(a) == key(b)


def probe_path(rng: random.Random, like: str | None = None) -> str:
    """A path that no site has, to see how the site answers for a page it lacks.

    With ``like`` (the cited URL) the probe sits in the same top folder with the same
    extension, since sites often answer differently per section; deeper folders are left out
    because they often hold the page's id (``/questions/123/slug``), which would fetch the
    cited page again.
    """
    name = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(20))
    if like is None:
        return f"/{name}"
    segments = (urlsplit(like).path or "/").split("/")
    last = segments[-1]
    extension = last[last.rindex(".") :] if "." in last else ""
    folder = f"/{segments[1]}" if len(segments) > 2 and segments[1] else ""
    return f"{folder}/{name}{extension}"


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0 to 1: the Jaccard index of their word trigrams (fast enough
    for whole pages, and insensitive to where a block moved)."""
    first, second = _shingles(a), _shingles(b)
    if not first or not second:
        return 1.0 if first == second else 0.0
    return len(first & second) / len(first | second)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _fold(text).split()
    if len(words) < 3:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _not_found_url(url: str, *, anywhere: bool = False) -> bool:
    parts = urlsplit(url)
    if any(key.lower() in _NOT_FOUND_QUERY for key, _ in parse_qsl(parts.query)):
        return True
    if anywhere:
        return re.search(r"404|not[-_]?found", parts.path, re.IGNORECASE) is not None
    return _NOT_FOUND_PATH.search(parts.path) is not None


def _fold(text: str) -> str:
    return " ".join(text.translate(_APOSTROPHES).casefold().split())
