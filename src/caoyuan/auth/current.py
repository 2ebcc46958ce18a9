"""Who is calling: resolved once per request from the session cookie (pages) or bearer token (API)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from caoyuan.auth import service
from caoyuan.auth.models import UserAccount
from caoyuan.auth.roles import Role
from caoyuan.db import Database
from caoyuan.errors import Forbidden, KernelCode, Unauthorized

SESSION_COOKIE = "caoyuan_session"
_SKIP_PREFIXES = ("/static/", "/healthz", "/readyz", "/schema")
# what a login with a temporary password may still reach: its own account page and logging out
_WHILE_TEMPORARY = frozenset({"/account", "/account/password", "/logout", "/login", "/api/auth/token"})
MUST_CHANGE_PASSWORD = KernelCode.MUST_CHANGE_PASSWORD.value
CALLER_TTL_S = 5.0  # how long a logout, password change or role change may take to reach another process
_MAX_CALLERS = 10_000


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int
    phone: str
    display_name: str
    role: str
    via: str  # "session" or "api"
    token: str
    must_change_password: bool = False  # an admin reset the password: nothing else until it is changed

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @classmethod
    def from_account(cls, account: UserAccount, via: str, token: str) -> CurrentUser:
        return cls(
            account.id,  # type: ignore[arg-type]
            account.phone,
            account.display_name,
            account.role,
            via,
            token,
            account.must_change_password,
        )


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    for header, value in scope.get("headers", ()):
        if header == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == name and val:
                    return val
    return None


class _Callers:
    """Token digest → the caller it belonged to a moment ago: a request stops costing a second pool checkout.

    Only found callers are kept (an unknown token is looked up every time), each for CALLER_TTL_S. This
    process forgets a token at once on its logout and a user's other logins on a password change; other
    processes find out when their entry expires, at most CALLER_TTL_S later.
    """

    def __init__(self) -> None:
        self.entries: dict[bytes, tuple[float, CurrentUser]] = {}
        # lookups in flight: a burst of requests with one new token (a client's first second) reads it once
        self.pending: dict[bytes, asyncio.Future[CurrentUser | None]] = {}
        self.forgotten = 0  # bumped by every forget: a lookup that began before one keeps nothing

    @staticmethod
    def key(token: str, kind: str) -> bytes:
        return hashlib.sha256(f"{kind}:{token}".encode()).digest()

    def get(self, key: bytes) -> CurrentUser | None:
        hit = self.entries.get(key)
        if hit is None:
            return None
        if time.monotonic() >= hit[0]:
            del self.entries[key]
            return None
        return hit[1]

    def put(self, key: bytes, user: CurrentUser) -> None:
        now = time.monotonic()
        if len(self.entries) >= _MAX_CALLERS:
            self.entries = {k: v for k, v in self.entries.items() if v[0] > now}
            if len(self.entries) >= _MAX_CALLERS:
                self.entries.clear()
        self.entries[key] = (now + CALLER_TTL_S, user)

    def forget_token(self, token: str) -> None:
        self.forgotten += 1
        for kind in ("api", "session"):
            self.entries.pop(self.key(token, kind), None)

    def forget_user(self, user_id: int, keep_token: str | None = None) -> None:
        self.forgotten += 1
        self.entries = {k: v for k, v in self.entries.items() if v[1].id != user_id or v[1].token == keep_token}


CALLERS = _Callers()


def forget_token(token: str) -> None:
    """A logout: this process stops honouring the token now (others within CALLER_TTL_S)."""
    CALLERS.forget_token(token)


def forget_user(user_id: int, keep_token: str | None = None) -> None:
    """A password change ended the user's other logins: drop them from this process now."""
    CALLERS.forget_user(user_id, keep_token)


