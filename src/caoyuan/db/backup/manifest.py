"""The manifest a backup carries (rows per table, migration rows) and what both engines share."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from caoyuan.db.migrate import SchemaState

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = "caoyuan-backup/1"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"

Say = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message is for the accountant, in Chinese."""


@dataclass
class Manifest:
    dialect: str
    created_at: str
    revisions: list[str]
    tables: dict[str, int]
    format: str = MANIFEST_FORMAT

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
        except ValueError as exc:
            raise BackupError(f"备份清单 {path} 读不出来：{exc}") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise BackupError(f"备份清单 {path} 的格式不认识")
        return cls(**data)


@dataclass
class RestoreReport:
    tables: dict[str, int]
    schema: SchemaState
    manifest: Manifest | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def holding_data(tables: dict[str, int]) -> dict[str, int]:
    """The tables with rows. A freshly migrated database (only its migration rows) has nothing to lose."""
    return {name: count for name, count in tables.items() if count and name != "alembic_version"}


def not_empty(where: str, tables: dict[str, int]) -> str:
    return (
        f"目标数据库 {where} 不是空的（{len(tables)} 张表里共有 {sum(tables.values())} 行数据）。"
        "恢复会用备份替换其中的全部数据；确认无误请加 --force 再运行，或者恢复到一个新建的空数据库。"
    )
