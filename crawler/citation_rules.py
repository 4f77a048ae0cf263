"""The rules behind `crawler.citations.find()`: which blocks are page furniture, which links are
site machinery rather than sources, and how a URL written as plain text ends.

Everything here is data plus small predicates over strings and elements, so a rule can be read,
tested and changed without touching the tree walk in `crawler/citations.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

# Elements that never hold the article's own citations (forms, embeds, chrome). `header` is not
# here: an article's header may carry a standfirst that cites, see `citations._candidates`.
SKIP_TAGS = frozenset(
    {
        "nav", "aside", "footer", "form", "button", "select", "textarea", "input", "menu",
        "dialog", "iframe", "object", "embed", "svg", "canvas", "video", "audio", "map",
    }
)  # fmt: skip
SKIP_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "toolbar"}
)

# Block-level elements: they bound sentences and lines, and they are the containers that the
# text-density fallback scores.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
        "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "nav", "ol",
        "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
# Blocks that are one paragraph of text: the density fallback credits their parent, the container.
PARAGRAPH_TAGS = frozenset(
    {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dd", "dt", "figcaption", "caption"}
)
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# class/id tokens (split on whitespace, "-" and "_") that mark furniture. Whole tokens only, so
# "tagdiv-type" or "footnote" never match "tag" or "footer".
_FURNITURE_TOKENS = frozenset(
    {
        # navigation and page chrome
        "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "crumbs", "pagination",
        "pager", "paging", "skip", "jump", "toc", "footer", "masthead", "banner", "sidebar",
        "widget", "toolbar",
        # sharing and social
        "share", "shares", "sharing", "sharedaddy", "social", "addtoany", "a2a", "sharethis",
        # taxonomy, bylines, metadata
        "tag", "tags", "tagcloud", "labels", "categories", "category", "cat", "topics",
        "keywords", "byline", "bylines", "author", "authors", "authorbox", "meta",
        # comments
        "comment", "comments", "commentlist", "respond", "reply", "discussion", "disqus",
        # recirculation and ads
        "related", "relatedposts", "recommended", "recommendations", "recirc", "recirculation",
        "popular", "trending", "outbrain", "taboola", "ad", "ads", "advert", "advertisement",
        "sponsored", "sponsor", "promo", "promoted", "newsletter", "subscribe", "subscription",
        "signup", "paywall", "feedback",
        # MediaWiki chrome
        "editsection", "navbox", "catlinks", "noprint", "hatnote", "ambox", "metadata",
        "printfooter", "selflink", "backlink",
    }
)  # fmt: skip
# Token pairs and compounds that only mean furniture together ("most-read", "read-more").
_FURNITURE_RE = re.compile(
    r"most[\s_-]?(?:read|popular|viewed|shared|commented)|read[\s_-]?(?:more|next|also)"
    r"|more[\s_-]?(?:stories|from|articles|news)|jp[\s_-]relatedposts|post[\s_-]?navigation"
)
_TOKEN_SPLIT = re.compile(r"[\s_-]+")

# "header" in a class is handled like the <header> element (standfirst kept, byline dropped).
HEADER_TOKENS = frozenset({"header"})

# Headings that title a furniture box ("Most read", "Related content", "Lire aussi"...).
_FURNITURE_HEADING = re.compile(
    r"(most (read|popular|viewed|shared|commented|recent)|related( \w+)?|read (more|next|also)"
    r"|more (from|stories|news|on|in|like this)\b.*|you (may|might) also (like|enjoy)"
    r"|recommended( \w+)?|trending( now)?|popular( \w+)?|(à )?lire aussi|articles similaires"
    r"|sur le même sujet|share( this( \w+)?)?|partager( \w+)?|tags|labels|topics|categories"
    r"|\d* ?comments?|leave a (reply|comment)|about the author|newsletter|sign up\b.*"
    r"|subscribe\b.*|blog archive|archives?|latest (news|stories|posts)|recent (posts|articles))"
)
# Labels of inline promos ("Read more: <a>other story</a>"); only same-site links are dropped.
_PROMO_LABEL = re.compile(
    r"(read (more|also|next)|also read|related( stories| articles)?|see also|recommended"
    r"|don'?t miss|more|watch|listen|(à |a )?lire (aussi|également)|voir aussi|à voir)"
)
# What may stand between the links of a navigation row ("Home | About · Contact").
SEPARATOR_CHARS = frozenset(" \t\n\r\f\v\u00a0\u2009\u202f|·•:,>»/–—-")
_SEPARATORS = re.compile(r"[\s|·•:,>»/–—-]+")

# URL patterns of share, intent and "post a comment" endpoints, on any host.
_SHARE_URL = re.compile(
    r"(facebook\.com/(sharer|share\.php|dialog/share|dialog/feed)|(twitter|x)\.com/(intent|share)"
    r"|linkedin\.com/(sharearticle|sharing|cws/share)|(api|web)\.whatsapp\.com/send|wa\.me/"
    r"|pinterest\.[a-z.]+/pin/create|reddit\.com/submit|(t|telegram)\.me/share|tumblr\.com/share"
    r"|tumblr\.com/widgets/share|vk\.com/share\.php|getpocket\.com/(save|edit)|bsky\.app/intent"
    r"|news\.ycombinator\.com/submitlink|addtoany\.com/(share|add_to)|plus\.google\.com/share"
    r"|blogger\.com/(share-post|profile|comment|delete-comment|post-edit|navbar|email-post)"
    r"|flipboard\.com/bookmarklet|mix\.com/add|substack\.com/notes/restack"
    r"|wordpress\.com/(press-this|wp-login))",
    re.IGNORECASE,
)
_SHARE_QUERY_KEYS = frozenset({"share", "replytocom", "shared", "sharer"})
_ACTION_VALUES = frozenset({"share", "like", "edit", "reply", "comment", "print", "login"})
_COMMENT_FRAGMENT = re.compile(r"(comments?|respond|reply|disqus_thread|comment-form)([-_]\d+)?$")

# Path segments that, on the article's own site, are taxonomy, people, account or listing pages.
_SITE_SEGMENTS = frozenset(
    {
        "tag", "tags", "category", "categories", "topic", "topics", "label", "labels", "author",
        "authors", "by", "profile", "profiles", "user", "users", "member", "members", "feed",
        "feeds", "rss", "comments", "wp-admin", "login", "signin", "sign-in", "register",
        "signup", "subscribe", "newsletter", "newsletters", "search", "share", "print",
        "all-about", "reporters", "journalists",
    }
)  # fmt: skip
_SITE_FILES = re.compile(r"wp-login\.php|wp-comments-post\.php|xmlrpc\.php")
_PAGINATION_PATH = re.compile(r"/page/\d+/?$")
_PAGINATION_KEYS = frozenset({"page", "paged", "pg"})  # not "p": WordPress ?p=123 is a post
# rel values that name the link's job as something other than citing.
_REL_DROP = frozenset(
    {"tag", "category", "author", "bookmark", "prev", "next", "license", "home", "me", "edit",
     "search", "discussion", "sponsored", "alternate"}
)  # fmt: skip
# Not "ugc": Medium and other platforms mark every link of a post as user-generated content.

_IMAGE_PATH = re.compile(r"\.(jpe?g|png|gif|webp|avif|svg|bmp|tiff?)$", re.IGNORECASE)

# MediaWiki: namespaces that are wiki machinery, not articles (File: pages are image pages).
_WIKI_NAMESPACE = re.compile(
    r"/wiki/(special|help|wikipedia|project|template|template_talk|talk|user|user_talk|file"
    r"|image|category|portal|module|mediawiki|draft|book|wikipedia_talk|file_talk|help_talk)"
    r"(:|%3a)"
    # the "doi", "ISBN", "PMID"… labels of citation templates link to "X_(identifier)" pages
    r"|/wiki/[^/]+_\(identifier\)$",
    re.IGNORECASE,
)
_WIKI_TOOL_KEYS = frozenset({"action", "redlink", "oldid", "diff", "curid", "printable"})

# A URL written as text: a scheme, or "www." not glued to a word, then anything up to a space,
# an angle bracket or a quote (typographic quotes never occur raw inside URLs).
BARE_URL = re.compile(r"(?:\bhttps?://|(?<![\w@./-])www\.)[^\s<>\"«»“”‘’`]+", re.IGNORECASE)
_TRAILING = set(".,;:!?'\"»>’”*")
_HOST_OK = re.compile(r"^[\w.-]+(:\d+)?$")


def trim_bare_url(raw: str) -> str:
    """The URL at the start of `raw` without the punctuation of the sentence around it.

    `(see https://x.org/Foo_(bar)).` ends the URL after "(bar)": a closing bracket is only
    part of the URL while it balances an opening one inside it.
    """
    url = raw
    while url:
        last = url[-1]
        if (
            last in _TRAILING
            or (last == ")" and url.count(")") > url.count("("))
            or (last == "]" and url.count("]") > url.count("["))
        ):
            url = url[:-1]
        else:
            break
    return url


def absolute_bare_url(text: str) -> str | None:
    """A trimmed bare URL as an absolute URL, or None if it has no plausible host."""
    if text.lower().startswith("www."):
        text = "http://" + text  # what a browser does with an address typed without a scheme
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if "." not in (parts.hostname or "") or not _HOST_OK.match(parts.netloc):
        return None
    return text


def tokens(el: etree._Element) -> list[str]:
    """The lower-cased class and id tokens of an element."""
    words = f"{el.get('class', '')} {el.get('id', '')}".lower()
    return [t for t in _TOKEN_SPLIT.split(words) if t]


def is_furniture(el: etree._Element) -> bool:
    """Whether the element is page furniture by its tag, role, class or id."""
    if el.tag in SKIP_TAGS or el.get("role", "").lower() in SKIP_ROLES:
        return True
    if el.get("hidden") is not None:
        return True
    names = tokens(el)
    if any(t in _FURNITURE_TOKENS for t in names):
        return True
    return bool(_FURNITURE_RE.search(" ".join(names)))


def is_header(el: etree._Element) -> bool:
    """Whether the element is an article header (by tag or class)."""
    return el.tag == "header" or any(t in HEADER_TOKENS for t in tokens(el))


def has_furniture_heading(el: etree._Element) -> bool:
    """Whether a box starts with a heading such as "Most read" or "Related content"."""
    first = _first_child(el)
    for _ in range(2):  # the heading itself, or a wrapper holding only the heading
        if first is None:
            return False
        if first.tag in HEADINGS:
            title = " ".join("".join(first.itertext()).split()).lower().rstrip(":").strip()
            return bool(_FURNITURE_HEADING.fullmatch(title))
        if (first.text or "").strip():
            return False
        first = _first_child(first)
    return False


def _first_child(el: etree._Element) -> etree._Element | None:
    for child in el:
        if isinstance(child.tag, str):
            return child
    return None


def is_promo_line(label: str | None) -> bool:
    """Whether a line's non-link text is only a promo label ("Read more: …")."""
    words = _SEPARATORS.sub(" ", label or "").strip().lower()
    return bool(words) and bool(_PROMO_LABEL.fullmatch(words))


