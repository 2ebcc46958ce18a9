"""Every cooperative route, walked with edge values as anonymous, member and admin: nothing answers 5xx.

Path ids, query values, JSON body fields (from each handler's msgspec struct) and page form fields (read
from the forms the pages actually render) each get 0, −1, 2^31, 2^63, non-ASCII, 100 kB text and the
dates 0001-01-01 / 9999-12-31. A 4xx with a message is the right answer to all of them.
"""

from __future__ import annotations

import typing
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import msgspec

from coop.posting import LiveSalePaid, post
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import compute_draft
from tests.edge_walk import Walk, body_struct, domain_routes, fill_path, report, walk_as
from tests.factories.coop import make_cooperative

EDGES: list[object] = [0, -1, 2**31, 2**63, "草原牧歌", "x" * 100_000, "0001-01-01", "9999-12-31"]
TEXT_EDGES = [str(v) for v in EDGES] + [""]
PATH_EDGES = ["0", "-1", str(2**31), str(2**63)]
ADMIN, MEMBER = "13700000071", "13700000072"
SENT_AT_LEAST = 4000  # the walk sent 4,457 requests when it moved onto tests/edge_walk.py (as many as before)


def _plain(annotation) -> object:  # type: ignore[no-untyped-def]
    """The type under Annotated / Optional."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _base(struct: type, ids: dict[str, int]) -> dict[str, object]:
    body: dict[str, object] = {}
    for field in msgspec.structs.fields(struct):
        kind = _plain(field.type)
        if kind is int:
            body[field.name] = ids.get(field.name, 1)
        elif kind is bool:
            body[field.name] = False
        elif kind is date:
            body[field.name] = "2025-06-01"
        elif kind is str:
            body[field.name] = {
                "kind": "cash",
                "status": "suspended",
                "channel": "cash",
                "policy": "farmer",
                "account_code": "101",
            }.get(field.name, "测试")
        elif typing.get_origin(kind) is list:
            inner = typing.get_args(kind)[0]
            body[field.name] = [_base(inner, ids)] if isinstance(inner, type) else []
        else:
            body[field.name] = None
    return body


def _edges_for(value: object) -> list[object]:
    if isinstance(value, bool):
        return ["草原牧歌", 2**63]
    if isinstance(value, int):
        return [v for v in EDGES if isinstance(v, int)] + ["草原牧歌"]
    if isinstance(value, str):
        return [v for v in EDGES if isinstance(v, str)]
    return EDGES


class _Forms(HTMLParser):
    """Every POST form on a page: its action and its fields with the values the page gives them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self.forms.append((a.get("action", ""), {}))
        elif not self.forms:
            return
        elif tag in ("input", "textarea") and a.get("name") and a.get("type") != "file":
            if a.get("type") in ("checkbox", "radio"):
                self.forms[-1][1].setdefault(a["name"], a.get("value") or "on")
            else:
                self.forms[-1][1][a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and self._select not in self.forms[-1][1]:
            self.forms[-1][1][self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


async def _seed(db, make_user) -> dict[str, int]:  # type: ignore[no-untyped-def]
    await make_user("admin", phone=ADMIN)
    member_user = await make_user("member", phone=MEMBER)
    async with db.session() as s:
        coop, (m1, m2) = await make_cooperative(s, members=2, user_ids={1: member_user.id})
        await record_charter(s, coop.id, date(2020, 1, 1), Terms())
        await contribute(s, coop.id, ContributionIn(m1.id, "cash", date(2024, 4, 1), amount_fen=1_000_00))
        await contribute(s, coop.id, ContributionIn(m2.id, "cash", date(2024, 4, 1), amount_fen=2_000_00))
        await post(s, LiveSalePaid(coop.id, "e:1", datetime(2025, 9, 1, tzinfo=UTC), m1.id, 5_000_00, 0))
        draft = await compute_draft(s, coop.id, 2025)
        return {
            "cooperative_id": coop.id,
            "member_id": m1.id,
            "distribution_id": draft.id,
            "from_member_id": m1.id,
            "to_member_id": m2.id,
            "heir_member_id": m2.id,
        }


def _coop_routes(app) -> list[tuple[str, str, object]]:  # type: ignore[no-untyped-def]
    """(method, path, handler); machinery has its own walk. OPTIONS too: walked since the first version."""
    routes = domain_routes(app, ("/coop", "/api/coop"), skip=("machinery",), automatic=frozenset())
    return sorted(((method, path, handler) for path, method, handler in routes), key=lambda r: (r[1], r[0]))


def _fill(path: str, ids: dict[str, int], override: str | None = None) -> str:
    """Every path id from the seeded rows, or all of them at ``override``."""
    values = {name: str(value) for name, value in ids.items()}
    if override is None:
        return fill_path(path, values)
    return fill_path(path, {}, default=override)


async def _every_path_id(walk: Walk, routes: list[tuple[str, str, object]], ids: dict[str, int]) -> None:
    for method, path, handler in routes:
        struct = body_struct(handler)
        body = _base(struct, ids) if struct and path.startswith("/api/") else None
        for edge in [None, *PATH_EDGES]:
            if edge is None or "{" in path:
                await walk.send(method, _fill(path, ids, edge), f"path={edge}", json=body)


async def test_every_coop_route_answers_edge_values_without_5xx(client, db, make_user) -> None:
    ids = await _seed(db, make_user)
    routes = _coop_routes(client.app)
    assert len(routes) > 30

    # anonymous, then a member, then the accountant: every route, every path id edge
    walks = [await walk_as(client, "anonymous", None)]
    await _every_path_id(walks[-1], routes, ids)
    walks.append(await walk_as(client, "member", MEMBER))
    await _every_path_id(walks[-1], routes, ids)
    admin = await walk_as(client, "admin", ADMIN)
    walks.append(admin)

    for method, path, handler in routes:
        for edge in PATH_EDGES if "{" in path else []:
            await admin.send(method, _fill(path, ids, edge), f"path={edge}")
        url = _fill(path, ids)
        queries = [
            name
            for name, p in handler.parsed_fn_signature.parameters.items()
            if name not in ("data", "request", "db")
            and "{" + name not in path
            and _plain(p.annotation) in (int, str, date)
        ]
        if method == "GET":
            for name in queries:
                for value in TEXT_EDGES:
                    # httpx refuses a query component past 64 kB; 60 kB is as long as a URL can carry
                    await admin.send(method, url, f"query {name}", params={name: value[:60_000]})
        struct = body_struct(handler)
        if struct is not None and path.startswith("/api/"):
            base = _base(struct, ids)
            for name, value in base.items():
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    for inner, inner_value in value[0].items():
                        for edge in _edges_for(inner_value):
                            body = {**base, name: [{**value[0], inner: edge}]}
                            await admin.send(method, url, f"json {name}.{inner}", json=body)
                    continue
                for edge in _edges_for(value):
                    await admin.send(method, url, f"json {name}", json={**base, name: edge})

    # page forms as the pages render them, each field in turn given each edge value
    pages = [
        _fill(p, ids)
        for m, p, _ in routes
        if m == "GET" and p.startswith("/coop") and not p.endswith((".xlsx", "/me", "/me/certificate"))
    ]
    forms: dict[str, dict[str, str]] = {}
    for page in pages:
        response = await admin.send("GET", page, "page")
        if (
            response is not None
            and response.status_code == 200
            and "text/html" in response.headers.get("content-type", "")
        ):
            parser = _Forms()
            parser.feed(response.text)
            for action, fields in parser.forms:
                if action.startswith("/coop") and action not in forms:
                    forms[action] = fields
    assert len(forms) >= 10, sorted(forms)
    for action, fields in forms.items():
        fields = {k: v for k, v in fields.items() if k != "_csrf_token"}
        for name in fields:
            for value in TEXT_EDGES:
                await admin.send("POST", action, f"form {name}", data={**fields, name: value})
    assert sum(w.sent for w in walks) >= SENT_AT_LEAST, [w.sent for w in walks]  # the walk really walked
    assert not any(w.failures for w in walks), report(walks)
