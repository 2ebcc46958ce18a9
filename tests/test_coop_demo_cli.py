"""The demo cooperative's year is computed, approved, posted and published; the CLI imports, exports and
distributes with progress bars."""

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from caoyuan.demo import DemoContext
from caoyuan.identity import example_id_number
from caoyuan.settings import load_settings
from coop.models import Allocation, Distribution, FixedAsset, Member
from coop.services.reports import balance_sheet
from tests.cli import caoyuan


async def test_demo_year_is_posted_published_and_explained(db, database_url) -> None:
    from coop.demo import seed

    async with db.session() as s:
        ctx = DemoContext(s, load_settings(database_url=database_url, environment="test", secret_key="t" * 40))
        await seed(ctx)
    shared = ctx.shared
    assert set(shared) >= {
        "coop.badaoling_id",
        "coop.wengniute_id",
        "coop.badaoling_machine_asset_ids",
        "coop.badaoling_member_ids",
        "coop.wengniute_member_ids",
    }
    assert [r[0] for r in ctx.logins] == ["member", "operator", "host", "host"]
    async with db.session() as s:  # made through the people service: the 账户 page lists them, password set
        from coop.services.people import people

        listed = [(p.name, p.role, p.must_change_password) for p in await people(s, shared["coop.wengniute_id"])]
        assert listed == [("包金山", "member", False), ("其其格", "host", False), ("高书记", "host", False)]
        listed = [(p.name, p.role) for p in await people(s, shared["coop.badaoling_id"])]
        assert listed == [("孙德胜", "operator")]
    async with db.session() as s:
        machines = (
            await s.scalars(select(FixedAsset).where(FixedAsset.id.in_(shared["coop.badaoling_machine_asset_ids"])))
        ).all()
        assert len(machines) == 5 and sum(m.cost_fen for m in machines) == 720_000_00
        assert {m.funding_source for m in machines} == {"special_fund"}
        dist = await s.scalar(select(Distribution).where(Distribution.cooperative_id == shared["coop.wengniute_id"]))
        assert dist.state == "posted" and dist.published_at is not None and dist.year == 2025
        bao = await s.scalar(select(Member).where(Member.name == "包金山"))
        alloc = await s.scalar(select(Allocation).where(Allocation.member_id == bao.id))
        assert alloc.volume_fen == 12_400_00 and 10_000_00 < alloc.total_fen < 12_000_00  # ≈ 11,000 元 (the report)
        total = await s.scalar(select(func.sum(Allocation.total_fen)).where(Allocation.distribution_id == dist.id))
        assert int(total) == dist.distributable_fen
        for coop_id in (shared["coop.badaoling_id"], shared["coop.wengniute_id"]):
            from datetime import date

            assert (await balance_sheet(s, coop_id, date(2025, 12, 31))).balanced


def test_cli_import_export_and_distribute(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    seeded = caoyuan("demo", "--no-serve", "--database", str(db), db=db)
    assert seeded.returncode == 0, seeded.stderr
    csv = tmp_path / "new.csv"
    csv.write_text(
        f"姓名,身份证号,嘎查村,村民小组\n新社员,{example_id_number(401)},八道岭村,三组\n"
        "坏行,15042619800101401X,八道岭村,三组\n",
        encoding="utf-8",
    )
    needs_coop = caoyuan("coop", "import-members", str(csv), db=db)
    assert needs_coop.returncode != 0 and "--cooperative" in needs_coop.stderr
    imported = caoyuan("coop", "import-members", str(csv), "--cooperative", "1", db=db)
    assert imported.returncode == 0, imported.stderr
    assert "已导入 1 户" in imported.stdout and "校验位" in imported.stdout
    out = tmp_path / "members.xlsx"
    exported = caoyuan("coop", "export-members", str(out), "--cooperative", "1", db=db)
    assert exported.returncode == 0, exported.stderr
    rows = list(load_workbook(io.BytesIO(out.read_bytes())).active.iter_rows(values_only=True))
    assert rows[-1][1] == "新社员" and "********" in rows[-1][2]
    draft = caoyuan("coop", "distribute", "--year", "2025", "--cooperative", "1", db=db)
    assert draft.returncode == 0, draft.stderr
    assert "草案" in draft.stdout and "六四开" in draft.stdout and "按股分红" in draft.stdout
    posted_year = caoyuan("coop", "distribute", "--year", "2025", "--cooperative", "2", db=db)
    assert posted_year.returncode != 0 and "冲销" in posted_year.stderr
    not_approved = caoyuan("coop", "distribute", "--year", "2025", "--cooperative", "1", "--post", db=db)
    assert not_approved.returncode != 0 and "成员大会" in not_approved.stderr
