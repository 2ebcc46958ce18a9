"""Walk every route of the app with edge values: the requests, built from the routes themselves.

Each HTTP route handler is read from the Litestar app (its path parameters, query parameters and body type).
For every edge value a request is built that puts that value in one place at a time — a path parameter, a
query parameter, one field of a JSON body (the other fields hold plausible values), or every field of a page
form — so a bound missing anywhere shows up as the one request that answers 5xx.

The one walker: ``probes`` feeds the out-of-process fuzz walk (test_fuzz); ``domain_routes``, ``fill_path``,
``body_struct``, ``Walk`` and ``walk_as`` are what each domain's in-process edge test is built from
(test_coop_edges, test_machinery_edges, test_shop_edges), each adding only its own world and values.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Litestar
from litestar.routes import HTTPRoute

ROOT = Path(__file__).resolve().parent.parent
EDGE_VALUES: dict[str, Any] = {
    "zero": 0,
    "minus_one": -1,
    "int32": 2**31,
    "int64": 2**63,
    "non_ascii": "é²中",
    "huge_text": "长" * 100_000,
    "day_min": "0001-01-01",
    "day_max": "9999-12-31",
}
SKIPPED_PATHS = ("/logout", "/account/password", "/static/", "/schema", "/api/auth/token", "/ws/")
NOT_QUERY = {"request", "scope", "data", "socket", "state", "headers", "cookies", "body"}


@dataclass
class Probe:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, str] | None = None
    where: str = ""

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def describe(self) -> str:
        return f"{self.method} {self.path} [{self.where}]"


def form_field_names() -> list[str]:
    """Every form field name any template uses (pages take their bodies as text fields)."""
    names: set[str] = set()
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" not in template.parts:
            names.update(re.findall(r'name="([a-z_0-9]+)"', template.read_text()))
    return sorted(names - {"csrf_token", "_csrf_token"})


def _text(value: Any) -> str:
    return str(value)


def _plausible(annotation: Any, name: str = "") -> Any:
    """A value of the right type that a validator may well accept, so one edge field is tested at a time."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _plausible(typing.get_args(annotation)[0], name)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _plausible(inner[0], name) if inner else None
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(annotation)
        return [_plausible(args[0], name)] if args else []
    if origin is dict:
        return {}
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if isinstance(annotation, type):
        if issubclass(annotation, msgspec.Struct):
            return {f.encode_name: _plausible(f.type, f.name) for f in msgspec.structs.fields(annotation)}
        if issubclass(annotation, bool):
            return False
        if issubclass(annotation, int):
            return 1
        if issubclass(annotation, datetime):
            return "2026-06-01T10:00:00+08:00"
        if issubclass(annotation, date):
            return "2026-06-01"
        if issubclass(annotation, str):
            return "13800001234" if "phone" in name else "1" if name.endswith(("area", "amount", "price")) else "测试"
        if hasattr(annotation, "__members__"):  # an Enum
            return next(iter(annotation.__members__.values())).value
    return "1"


def _body_struct(handler: Any) -> type[msgspec.Struct] | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    annotation = data.annotation
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct) else None


def _json_probes(method: str, path: str, struct: type[msgspec.Struct]) -> Iterator[Probe]:
    baseline = _plausible(struct)
    for name in baseline:
        for label, value in EDGE_VALUES.items():
            yield Probe(method, path, json={**baseline, name: value}, where=f"body.{name}={label}")


def _path_values(route: HTTPRoute) -> Iterator[tuple[str, str, str]]:
    """(path, where, label): the path with one parameter at an edge and the others at 1."""
    names = list(route.path_parameters)
    plain = {name: "1" for name in names}
    yield route.path_format.format(**plain), "path", "plain"
    for name in names:
        for label, value in EDGE_VALUES.items():
            if label == "huge_text":
                continue  # a 300 kB path is refused by the HTTP server itself, before the app
            yield route.path_format.format(**{**plain, name: _text(value)}), f"path.{name}", label


