"""First run (issue 10, item 2): on an empty database `caoyuan setup` prints a one-time link that expires;
it makes the first admin login, which lands on the set-up page and founds the cooperative."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from caoyuan import clock
from caoyuan.auth import setup_link
from caoyuan.auth.models import SetupLink, UserAccount
from coop.models import Cooperative
from tests.factories.coop import CODE, FORM


def _caoyuan(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CAOYUAN_DATABASE_URL": database_url,
        "CAOYUAN_PUBLIC_BASE_URL": "http://testserver.local",
    }
    return subprocess.run(
        [sys.executable, "-m", "caoyuan", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


ADMIN = {"phone": "13800000031", "display_name": "乌云", "password": "grass-2026-ok", "confirm": "grass-2026-ok"}


async def test_from_an_empty_database_to_a_founded_cooperative(client, db, database_url) -> None:
    printed = _caoyuan(database_url, "setup")
    assert printed.returncode == 0, printed.stderr
    link = next(w for w in printed.stdout.split() if w.startswith("http://testserver.local/setup/"))
    token = link.rsplit("/", 1)[1]
    async with db.session() as s:
        row = await s.scalar(select(SetupLink))
    assert row is not None and row.used_at is None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # stored hashed only
    assert timedelta(hours=23) < row.expires_at - clock.now() <= timedelta(hours=24)

    form = await client.get(f"/setup/{token}")
    assert form.status_code == 200 and "第一个管理员" in form.text
    # a slip (passwords differ) is shown at its field and does not use the link up
    slip = await client.post(f"/setup/{token}", data={**ADMIN, "confirm": "other-2026"}, headers=_csrf(client))
    assert slip.status_code == 422 and 'id="confirm-error"' in slip.text and ADMIN["phone"] in slip.text
    made = await client.post(f"/setup/{token}", data=ADMIN, headers=_csrf(client), follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/"
    landed = await client.get("/", follow_redirects=True)  # logged in by the link, sent to the set-up page
    assert landed.url.path == "/coop/setup/" and "建立合作社" in landed.text

    founded = await client.post("/coop/setup/", data=FORM, headers=_csrf(client), follow_redirects=False)
    assert founded.status_code == 303
    async with db.session() as s:
        admin = await s.scalar(select(UserAccount))
        coop = await s.scalar(select(Cooperative))
        row = await s.scalar(select(SetupLink))
    assert admin is not None and (admin.role, admin.display_name) == ("admin", "乌云")
    assert coop is not None and coop.credit_code == CODE
    assert row is not None and row.used_at is not None and row.used_by_user_id == admin.id

    # the link works once; with an admin in place no new link is printed
    client.cookies.clear()
    again = await client.get(f"/setup/{token}")
    assert again.status_code == 410 and "已用过或已过期" in again.text
    await client.get("/login")
    reuse = await client.post(f"/setup/{token}", data={**ADMIN, "phone": "13800000032"}, headers=_csrf(client))
    assert reuse.status_code == 410
    refused = _caoyuan(database_url, "setup")
    assert refused.returncode != 0 and "已经有管理员账号" in refused.stderr
    async with db.session() as s:
        assert len((await s.scalars(select(UserAccount))).all()) == 1


async def test_a_link_expires(client, db) -> None:
    async with db.session() as s:
        token, _ = await setup_link.issue(s, hours=24)
    with clock.frozen_at(clock.now() + timedelta(hours=24, minutes=1)):
        gone = await client.get(f"/setup/{token}")
        await client.get("/login")
        late = await client.post(f"/setup/{token}", data=ADMIN, headers=_csrf(client))
    assert gone.status_code == 410 and late.status_code == 410
    fresh = await client.get(f"/setup/{token}")  # still inside its 24 hours
    assert fresh.status_code == 200
    unknown = await client.get("/setup/" + "x" * 43)
    assert unknown.status_code == 410
    async with db.session() as s:
        assert (await s.scalars(select(UserAccount))).all() == []
