"""Member households: admission, status history with heirs, CSV/XLSX import (good in, bad listed), export."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from caoyuan.errors import BadInput, Conflict
from caoyuan.identity import example_id_number
from coop.models import Member, MemberStatusChange
from coop.rules.members import RowError, column_map, parse_row
from coop.services.contributions import ContributionIn, contribute
from coop.services.member_io import export_members, import_members, read_table
from coop.services.members import change_status, status_history
from coop.services.shares import holding
from tests.factories.coop import make_cooperative

GOOD_ID = example_id_number(7)
CSV = f"""社员号,姓名,身份证号,手机号,嘎查村,村民小组,家庭人口,困难户,入社日期
,包金山,{GOOD_ID},135 0476 0001,白音套海嘎查,一组,4,否,2020-04-15
,李桂兰,{example_id_number(8)},,白音套海嘎查,一组,3,是,2020/04/15
9,坏校验,{GOOD_ID[:-1]}{"0" if GOOD_ID[-1] != "0" else "1"},,白音套海嘎查,二组,2,否,
,没有村,{example_id_number(9)},,,二组,2,否,
,重复身份证,{GOOD_ID},,白音套海嘎查,二组,2,否,
,人口不对,{example_id_number(10)},,白音套海嘎查,二组,零,否,
"""


def test_row_parser_names_the_problem() -> None:
    columns = column_map(["姓名", "身份证号", "嘎查村", "手机号"])
    assert parse_row(["其木格", GOOD_ID.lower(), "白音套海嘎查", "+86 13500000001"], columns).phone == "13500000001"
    with pytest.raises(RowError, match="校验位"):
        parse_row(["其木格", GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1"), "村"], columns)
    with pytest.raises(RowError, match="手机号"):
        parse_row(["其木格", GOOD_ID, "村", "12345"], columns)
    with pytest.raises(RowError, match="表头缺少"):
        column_map(["姓名", "电话"])


async def test_csv_import_keeps_good_rows_and_lists_bad_ones(db) -> None:
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=0)
        report = await import_members(s, coop.id, read_table(CSV.encode("gbk"), "members.csv"))
    assert report.imported == [1, 2]
    assert [n for n, _ in report.errors] == [4, 5, 6, 7]
    reasons = dict(report.errors)
    assert "校验位" in reasons[4] and "嘎查" in reasons[5] and "已登记" in reasons[6] and "家庭人口" in reasons[7]
    assert GOOD_ID not in " ".join(reasons.values())  # ID numbers masked even in error messages
    async with db.session() as s:
        members = (await s.scalars(select(Member).order_by(Member.member_no))).all()
        assert [(m.name, m.hardship, m.phone) for m in members] == [
            ("包金山", False, "13504760001"),
            ("李桂兰", True, ""),
        ]
        assert await s.scalar(select(func.count()).select_from(MemberStatusChange)) == 2


async def test_xlsx_round_trip_masks_ids_unless_asked(db) -> None:
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=3)
        masked = await export_members(s, coop.id)
        whole = await export_members(s, coop.id, with_id_numbers=True)
    rows = list(load_workbook(io.BytesIO(masked)).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("社员号", "姓名", "身份证号")
    assert rows[2][2] == example_id_number(1)[:6] + "********" + example_id_number(1)[-4:]
    async with db.session() as s:
        other, _ = await make_cooperative(s, members=0, name="另一个合作社")
        report = await import_members(s, other.id, read_table(whole, "export.xlsx"))
    assert report.imported == [1, 2, 3] and report.errors == []


async def test_bad_file_is_refused_whole(db) -> None:
    with pytest.raises(BadInput):
        read_table(b"\x00\x01", "members.xlsx")
    with pytest.raises(BadInput):
        read_table(b"a,b", "members.pdf")
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=0)
    with pytest.raises(BadInput, match="表头缺少"):
        async with db.session() as s:
            await import_members(s, coop.id, [["名字", "电话"], ["x", "y"]])


async def test_death_passes_the_holding_to_the_heir_and_history_is_kept(db) -> None:
    async with db.session() as s:
        coop, (a, b) = await make_cooperative(s, members=2)
        await contribute(s, coop.id, ContributionIn(a.id, "cash", date(2021, 1, 5), amount_fen=1_000_00))  # type: ignore[arg-type]
        await change_status(s, a.id, "suspended", date(2022, 1, 1), "长期外出务工")  # type: ignore[arg-type]
        await change_status(s, a.id, "admitted", date(2022, 6, 1), "返乡，成员大会同意恢复")  # type: ignore[arg-type]
        await change_status(s, a.id, "deceased", date(2023, 3, 1), "死亡证明", heir_member_id=b.id)  # type: ignore[arg-type]
    async with db.session() as s:
        history = await status_history(s, a.id)  # type: ignore[arg-type]
        assert [h.status for h in history] == ["admitted", "suspended", "admitted", "deceased"]
        assert history[-1].heir_member_id == b.id
        assert await holding(s, a.id) == 0 and await holding(s, b.id) == 10  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        async with db.session() as s:
            await change_status(s, a.id, "admitted", date(2024, 1, 1), "不可能")  # type: ignore[arg-type]
    with pytest.raises(BadInput):
        async with db.session() as s:
            await change_status(s, b.id, "deceased", date(2024, 1, 1), "无继承人")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("moves", "refused", "message"),
    [
        (["withdrawn"], "suspended", "「退社」，不能改为「暂停」"),
        ([], "admitted", "「在册」，不能改为「在册」"),
        (["suspended"], "suspended", "「暂停」，不能改为「暂停」"),
    ],
)
async def test_status_moves_outside_the_table_are_refused_and_change_nothing(db, moves, refused, message) -> None:
    async with db.session() as s:
        _, (a, _b) = await make_cooperative(s, members=2)
        for n, status in enumerate(moves):
            await change_status(s, a.id, status, date(2022, 1, 1 + n), "成员大会决议")  # type: ignore[arg-type]
    with pytest.raises(Conflict, match=message):
        async with db.session() as s:
            await change_status(s, a.id, refused, date(2023, 1, 1), "再变")  # type: ignore[arg-type]
    async with db.session() as s:
        history = await status_history(s, a.id)  # type: ignore[arg-type]
        assert [h.status for h in history] == ["admitted", *moves]
        assert (await s.get(Member, a.id)).status == (moves or ["admitted"])[-1]  # type: ignore[union-attr]


async def test_an_unknown_status_is_bad_input_at_the_field(db) -> None:
    async with db.session() as s:
        _, (a,) = await make_cooperative(s, members=1)
    with pytest.raises(BadInput) as refused:
        async with db.session() as s:
            await change_status(s, a.id, "expelled", date(2023, 1, 1), "除名")  # type: ignore[arg-type]
    assert refused.value.field == "status"
