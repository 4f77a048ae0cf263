"""The `/_control/…` endpoints, and `RemoteFakeWeb`, their client for a server in another process.

    POST /_control/set             {"path", "body"?, "body_base64"?, "status"?, "headers"?,
                                    "content_type"?}   (as FakeWeb.set; headers: object or pairs)
    POST /_control/delete          {"path"}
    POST /_control/close           {"path"}
    POST /_control/redirect        {"path", "to", "code"?}
    POST /_control/reset           {"prefix"?}         (no body: drop every override)
    GET  /_control/requests        [{"method", "path", "headers"}, ...]
    POST /_control/clear-requests

Answers are JSON: `{"ok": true}`, or `{"error": "..."}` with status 400 or 404.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

from tests.fakeweb.messages import Reply
from tests.fakeweb.state import HTML, HeadersArg, Seen, State, header_pairs, matching

PREFIX = "/_control/"


def handle(state: State, method: str, path: str, body: bytes) -> Reply:
    """Apply one control request to `state`."""
    action = path.removeprefix(PREFIX)
    if action == "requests" and method == "GET":
        log = [{"method": s.method, "path": s.path, "headers": s.headers} for s in state.requests()]
        return _json(200, log)
    if method != "POST":
        return _json(404, {"error": f"unknown control {method} {path}"})
    try:
        args = json.loads(body) if body.strip() else {}
        if not isinstance(args, dict):
            raise TypeError("the body must be a JSON object")
        _apply(state, action, args)
    except LookupError as error:
        return _json(404, {"error": str(error)})
    except (ValueError, TypeError) as error:  # JSONDecodeError is a ValueError
        return _json(400, {"error": str(error)})
    return _json(200, {"ok": True})


def _apply(state: State, action: str, args: dict[str, Any]) -> None:
    if action == "set":
        body = args.pop("body", "")
        if "body_base64" in args:
            body = base64.b64decode(args.pop("body_base64"))
        args["headers"] = header_pairs(args.get("headers"))
        state.set(body=body, **args)
    elif action == "delete":
        state.delete(**args)
    elif action == "close":
        state.close(**args)
    elif action == "redirect":
        state.redirect(**args)
    elif action == "reset":
        state.reset(**args)
    elif action == "clear-requests":
        state.clear_requests()
    else:
        raise LookupError(f"unknown control action {action!r}")


def _json(status: int, value: object) -> Reply:
    return Reply(status, json.dumps(value).encode(), "application/json")


class RemoteFakeWeb:
    """Changes a fake web running in another process (`python -m tests.fakeweb`)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def set(
        self,
        path: str,
        body: str | bytes = b"",
        status: int = 200,
        headers: HeadersArg = None,
        content_type: str | None = HTML,
    ) -> None:
        data = body if isinstance(body, bytes) else body.encode()
        self._post(
            "set",
            path=path,
            body_base64=base64.b64encode(data).decode(),
            status=status,
            headers=header_pairs(headers),
            content_type=content_type,
        )

    def delete(self, path: str) -> None:
        self._post("delete", path=path)

    def close(self, path: str) -> None:
        self._post("close", path=path)

    def redirect(self, path: str, to: str, code: int = 301) -> None:
        self._post("redirect", path=path, to=to, code=code)

    def reset(self, prefix: str = "") -> None:
        self._post("reset", prefix=prefix)

    @property
    def requests(self) -> list[Seen]:
        with urllib.request.urlopen(self.url(PREFIX + "requests"), timeout=10) as answer:
            log = json.load(answer)
        return [Seen(s["method"], s["path"], [tuple(h) for h in s["headers"]]) for s in log]

    def requests_for(self, path: str) -> list[Seen]:
        return matching(self.requests, path)

    def _post(self, action: str, **args: object) -> None:
        data = json.dumps(args).encode()
        request = urllib.request.Request(self.url(PREFIX + action), data=data, method="POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
