"""Bot challenges: a firewall (Cloudflare, DataDome, PerimeterX, Imperva…) answered for the site.

Such an answer says nothing about the cited page, which may well be there: the source is
``blocked``, never failing or dead. Signals come from headers, the title and markers that the
challenge scripts leave in the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Headers a firewall sets only when it challenged or blocked the request.
_CHALLENGE_HEADERS = {
    "cf-mitigated": ("challenge",),
    "x-vercel-mitigated": ("challenge", "deny"),
    "x-amzn-waf-action": ("challenge", "captcha"),
}
# Present on every answer through these services, so only a refusal status makes them count.
_FIREWALL_HEADERS = ("x-datadome", "x-datadome-cid", "x-sucuri-block", "x-px-blocked")
_REFUSALS = frozenset({403, 405, 429, 503})

# Whole titles that challenge pages use; matched in full so an article can still say them.
_TITLE = re.compile(
    r"just a moment\.*|attention required!?(?: \| cloudflare)?|please wait\.*(?: \| cloudflare)?"
    r"|checking your browser(?: before accessing)?.*|ddos-guard|one more step"
    r"|access denied \| .* used cloudflare to restrict access|you have been blocked"
    r"|(?:verifying|verify) (?:that )?you are (?:a )?human\.*|are you a (?:robot|human)\??"
    r"|robot or human\??|access to this page has been denied\.?|pardon our interruption\.*"
    r"|human verification|captcha|security check(?:point)?|sucuri website firewall.*"
    r"|request unsuccessful\. incapsula incident id.*|vérification de sécurité"
)
# A challenge page is short and its markers come early: where they are looked for. (The text
# of every check is scanned; folding a whole long article's text cost more than the rest.)
MARKER_SCAN = 8192
# Markers the challenge scripts leave in a page (found in its HTML or its short text). Plain
# substrings: every check of every page looks for them, and measured on 20 KB texts, `in` for
# each cost under half of one regular expression of the alternatives.
_MARKERS = (
    "cf-browser-verification", "cf_chl_opt", "/cdn-cgi/challenge-platform/", "cf-turnstile",
    "enable javascript and cookies to continue", "checking if the site connection is secure",
    "needs to review the security of your connection before proceeding",
    "captcha-delivery.com", "px-captcha", "_pxcaptcha",
    "incapsula incident id", "_incapsula_resource", "sucuri-firewall-block",
    "ddos-guard.net/", "/_guard/captcha",
)  # fmt: skip


def is_bot_challenge(
    status: int | None, headers: Mapping[str, str], title: str | None, text: str | None
) -> bool:
    """Whether an answer is a bot challenge or firewall block rather than the site's page.

    ``headers`` are the final answer's (names in any case); ``text`` may be the extracted text
    or the start of the HTML, where the challenge scripts' markers sit.
    """
    lowered = {name.lower(): value.lower() for name, value in headers.items()}
    for name, values in _CHALLENGE_HEADERS.items():
        if any(value in lowered.get(name, "") for value in values):
            return True
    if status in _REFUSALS and (
        any(name in lowered for name in _FIREWALL_HEADERS)
        or "datadome=" in lowered.get("set-cookie", "")
        or lowered.get("server", "") == "datadome"
    ):
        return True
    if title and _TITLE.fullmatch(" ".join(title.casefold().split())):
        return True
    if not text:
        return False
    folded = text[:MARKER_SCAN].casefold()
    return any(marker in folded for marker in _MARKERS)
