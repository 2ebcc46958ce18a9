"""Menus: each installed domain's NavLinks for the user's role, less what the user's cooperative does not run.

A NavLink with a ``feature`` (e.g. 农机预约, feature "machinery") is shown only when some domain's
``nav_features`` says the user's cooperative runs it, so a member of a village without machinery never lands
on "合作社还没有开放农机服务". The features are looked up once per page request, and only for roles that
have such links (members today): API calls and other roles pay nothing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from litestar import Request

from caoyuan.domains import NavLink, installed_domains

SKIPPED = ("/api/", "/static/", "/ws/", "/media/", "/healthz", "/readyz", "/metrics")


@lru_cache(maxsize=1)
def featured_roles() -> frozenset[str]:
    """The roles that see at least one link depending on a feature."""
    return frozenset(role for d in installed_domains() for link in d.nav if link.feature for role in link.roles)


def nav_links(user: Any, features: frozenset[str] | None = None) -> list[NavLink]:
    """The user's menu; ``features`` None means not looked up (every feature shown)."""
    role = user.role if user else "anonymous"
    return [
        link
        for d in installed_domains()
        for link in d.nav
        if role in link.roles and (not link.feature or features is None or link.feature in features)
    ]


async def features_for(database: Any, user: Any) -> frozenset[str]:
    found: set[str] = set()
    async with database.session() as db:
        for domain in installed_domains():
            if domain.nav_features is not None:
                found |= await domain.nav_features(db, user)
    return frozenset(found)


async def remember_features(request: Request) -> None:
    """before_request: on a page for a featured role, look the user's features up for the menu."""
    user = request.scope.get("user")
    if user is None or user.role not in featured_roles() or request.url.path.startswith(SKIPPED):
        return
    request.state.nav_features = await features_for(request.app.state.database, user)


def features_of(context: Any) -> frozenset[str] | None:
    """The features remembered for the request a template renders (None if not looked up)."""
    request = context.get("request") if hasattr(context, "get") else None
    return getattr(request.state, "nav_features", None) if request is not None else None