def site_of(host: str) -> str:
    """The host without the prefixes that name the same site (www., m., amp.)."""
    host = host.lower().rstrip(".")
    for prefix in ("www.", "m.", "amp.", "mobile."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def same_site(a: str, b: str) -> bool:
    """Whether two hosts belong to one site (equal, or one is a subdomain of the other)."""
    a, b = site_of(a), site_of(b)
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def rel_drops(rel: str | None) -> bool:
    """Whether a link's rel says it is a tag, author, pagination, licence... link."""
    return any(v in _REL_DROP for v in (rel or "").lower().split())


def is_machinery_url(url: str, page_hosts: Iterable[str], wiki: bool) -> bool:
    """Whether an absolute URL is a share, comment, account, taxonomy or listing link.

    Path rules (`/tag/`, `/author/`, pagination…) apply only on the article's own site: on
    another site such a page can be a genuine source.
    """
    parts = urlsplit(url)
    if _SHARE_URL.search(url):
        return True
    query = parse_qsl(parts.query, keep_blank_values=True)
    keys = {k.lower() for k, _ in query}
    if keys & _SHARE_QUERY_KEYS:
        return True
    if any(k.lower() == "action" and v.lower() in _ACTION_VALUES for k, v in query):
        return True
    if _COMMENT_FRAGMENT.match(parts.fragment.lower()):
        return True
    host = parts.hostname or ""
    if not any(same_site(host, page) for page in page_hosts):
        return False
    path = parts.path
    if path in ("", "/") and not parts.query:
        return True  # the site's home page
    names = [s.lower() for s in path.split("/") if s]
    if len(names) == 1 and names[0].startswith("@"):
        return True  # a profile page (Medium, Substack, Mastodon…): the author, not a source
    segments = set(names)
    if segments & _SITE_SEGMENTS or _SITE_FILES.search(path) or _PAGINATION_PATH.search(path):
        return True
    if any(k in _PAGINATION_KEYS and v.isdigit() for k, v in query):
        return True
    return wiki and bool(_WIKI_NAMESPACE.search(path) or keys & _WIKI_TOOL_KEYS)


def is_image_url(url: str) -> bool:
    """Whether the URL's path names an image file (a lightbox or full-size-image link)."""
    return bool(_IMAGE_PATH.search(urlsplit(url).path))
