"""Posting a page's form as the browser does (the CSRF cookie echoed in a header) and reading the message
shown at a field."""

from __future__ import annotations


def csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


def at_field(html: str, field: str) -> str:
    """The message shown under ``field`` (empty when there is none)."""
    marker = f'id="{field}-error" role="alert">'
    return html.split(marker, 1)[1].split("</span>", 1)[0] if marker in html else ""


async def post_form(client, url: str, form: dict):  # type: ignore[no-untyped-def]
    return await client.post(url, data=form, headers=csrf(client), follow_redirects=False)
