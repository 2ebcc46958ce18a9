"""Thin HTTP: bearer tokens for the API, cookie sessions for pages."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromQuery, JSONBody, Parameter, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan.auth import service, setup_link
from caoyuan.auth.current import SESSION_COOKIE, CurrentUser, forget_token, requires
from caoyuan.auth.schemas import Me, TokenRequest, TokenResponse
from caoyuan.deps import AppSettings, Db
from caoyuan.errors import AppError
from caoyuan.web.forms import refused_form

SetupToken = Annotated[str, Parameter(max_length=setup_link.TOKEN_MAX)]


class AuthApi(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/token", status_code=201, summary="用手机号和密码换取 API 令牌")
    async def token(
        self, request: Request, data: JSONBody[TokenRequest], db: Db, settings: AppSettings
    ) -> TokenResponse:
        user = await service.authenticate(db, data.phone, data.password, source=client_address(request))
        token, row = await service.issue_token(db, user, "api", settings.api_token_hours)
        return TokenResponse(token, "bearer", row.expires_at.isoformat(), user.role)

    @delete("/token", status_code=204, guards=[requires()], summary="注销当前令牌")
    async def revoke(self, request: Request, db: Db) -> None:
        user: CurrentUser = request.user
        await service.revoke_token(db, user.token)
        forget_token(user.token)

    @get("/me", guards=[requires()], summary="当前用户")
    async def me(self, request: Request) -> Me:
        user: CurrentUser = request.user
        return Me(user.id, user.phone, user.display_name, user.role)


def client_address(request: Request) -> str:
    """The caller's address as uvicorn saw it (behind the documented nginx, from X-Forwarded-For)."""
    return request.client.host if request.client else ""


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect a login to another site.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


class LoginPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request, next: FromQuery[str | None] = None) -> Template | Redirect:
        if request.scope.get("user"):
            return Redirect(_safe_next(next))
        return Template("login.html", context={"next": _safe_next(next), "phone": "", "error": None})

    @post("/login")
    async def login(
        self,
        request: Request,
        data: URLEncodedBody[dict[str, str]],
        db: Db,
        settings: AppSettings,
    ) -> Response:
        phone, password = data.get("phone", ""), data.get("password", "")
        target = _safe_next(data.get("next"))
        try:
            user = await service.authenticate(db, phone, password, source=client_address(request))
        except AppError as exc:
            return Template(
                "login.html",
                status_code=exc.status,
                context={"next": target, "phone": phone[:16], "error": exc.message},
            )
        return _logged_in(await service.issue_token(db, user, "session", settings.session_hours), target, settings)

    @post("/logout")
    async def logout(self, request: Request, db: Db) -> Redirect:
        user: CurrentUser | None = request.scope.get("user")
        if user:
            await service.revoke_token(db, user.token)
            forget_token(user.token)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def _logged_in(issued: tuple[str, object], target: str, settings) -> Response:  # type: ignore[no-untyped-def]
    """A redirect to ``target`` carrying the new page session's cookie."""
    token = issued[0]
    response = Redirect(target if target != "/login" else "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        path="/",
    )
    return response


class SetupLinkPages(Controller):
    """/setup/{token}: the one-time link printed by ``caoyuan setup`` makes the install's first admin."""

    path = "/setup"
    include_in_schema = False

    @get("/{token:str}")
    async def form(self, token: SetupToken, db: Db) -> Template:
        try:
            await setup_link.usable(db, token)
        except AppError as exc:
            return Template("setup_link.html", status_code=exc.status, context={"gone": exc.message})
        return Template("setup_link.html", context={"token": token})

    @post("/{token:str}")
    async def create_admin(
        self, token: SetupToken, db: Db, settings: AppSettings, data: URLEncodedBody[dict[str, str]]
    ) -> Response:
        try:
            admin = await setup_link.use(
                db,
                token,
                phone=data.get("phone", "")[:20],
                display_name=data.get("display_name", "")[:60],
                password=data.get("password", "")[:200],
                confirm=data.get("confirm", "")[:200],
            )
        except setup_link.LinkGone as exc:
            return Template("setup_link.html", status_code=exc.status, context={"gone": exc.message})
        except AppError as exc:
            return await refused_form(db, exc, "setup_link.html", data, lambda: _link_context(token))
        # the first admin goes on to found the cooperative (the home page sends an admin there)
        return _logged_in(await service.issue_token(db, admin, "session", settings.session_hours), "/", settings)


async def _link_context(token: str) -> dict:
    return {"token": token}
