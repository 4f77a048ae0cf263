"""Name why a request got no answer, in the reason vocabulary ``status`` shows users."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from archive.errors import BlockedAddress, UnresolvableHost

# Checked in order: the first exception type the failure matches names the reason.
REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((BlockedAddress,), "private-address"),
    ((UnresolvableHost, net.DNSLookupError, CannotResolveHostError), "dns-error"),
    ((net.ConnectionRefusedError, DownloadConnectionRefusedError), "connection-refused"),
    ((net.TimeoutError, net.TCPTimedOutError, TimeoutError, DownloadTimeoutError), "timeout"),
    (
        (net.ConnectionLost, net.ConnectionDone, ResponseFailed, ResponseNeverReceived),
        "connection-reset",
    ),
    ((net.SSLError,), "tls-error"),
    ((net.NoRouteError,), "no-route"),
)


def failure_reason(failure: Failure) -> str:
    """``dns-error``, ``connection-refused``, ``timeout``…; ``error-<Type>`` for anything else."""
    if _is_tls_failure(failure):
        return "tls-error"
    if failure.check(IgnoreRequest) and "redirect" in str(failure.value):
        return "redirect-loop"  # RedirectMiddleware gave up: "max redirections reached"
    for types, reason in REASONS:
        if failure.check(*types):
            return reason
    return f"error-{failure.type.__name__}" if failure.type else "error"


def _is_tls_failure(failure: Failure) -> bool:
    # Twisted wraps OpenSSL errors inside ResponseNeverReceived/ResponseFailed reasons.
    reasons = getattr(failure.value, "reasons", [])
    return any("SSL" in type(reason.value).__name__ for reason in reasons)
