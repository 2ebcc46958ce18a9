"""Kernel pages: the home page that sends each role to its place."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan.auth.current import forget_user, requires
from caoyuan.auth.service import change_password
from caoyuan.deps import Db
from caoyuan.domains import installed_domains
from caoyuan.errors import AppError
from caoyuan.web.nav import nav_links


def home_for(role: str) -> str | None:
    for domain in installed_domains():
        if role in domain.home_for_role:
            return domain.home_for_role[role]
    return "/account/"


class HomePage(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template | Redirect:
        user = request.scope.get("user")
        if user and (target := home_for(user.role)):
            return Redirect(target, status_code=303)
        tiles = nav_links(user, getattr(request.state, "nav_features", None))
        return Template("home.html", context={"user": user, "tiles": tiles})


class AccountPages(Controller):
    """Every logged-in user's own account: who they are, and changing the password."""

    path = "/account"
    include_in_schema = False

    @get("/", guards=[requires()])
    async def account(self, request: Request, done: FromQuery[bool] = False) -> Template:
        return Template("account.html", context={"error": None, "done": done})

    @post("/password", guards=[requires()])
    async def change_password(
        self,
        request: Request,
        db: Db,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        try:
            await change_password(
                db,
                request.user.id,
                data.get("current", ""),
                data.get("new", ""),
                data.get("confirm", ""),
                keep_token=request.user.token,
            )
            forget_user(request.user.id)  # this login too: its cached "must change the password" is over
        except AppError as exc:
            return Template("account.html", status_code=exc.status, context={"error": exc.message, "done": False})
        return Redirect("/account/?done=true", status_code=303)
