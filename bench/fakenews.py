"""Deterministic news-site pages for the crawl benchmark: articles that each cite their own sources.

`build(articles, sources_per_article, seed)` returns a `Site`: every page's path and HTML, the
same for the same arguments on any machine. Pages look like a news site's (inline CSS and JSON
state, a large navigation menu, share bars, a sidebar, related stories, comments, a footer) and
are 50-150 KB, median ~110 KB, like the pages the figures in shared/DESIGN.md were measured on.
Links are root-relative, so the pages do not depend on the server's port.

`python bench/fakenews.py OUT [--articles 50 --sources 20 --seed 2016]` writes the pages under
OUT/pages/ and their list, `[path, role]` pairs, to OUT/index.json.
"""

from __future__ import annotations

import argparse
import html
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

SIZE_MIN, SIZE_MODE, SIZE_MAX = 50_000, 120_000, 150_000  # triangular: median ~109 KB

_WORDS = (  # noqa: SIM905 - word lists read better as text
    "le la les un une des du de et à en pour dans sur avec par au aux ce cette ces qui que dont "
    "il elle ils elles nous vous on leur leurs son sa ses plus moins très aussi encore déjà "
    "ville gouvernement ministre président armée coalition région frontière accord réunion "
    "habitants population enquête rapport témoins journalistes agence source document chiffres "
    "semaine mois année hier aujourd'hui demain matin soir nuit depuis pendant après avant "
    "offensive négociations sanctions élections parlement tribunal décision commission conseil "
    "économie budget dette croissance emploi entreprises marché prix énergie pétrole gaz "
    "hôpital école université recherche étude climat sécheresse récolte eau route port "
    "selon affirme déclare explique rappelle souligne estime indique annonce précise dément "
    "important nouveau grand petit premier dernier international national local public "
    "officiel humanitaire militaire politique diplomatique civil européen américain russe "
    "the of and to in that for on with as by from at about after before during against "
    "government minister report officials statement according sources said told week year "
    "city region border agreement talks vote court ruling evidence investigation data"
).split()
_SLUG_WORDS = [word for word in _WORDS if word.isascii() and word.isalpha()]
_SECTIONS = (  # noqa: SIM905
    "international politique societe economie culture sport sciences planete idees "
    "education sante technologies medias voyage immobilier emploi"
).split()
_FIRST = "Claire Marc Sophie Julien Amina Thomas Léa Karim Nadia Paul Inès Hugo".split()  # noqa: SIM905
_LAST = "Martin Bernard Dubois Lefèvre Moreau Laurent".split()  # noqa: SIM905
_SITES = (  # noqa: SIM905
    "agence-presse ministere-affaires-etrangeres observatoire-droits blog-analyse "
    "institut-statistique revue-diplomatique ong-terrain universite-recherche "
    "journal-regional tribunal-international banque-centrale parlement-europeen"
).split()


@dataclass
class Page:
    path: str
    role: str  # "article" or "source"
    html: bytes
    cites: list[str] = field(default_factory=list)  # paths of the sources an article cites


@dataclass
class Site:
    pages: list[Page]

    @property
    def articles(self) -> list[Page]:
        return [page for page in self.pages if page.role == "article"]


def build(articles: int, sources_per_article: int, seed: int = 2016) -> Site:
    """`articles` articles, each citing `sources_per_article` distinct sources of its own."""
    pages: list[Page] = []
    for number in range(articles):
        # Seeded per page on purpose (S311 is about secrets): the same pages on every run.
        rng = random.Random(f"{seed}-article-{number}")  # noqa: S311
        cites = [_source_path(rng, number, i) for i in range(sources_per_article)]
        path = f"/{rng.choice(_SECTIONS)}/article/2016/11/{number:05d}-{_slug(rng)}.html"
        pages.append(Page(path, "article", _page(rng, path, cites).encode(), cites))
        for i, source in enumerate(cites):
            source_rng = random.Random(f"{seed}-source-{number}-{i}")  # noqa: S311
            outward = [_outward_path(source_rng) for _ in range(source_rng.randint(3, 12))]
            pages.append(Page(source, "source", _page(source_rng, source, outward).encode()))
    return Site(pages)


