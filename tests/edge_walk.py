"""Walk every route of the app with edge values: the requests, built from the routes themselves.

Each HTTP route handler is read from the Litestar app (its path parameters, query parameters and body type).
For every edge value a request is built that puts that value in one place at a time — a path parameter, a
query parameter, one field of a JSON body (the other fields hold plausible values), or every field of a page
form — so a bound missing anywhere shows up as the one request that answers 5xx.
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