async def _caller(db: Database, token: str, kind: str) -> CurrentUser | None:
    key = CALLERS.key(token, kind)
    user = CALLERS.get(key)
    if user is not None:
        return user
    pending = CALLERS.pending.get(key)
    if pending is None or pending.get_loop() is not asyncio.get_running_loop():
        # Its own task: a caller that gives up (a closed connection) does not cancel the others' lookup.
        pending = CALLERS.pending[key] = asyncio.ensure_future(_look_up(db, token, kind, key))
        pending.add_done_callback(lambda done: _looked_up(key, done))
    return await asyncio.shield(pending)


def _looked_up(key: bytes, done: asyncio.Future[CurrentUser | None]) -> None:
    if CALLERS.pending.get(key) is done:
        del CALLERS.pending[key]
    if not done.cancelled():
        done.exception()  # marks it retrieved: a lookup whose callers all left must not warn


async def _look_up(db: Database, token: str, kind: str, key: bytes) -> CurrentUser | None:
    forgotten = CALLERS.forgotten
    async with db.reader() as session:  # type: ignore[misc]
        account = await service.user_for_token(session, token, kind)
    if account is None:
        return None
    user = CurrentUser.from_account(account, kind, token)
    if CALLERS.forgotten == forgotten:  # a logout while the row was read: answer this once, keep nothing
        CALLERS.put(key, user)
    return user


def auth_middleware(db: Database):
    """ASGI middleware factory: sets ``scope['user']`` to a CurrentUser or None.

    The JSON API (``/api/``) accepts only bearer tokens, so it needs no CSRF token;
    pages use the session cookie (CSRF-protected); websockets take either (cookie sockets are
    origin-checked by their handlers).
    """

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in ("http", "websocket"):
                scope["user"] = None  # type: ignore[typeddict-unknown-key]
                path: str = scope["path"]
                if not path.startswith(_SKIP_PREFIXES):
                    if path.startswith("/api/"):
                        token, kind = _bearer(scope), "api"
                    elif path.startswith("/ws/") and _bearer(scope):
                        token, kind = _bearer(scope), "api"  # the CLI feed client
                    else:
                        token, kind = _cookie(scope, SESSION_COOKIE), "session"
                    if token:
                        scope["user"] = await _caller(db, token, kind)  # type: ignore[typeddict-unknown-key]
                    user = scope["user"]  # type: ignore[typeddict-item]
                    if (
                        user
                        and user.must_change_password
                        and scope["type"] == "http"
                        and path.rstrip("/") not in _WHILE_TEMPORARY
                    ):
                        await _send_to_password_change(path, send)
                        return
            await app(scope, receive, send)

        return middleware

    return factory


async def _send_to_password_change(path: str, send: Send) -> None:
    """A reset password is temporary: pages go to the change-password form, the API answers 403."""
    if path.startswith("/api/"):
        body = json.dumps(
            {
                "code": MUST_CHANGE_PASSWORD,
                "message": "管理员已重置您的密码，请先在「我的账户」修改密码",
            },
            ensure_ascii=False,
        ).encode()
        status, headers = 403, [(b"content-type", b"application/json; charset=utf-8")]
    else:
        body, status, headers = b"", 303, [(b"location", b"/account/?must_change=1")]
    headers.append((b"content-length", str(len(body)).encode()))
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


def requires(*roles: Role | str):
    """Guard: a logged-in user, and (if roles are given) one of those roles."""
    allowed = {str(r) for r in roles}

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # async: no hop to a thread
        user: CurrentUser | None = connection.scope.get("user")  # type: ignore[assignment]
        if user is None:
            raise Unauthorized("请先登录")
        if allowed and user.role not in allowed:
            raise Forbidden("您的账户没有权限访问这里")

    guard.__name__ = f"requires_{'_'.join(sorted(allowed)) or 'login'}"
    return guard


def ensure_self_or_admin(user: CurrentUser, owner_user_id: int | None) -> None:
    """A member (or any non-admin) reads only records that belong to their own login."""
    if user.role == Role.ADMIN:
        return
    if owner_user_id is None or owner_user_id != user.id:
        raise Forbidden("只能查看本人的记录")