def _source_path(rng: random.Random, article: int, index: int) -> str:
    return f"/s/{rng.choice(_SITES)}/{article:05d}-{index:02d}-{_slug(rng)}.html"


def _outward_path(rng: random.Random) -> str:
    # What a source cites in turn: never fetched at depth 1 (the server answers 404 if it is).
    return f"/x/{rng.choice(_SITES)}/{rng.randrange(10**6)}-{_slug(rng)}"


def _slug(rng: random.Random) -> str:
    return "-".join(rng.choices(_SLUG_WORDS, k=5))


def _sentence(rng: random.Random, low: int = 8, high: int = 28) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    if len(words) > 8:
        words[len(words) // 2] += ","
    text = " ".join(words)
    return html.escape(text[0].upper() + text[1:] + (".", ".", ".", "?")[len(words) % 4])


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _page(rng: random.Random, path: str, cites: list[str]) -> str:
    target = int(rng.triangular(SIZE_MIN, SIZE_MAX, SIZE_MODE))
    title = _sentence(rng, 6, 12).rstrip(".?")
    parts = [
        _head(rng, path, title),
        '<body class="page-article">\n',
        _masthead(rng),
        '<main id="content" class="layout">\n<article class="story">\n',
        _article_header(rng, title),
        _body(rng, cites),
        _share_and_tags(rng),
        "</article>\n",
        _sidebar(rng),
        "</main>\n",
        _related(rng),
        _comments(rng),
        _footer(rng),
    ]
    page = "".join(parts)
    # Inline state (as Next.js/Nuxt sites ship) fills the page up to its drawn size.
    tail = "</body>\n</html>\n"
    page += _state_script(rng, target - len(page.encode()) - len(tail)) + tail
    return page


def _head(rng: random.Random, path: str, title: str) -> str:
    rules = "".join(
        f".c-{rng.randrange(16**5):05x}{{margin:{rng.randint(0, 24)}px "
        f"{rng.randint(0, 24)}px;color:#{rng.randrange(16**6):06x};"
        f"font-size:{rng.randint(11, 32)}px;line-height:{rng.randint(12, 20) / 10}}}\n"
        for _ in range(rng.randint(80, 160))
    )
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": html.unescape(title),
            "datePublished": f"2016-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
            "author": [{"@type": "Person", "name": _name(rng)}],
            "publisher": {"@type": "Organization", "name": "Le Quotidien du Banc d'Essai"},
        },
        ensure_ascii=False,
    )
    return (
        '<!doctype html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title} – Le Quotidien du Banc d'Essai</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="description" content="{_sentence(rng)}">\n'
        f'<link rel="canonical" href="{path}">\n'
        f'<meta property="og:title" content="{title}">\n'
        f'<meta property="og:url" content="{path}">\n'
        '<meta property="og:type" content="article">\n'
        f"<style>\n{rules}</style>\n"
        f'<script type="application/ld+json">{ld}</script>\n'
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        "gtag('js',new Date());gtag('config','G-BENCH');</script>\n"
        "</head>\n"
    )


def _masthead(rng: random.Random) -> str:
    menu = []
    for section in _SECTIONS:
        subs = "".join(
            f'<li class="nav__sub-item"><a class="nav__link" href="/{section}/{_slug(rng)}/">'
            f'<span class="nav__label">{_sentence(rng, 1, 3).rstrip(".?")}</span></a></li>'
            for _ in range(rng.randint(8, 16))
        )
        menu.append(
            f'<li class="nav__item"><a class="nav__link" href="/{section}/">{section.title()}</a>'
            f'<ul class="nav__sub">{subs}</ul></li>\n'
        )
    return (
        '<a class="skip-link" href="#content">Aller au contenu</a>\n'
        '<header class="site-header"><div class="masthead"><a class="logo" href="/">'
        "Le Quotidien du Banc d'Essai</a>"
        '<form class="search" action="/recherche"><input name="q" type="search"></form>'
        '<a class="subscribe" href="/abonnement">S\'abonner</a></div>\n'
        f'<nav class="main-nav" role="navigation"><ul class="nav">\n{"".join(menu)}</ul></nav>\n'
        '<div class="breadcrumb"><a href="/">Accueil</a> › '
        f'<a href="/{rng.choice(_SECTIONS)}/">Rubrique</a></div>\n</header>\n'
    )


