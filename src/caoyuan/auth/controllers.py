"""Thin HTTP: bearer tokens for the API, cookie sessions for pages."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan.auth import service
from caoyuan.auth.current import SESSION_COOKIE, CurrentUser, forget_token, requires
from caoyuan.auth.schemas import Me, TokenRequest, TokenResponse
from caoyuan.deps import AppSettings, Db
from caoyuan.errors import AppError


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
        token, _ = await service.issue_token(db, user, "session", settings.session_hours)
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

    @post("/logout")
    async def logout(self, request: Request, db: Db) -> Redirect:
        user: CurrentUser | None = request.scope.get("user")
        if user:
            await service.revoke_token(db, user.token)
            forget_token(user.token)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
