"""Parked domains: the domain lapsed and now shows ads or a "for sale" page instead of the site.

The page answers ``200 OK``, yet what was cited is gone: a failure with reason ``parked``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Parking and domain-sale services whose own host a lapsed domain redirects to.
PARKING_HOSTS = frozenset(
    {
        "sedoparking.com",
        "sedo.com",
        "parkingcrew.net",
        "bodis.com",
        "dan.com",
        "afternic.com",
        "hugedomains.com",
        "above.com",
        "parklogic.com",
        "domainmarket.com",
        "buydomains.com",
        "undeveloped.com",
        "efty.com",
        "domainnamesales.com",
        "uni.domains",
        "parked.com",
        "perfectdomain.com",
    }
)
# A parking page's text is short; a long text saying "this domain is for sale" is an article.
MAX_WORDS = 300
_MARKERS = re.compile(
    "|".join(
        [
            r"\b(?:this|the) domain(?: name)?(?: [\w.-]+)? (?:is|may be|might be) for sale\b",
            r"^[\w-]+(?:\.[\w-]+)+ (?:is|may be) for sale\b",  # "example.com is for sale"
            r"\bbuy this domain\b",
            r"\b(?:this )?domain (?:is|has been) parked\b",
            r"\bparked (?:free|domain)\b",
            r"\bthis (?:web ?page|domain) (?:is|was) parked\b",
            r"\binquire about (?:this|the) domain\b",
            r"\bmake an offer on (?:this|the) domain\b",
            r"\bsedoparking\.com|\bparkingcrew\.net|\bbodis\.com|\bparking\.bodiscdn\.com",
            r"\bce (?:nom de )?domaine est à vendre\b",
            r"\bdiese domain (?:steht zum verkauf|kaufen|ist zu verkaufen)\b",
            r"\beste dominio (?:está|esta) a la venta\b",
            r"\bquesto dominio è in vendita\b",
            r"\beste domínio está à venda\b",
            r"\bdeze domeinnaam is te koop\b",
        ]
    )
)


def is_parked(final_url: str | None, title: str | None, text: str | None) -> bool:
    """Whether the answer is a parking or domain-for-sale page."""
    host = (urlsplit(final_url).hostname or "") if final_url else ""
    if any(host == parker or host.endswith(f".{parker}") for parker in PARKING_HOSTS):
        return True
    if title and _MARKERS.search(title.casefold()):
        return True
    if not text or len(text.split(maxsplit=MAX_WORDS)) > MAX_WORDS:  # stops at the limit
        return False
    return _MARKERS.search(" ".join(text.casefold().split())) is not None
