"""How domain packages plug into the kernel without the kernel knowing them.

Each domain exposes a :class:`Domain` under the ``caoyuan.domains`` entry-point group
(see pyproject.toml). The kernel only iterates over what is installed.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click
    from litestar.types import ControllerRouterHandler

    from caoyuan.demo import DemoContext
    from caoyuan.errors import ErrorCode

GROUP = "caoyuan.domains"


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    roles: frozenset[str]
    # shown only when the user's cooperative runs this feature (a Domain's nav_features says which it runs)
    feature: str = ""


@dataclass(frozen=True)
class Domain:
    name: str
    title: str
    models: Sequence[str] = ()  # modules holding SQLModel tables
    table_prefixes: Sequence[str] = ()  # the tables this domain owns (for its migration branch)
    migrations: Path | None = None  # this domain's Alembic version folder
    route_handlers: Callable[[], Sequence[ControllerRouterHandler]] = lambda: ()
    template_dir: Path | None = None
    cli: Callable[[], click.Group | None] = lambda: None
    seed_demo: Callable[[DemoContext], Awaitable[None]] | None = None
    demo_order: int = 100  # lower seeds first (suppliers before their sales)
    home_for_role: dict[str, str] = field(default_factory=dict)  # role → landing page
    nav: Sequence[NavLink] = ()
    # (db, user) → the features this user's cooperative runs, for NavLinks that carry a feature
    nav_features: Callable[[Any, Any], Awaitable[set[str]]] | None = None
    on_startup: Sequence[Callable[[Any], Awaitable[None]]] = ()  # receives the Litestar app
    on_shutdown: Sequence[Callable[[Any], Awaitable[None]]] = ()
    # out_trade_no prefix → "module:function" handling Alipay's paid notify (see caoyuan.payments.dispatch)
    payment_handlers: dict[str, str] = field(default_factory=dict)
    error_codes: Sequence[type[ErrorCode]] = ()  # this domain's codes, listed with their meanings at /schema
    # event kind → "module:function" (``async (db, stream, payload) -> extra fields``): a figure this domain owns,
    # added to another domain's event as it is appended, in the same transaction (see caoyuan.feed.outbox)
    feed_enrichers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def at(cls, domain_file: str, **fields: Any) -> Domain:
        """A domain laid out the usual way: ``migrations/`` and ``templates/`` beside its ``domain.py``."""
        folder = Path(domain_file).parent
        return cls(migrations=folder / "migrations", template_dir=folder / "templates", **fields)

    def import_models(self) -> None:
        for module in self.models:
            importlib.import_module(module)


def called_later(target: str) -> Callable[..., Any]:
    """``"module:function"`` as a function that imports its module when it is called, not when the Domain is
    loaded: every CLI start loads each Domain, and must not pay for its demo, background jobs or services."""
    module, _, name = target.partition(":")

    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args)

    call.__name__ = call.__qualname__ = target  # tracebacks and logs name the real hook
    return call


def loaded_later(target: str) -> Callable[[], Any]:
    """``"module:name"`` as a function returning that object (a domain's click group), imported only then."""
    module, _, name = target.partition(":")

    def load() -> Any:
        return getattr(importlib.import_module(module), name)

    load.__name__ = load.__qualname__ = target
    return load


@lru_cache(maxsize=1)
def installed_domains() -> tuple[Domain, ...]:
    found = []
    for ep in entry_points(group=GROUP):
        domain = ep.load()
        if not isinstance(domain, Domain):
            raise TypeError(f"entry point {ep.name!r} must point at a caoyuan.domains.Domain")
        found.append(domain)
    return tuple(sorted(found, key=lambda d: d.name))
