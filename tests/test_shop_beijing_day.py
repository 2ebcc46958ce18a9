"""Ship-by dates and default dates follow the Beijing calendar day, even while UTC is still on yesterday."""

from datetime import UTC, date, datetime, time

from caoyuan import clock
from storefront import rules
from streaming.rules import local_hour
from tests.factories.live import build

# 18:00 UTC on 1 March is 02:00 on 2 March in Beijing.
NIGHT = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def test_ship_by_counts_from_the_beijing_day() -> None:
    assert rules.ship_by(NIGHT, time(22, 0)) == date(2026, 3, 3)
    assert local_hour(NIGHT) == "03-02 02:00"


async def test_desk_defaults_to_tomorrow_in_beijing(client, db, make_user, login_page) -> None:
    await make_user("admin", phone="13600001212")
    await login_page(client, "13600001212")
    with clock.frozen_at(NIGHT):
        desk = await client.get("/shop/admin/")
    assert desk.status_code == 200
    assert 'value="2026-03-03"' in desk.text  # tomorrow after Beijing's 2 March, not UTC's 1 March


async def test_console_default_start_is_beijing_wall_time(client, db, make_user, login_page) -> None:
    sc = await build(db, make_user, go_live=False)
    await make_user("admin", phone="13600001213")
    await login_page(client, "13600001213")
    with clock.frozen_at(NIGHT):
        console = await client.get("/live/console/")
    assert console.status_code == 200 and sc.room_id
    assert "2026-03-02T02:00" in console.text
