"""The live room as bytes, drawn once per cached public view, for the viewers nothing on it belongs to.

A viewer who is not logged in and has no product sheet open sees a page that carries no CSRF token (only the
sheet's form and the logout form do), no order key (only the sheet's) and no login: the same page for all of
them. It is drawn again when the cached view is replaced (at most a second later, or at once after a host's
change in this process) or when this process takes an order from it, and kept apart per base URL (the share
link names the host the viewer asked for).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request

from streaming.services.views import PublicRoom

MAX_PAGES = 64  # (session, base URL) pairs kept; a stream of made-up Host headers cannot grow it further


@dataclass
class _Drawn:
    room: PublicRoom  # the cached view it was drawn from (held, so its identity cannot be reused)
    changes: int
    html: bytes


_drawn: dict[tuple[int, str], _Drawn] = {}


def page(
    request: Request, room: PublicRoom, template: str, context: Callable[[Request, PublicRoom], dict[str, Any]]
) -> bytes:
    key = (room.view.id, str(request.base_url))
    drawn = _drawn.get(key)
    if drawn is not None and drawn.room is room and drawn.changes == room.changes:
        return drawn.html
    html = _draw(request, template, context(request, room))
    if len(_drawn) >= MAX_PAGES:
        _drawn.clear()
    _drawn[key] = _Drawn(room, room.changes, html)
    return html


def _draw(request: Request, template: str, context: dict[str, Any]) -> bytes:
    # Blank what is per request, so that nothing of one viewer could reach the shared page even if the
    # template came to use it outside the sheet.
    shared = {**context, "order_key": "", "request": request, "csrf_input": "", "csrf_token": ""}
    engine = request.app.template_engine
    if engine is None:
        raise RuntimeError("the app has no template engine")
    return engine.get_template(template).render(**shared).encode()
