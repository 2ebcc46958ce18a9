"""A cached route never passes through the CSRF middleware: the app refuses to start otherwise."""

from __future__ import annotations

import pytest
from litestar import Litestar, get
from litestar.config.csrf import CSRFConfig
from litestar.testing import TestClient

from caoyuan.web.csrf import EXCLUDE_CSRF, refuse_cached_routes_with_tokens


@get("/cached", cache=60)
async def cached() -> str:
    return "same for everyone"


@get("/cached-bare", cache=60, opt={EXCLUDE_CSRF: True})
async def cached_bare() -> str:
    return "same for everyone"


def _app(handler) -> Litestar:  # type: ignore[no-untyped-def]
    # logging_config=None: Litestar's default would configure this process's logging for the tests after it
    return Litestar([handler], csrf_config=CSRFConfig(secret="s" * 32, cookie_name="caoyuan_csrf"), logging_config=None)


def test_a_cached_route_seen_by_the_middleware_hands_its_first_visitors_cookie_to_the_next() -> None:
    # Why the rule exists: Litestar's cache keeps the first visitor's Set-Cookie with the response.
    with TestClient(_app(cached)) as first:
        cookie = first.get("/cached").headers["set-cookie"]
        first.cookies.clear()
        first.cookies.set("caoyuan_csrf", "mine")  # the next visitor, with a token of their own
        assert first.get("/cached").headers["set-cookie"] == cookie


def test_the_app_refuses_a_cached_route_that_sets_tokens() -> None:
    with pytest.raises(RuntimeError, match="/cached: a cached route must skip the CSRF middleware"):
        refuse_cached_routes_with_tokens(_app(cached))


def test_a_cached_route_that_skips_the_middleware_sets_no_cookie() -> None:
    app = _app(cached_bare)
    refuse_cached_routes_with_tokens(app)
    with TestClient(app) as visitor:
        assert "set-cookie" not in visitor.get("/cached-bare").headers
        assert "set-cookie" not in visitor.get("/cached-bare").headers
