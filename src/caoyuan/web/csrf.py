"""CSRF tokens for a GET page the CSRF middleware skips (``opt={EXCLUDE_CSRF: True}``).

The middleware gives every page it sees a token (and, to a browser without one, a cookie). A page that is
mostly the same for everyone — the live room a crowd opens at once — is skipped by it, so that a viewer with
nothing to submit costs no token; when such a page does draw a form (a logged-in viewer's logout button, a
buyer's sheet), its handler asks for the token here, issued exactly as the middleware issues it. Only safe
methods may skip the middleware: a POST is always verified by it. A cached route must skip it too
(``refuse_cached_routes_with_tokens``, checked when the app is made).
"""

from __future__ import annotations

from litestar import Litestar, Request
from litestar.datastructures import Cookie
from litestar.middleware.csrf import generate_csrf_token
from litestar.utils.scope.state import ScopeState

EXCLUDE_CSRF = "exclude_from_csrf"  # CSRFConfig.exclude_from_csrf_key's default


def issue_token(request: Request) -> list[Cookie]:
    """Put the caller's CSRF token where ``csrf_input`` finds it; the cookie to set when they had none."""
    config = request.app.csrf_config
    if config is None:
        return []
    existing = request.cookies.get(config.cookie_name)
    token = existing or generate_csrf_token(secret=config.secret)
    ScopeState.from_scope(request.scope).csrf_token = token
    if existing:
        return []
    cookie = Cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    )
    return [cookie]


def refuse_cached_routes_with_tokens(app: Litestar) -> None:
    """Refuse to start an app whose cached route is seen by the CSRF middleware.

    Litestar's response cache stores a response's headers with its body, outside the middleware: the cookie
    the middleware set for the first visitor without one would be handed to every later visitor for as
    long as the entry lives. Each of them would then hold a token their page's form does not (a 403 on
    their next form), and all of them one token anyone can read. A cached route carries no token at all."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.cache and not handler.opt.get(EXCLUDE_CSRF):
                raise RuntimeError(f"{route.path}: a cached route must skip the CSRF middleware (opt EXCLUDE_CSRF)")