def probes(app: Litestar) -> Iterator[Probe]:
    form_names = form_field_names()
    for route in app.routes:
        if (
            not isinstance(route, HTTPRoute)
            or route.path_format.startswith(SKIPPED_PATHS)
            or route.path_format in SKIPPED_PATHS
        ):
            continue
        for handler in route.route_handlers:
            methods = sorted(set(handler.http_methods) - {"OPTIONS", "HEAD"})
            if not methods:
                continue
            dependencies = set(handler.resolve_dependencies())
            queries = [
                n
                for n in handler.parsed_fn_signature.parameters
                if n not in dependencies and n not in route.path_parameters and n not in NOT_QUERY
            ]
            struct = _body_struct(handler)
            for method in methods:
                for path, where, label in _path_values(route):
                    yield Probe(method, path, where=f"{where}={label}")
                plain_path = route.path_format.format(**{name: "1" for name in route.path_parameters})
                for name in queries:
                    for label, value in EDGE_VALUES.items():
                        value = "长" * 1000 if label == "huge_text" else value  # a URL stays under 16 kB
                        yield Probe(method, plain_path, params={name: _text(value)}, where=f"query.{name}={label}")
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    if struct is not None:
                        yield from _json_probes(method, plain_path, struct)
                    elif "data" in handler.parsed_fn_signature.parameters:
                        for label, value in EDGE_VALUES.items():
                            value = "长" * 3000 if label == "huge_text" else value  # ×100 fields, under 10 MB
                            yield Probe(
                                method,
                                plain_path,
                                form=dict.fromkeys(form_names, _text(value)),
                                where=f"form.*={label}",
                            )


# ---------------------------------------------------------------- the in-process walk, one domain at a time
#
# Each domain's edge test (test_coop_edges, test_machinery_edges, test_shop_edges) names its routes by prefix,
# builds its own world and values, and sends every request through one Walk per role: the same route table,
# the same path filling, the same refusal rule (never a 5xx, never a client error on a redirect we sent), and a
# count of what was sent so each test can prove its walk really walked.

PARAM = re.compile(r"\{(\w+):\w+\}")


def domain_routes(
    app: Litestar,
    prefixes: tuple[str, ...],
    *,
    methods: frozenset[str] | None = None,
    skip: tuple[str, ...] = (),
    automatic: frozenset[str] = frozenset({"OPTIONS", "HEAD"}),
) -> list[tuple[str, str, Any]]:
    """(path, method, handler) of every HTTP route under ``prefixes``, in the app's order; ``automatic``: the
    methods Litestar answers by itself, left out unless a test walks them too."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(prefixes):
            continue
        if any(part in route.path for part in skip):
            continue
        for handler in route.route_handlers:
            for method in sorted(set(handler.http_methods) - automatic):
                if methods is None or method in methods:
                    found.append((route.path, method, handler))
    return found


def fill_path(path: str, values: dict[str, str], override: tuple[str, str] | None = None, default: str = "1") -> str:
    """The route's path with its parameters from ``values`` (``default`` when unnamed), one of them overridden."""

    def one(match: re.Match[str]) -> str:
        name = match[1]
        value = override[1] if override and override[0] == name else values.get(name, default)
        return quote(str(value), safe="")

    return PARAM.sub(one, path)


def body_struct(handler: Any) -> type[msgspec.Struct] | None:
    """The msgspec struct a handler decodes its body into (None for forms and body-less handlers)."""
    return _body_struct(handler)


@dataclass
class Walk:
    """One role's walk: sends each request (API headers for /api/, the CSRF header for pages), counts it, and
    keeps every answer ≥ 500 (or a transport error) as a failure instead of stopping at the first."""

    client: Any
    role: str
    api: dict[str, str] = field(default_factory=dict)
    sent: int = 0
    failures: list[str] = field(default_factory=list)

    async def send(self, method: str, url: str, what: str = "", **kw: Any) -> Any:
        import httpx

        headers = (
            dict(self.api) if url.startswith("/api/") else {"x-csrftoken": self.client.cookies.get("caoyuan_csrf", "")}
        )
        headers.update(kw.pop("headers", None) or {})
        self.sent += 1
        try:
            response = await self.client.request(method, url, headers=headers, follow_redirects=False, **kw)
        except httpx.HTTPError as exc:  # e.g. a redirect whose Location echoes 100 kB: no client can follow it
            self.failures.append(f"{self.role} {method} {url[:120]} [{what}] → {type(exc).__name__}: {exc}")
            return None
        if response.status_code >= 500:
            self.failures.append(
                f"{self.role} {method} {url[:120]} [{what}] → {response.status_code} {response.text[:200]}"
            )
        return response


async def walk_as(client: Any, role: str, phone: str | None) -> Walk:
    """A fresh walk for ``role``: cookies cleared, then a bearer token and a page session for ``phone``
    (anonymous: only the CSRF cookie any browser would carry)."""
    from tests.conftest import api_token, page_login

    client.cookies.clear()
    if phone is None:
        await client.get("/login")
        return Walk(client, role)
    api = await api_token(client, phone)
    await page_login(client, phone)
    return Walk(client, role, api)


def report(walks: list[Walk]) -> str:
    failures = [f for w in walks for f in w.failures]
    return f"{len(failures)} answers ≥ 500:\n" + "\n".join(failures[:30])