def _article_header(rng: random.Random, title: str) -> str:
    author = _name(rng)
    return (
        '<header class="article__header">\n'
        f'<p class="kicker"><a href="/{rng.choice(_SECTIONS)}/">Décryptage</a></p>\n'
        f'<h1 class="article__title">{title}</h1>\n'
        f'<p class="article__standfirst">{_paragraph(rng)}</p>\n'
        f'<div class="byline">Par <a rel="author" href="/journalistes/{_slug(rng)}">{author}</a>'
        f' · <time datetime="2016-11-{rng.randint(1, 28):02d}">Publié le '
        f"{rng.randint(1, 28)} novembre 2016</time></div>\n</header>\n"
        '<figure class="article__media"><img src="/img/'
        f'{rng.randrange(10**8)}.jpg" alt="{_sentence(rng, 4, 9)}" width="1200" height="675">'
        f"<figcaption>{_sentence(rng)} (Photo : {_name(rng)})</figcaption></figure>\n"
    )


def _body(rng: random.Random, cites: list[str]) -> str:
    paragraphs = [_paragraph(rng) for _ in range(rng.randint(max(12, len(cites) // 2 + 4), 26))]
    # Each citation sits inside a sentence of a body paragraph, as a link on a few words.
    for number, path in enumerate(cites):
        at = rng.randrange(len(paragraphs))
        anchor = _sentence(rng, 2, 5).rstrip(".?")
        lead = _sentence(rng, 5, 12).rstrip(".?")
        paragraphs[at] += f' {lead} <a href="{path}">{anchor}</a> ({number + 1}).'
    out = ['<div class="article__body" itemprop="articleBody">\n']
    for i, text in enumerate(paragraphs):
        if i and i % 5 == 0:
            out.append(f"<h2>{_sentence(rng, 3, 8).rstrip('.?')}</h2>\n")
        if i == 3:
            out.append(
                '<aside class="read-also"><p class="read-also__title">Lire aussi</p>'
                f'<a href="/{rng.choice(_SECTIONS)}/article/2016/10/{_slug(rng)}.html">'
                f"{_sentence(rng, 5, 10)}</a></aside>\n"
            )
        if i == 6:
            out.append(
                '<div class="ad ad--inread" data-slot="inread"><div class="ad__label">Publicité'
                '</div><ins class="adsbygoogle" data-ad-client="ca-pub-0"></ins></div>\n'
            )
        if i == 8:
            out.append(f"<blockquote><p>{_sentence(rng)}</p></blockquote>\n")
        out.append(f"<p>{text}</p>\n")
    out.append("</div>\n")
    return "".join(out)


def _share_and_tags(rng: random.Random) -> str:
    shares = "".join(
        f'<li><a class="share__{net}" href="https://{net}.example/share?u=x">{net}</a></li>'
        for net in ("facebook", "twitter", "linkedin", "whatsapp", "email")
    )
    tags = "".join(
        f'<li><a rel="tag" href="/sujets/{_slug(rng)}/">{_sentence(rng, 1, 2).rstrip(".?")}</a>'
        "</li>"
        for _ in range(rng.randint(3, 8))
    )
    return (
        f'<div class="share"><ul>{shares}</ul></div>\n'
        f'<div class="tags"><p>Sujets</p><ul>{tags}</ul></div>\n'
    )


def _card(rng: random.Random, kind: str) -> str:
    image = rng.randrange(10**8)
    return (
        f'<li class="{kind}__item"><div class="card card--{kind}"><a class="card__link" href="/'
        f'{rng.choice(_SECTIONS)}/article/2016/11/{_slug(rng)}.html"><picture>'
        f'<source media="(min-width: 768px)" srcset="/img/{image}-640.webp" type="image/webp">'
        f'<source srcset="/img/{image}-320.webp" type="image/webp">'
        f'<img loading="lazy" src="/img/{image}.jpg" alt="" width="320" height="180"></picture>'
        f'<div class="card__body"><span class="card__kicker">{rng.choice(_SECTIONS)}</span>'
        f'<h3 class="card__title">{_sentence(rng, 6, 12)}</h3></div></a>'
        f'<p class="card__meta"><span class="card__date">{rng.randint(1, 28)} nov.</span>'
        f'<span class="card__comments">{rng.randint(2, 900)} commentaires</span></p></div></li>\n'
    )


def _sidebar(rng: random.Random) -> str:
    cards = "".join(_card(rng, "most-read") for _ in range(10))
    return (
        f'<aside class="sidebar"><section class="most-read"><h2>Les plus lus</h2><ol>{cards}</ol>'
        '</section><section class="newsletter"><h2>Newsletter</h2>'
        f'<p>{_sentence(rng)}</p><form><input type="email"><button>OK</button></form>'
        '</section><div class="ad ad--sidebar"><ins class="adsbygoogle"></ins></div></aside>\n'
    )


def _related(rng: random.Random) -> str:
    cards = "".join(_card(rng, "related") for _ in range(rng.randint(12, 24)))
    return f'<section class="related"><h2>Sur le même sujet</h2><ul>{cards}</ul></section>\n'


def _comments(rng: random.Random) -> str:
    items = "".join(
        f'<li class="comment"><p class="comment__author">{_name(rng)}</p>'
        f"<time>{rng.randint(1, 28)}/11/2016 {rng.randint(0, 23)}:{rng.randint(0, 59):02d}</time>"
        f"<p>{_paragraph(rng)}</p></li>\n"
        for _ in range(rng.randint(3, 15))
    )
    return f'<section class="comments" id="comments"><h2>Réactions</h2><ol>{items}</ol></section>\n'


def _footer(rng: random.Random) -> str:
    columns = "".join(
        f'<div class="footer__col"><h3>{section.title()}</h3><ul>'
        + "".join(
            f'<li><a href="/{section}/{_slug(rng)}/">{_sentence(rng, 1, 3).rstrip(".?")}</a></li>'
            for _ in range(15)
        )
        + "</ul></div>\n"
        for section in rng.sample(_SECTIONS, 8)
    )
    return (
        f'<footer class="site-footer">\n{columns}'
        f'<p class="legal">{_paragraph(rng)}</p>\n'
        '<p><a href="/mentions-legales">Mentions légales</a> · <a href="/cgu">CGU</a> · '
        '<a href="/confidentialite">Confidentialité</a></p>\n</footer>\n'
    )


def _state_script(rng: random.Random, room: int) -> str:
    if room <= 200:
        return ""
    items: list[str] = []
    size = 0
    while size < room - 160:
        # Written by hand rather than json.dumps per item: generation time is mostly this.
        title = " ".join(rng.choices(_WORDS, k=rng.randint(6, 14))).replace("'", "\\u0027")
        item = (
            f'{{"id":{rng.randrange(10**9)},"title":"{title}","url":"/{rng.choice(_SECTIONS)}'
            f'/article/2016/11/{_slug(rng)}.html","image":{{"src":"/img/{rng.randrange(10**8)}'
            f'.jpg","w":640,"h":360}},"premium":{"true" if rng.random() < 0.2 else "false"}}}'
        )
        items.append(item)
        size += len(item.encode()) + 1
    state = '{"props":{"pageProps":{"teasers":[' + ",".join(items) + "]}}}"
    return f'<script id="__NEXT_DATA__" type="application/json">{state}</script>\n'


def write(site: Site, directory: Path) -> None:
    for page in site.pages:
        file = directory / "pages" / page.path.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(page.html)
    (directory / "index.json").write_text(json.dumps([(p.path, p.role) for p in site.pages]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write pages/ and index.json in")
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--sources", type=int, default=20, help="sources cited by each article")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    write(build(args.articles, args.sources, args.seed), args.out)


if __name__ == "__main__":
    main()
