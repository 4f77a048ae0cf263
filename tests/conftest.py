"""Suite-wide fixtures: the fake web (one server per session) and a per-test view of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeweb import FakeWeb, Site


@pytest.fixture(scope="session")
def fakeweb() -> Iterator[FakeWeb]:
    """The fake web on 127.0.0.1 for the whole session; prefer `site` for pages a test changes."""
    with FakeWeb() as web:
        yield web


@pytest.fixture
def site(fakeweb: FakeWeb, request: pytest.FixtureRequest) -> Iterator[Site]:
    """The fake web under a prefix of this test's own, whose changes are undone afterwards."""
    view = fakeweb.site(request.node.name)
    yield view
    view.reset()
