"""The kernel asks caoyuan.clock for "now" and "today"; only the clock names Asia/Shanghai (issue 9, item 7)."""

from __future__ import annotations

import ast
from pathlib import Path

import caoyuan

KERNEL = Path(caoyuan.__file__).parent
CLOCK = KERNEL / "clock.py"
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}


def _modules() -> list[Path]:
    return [p for p in KERNEL.rglob("*.py") if p != CLOCK and "migrations" not in p.parts]


def test_no_module_but_the_clock_reads_the_wall_clock() -> None:
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if (name, node.func.attr) in FORBIDDEN_CALLS:
                    found.append(f"{path.relative_to(KERNEL)}:{node.lineno} {name}.{node.func.attr}()")
    assert found == []


def test_only_the_clock_names_the_beijing_zone() -> None:
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "Asia/Shanghai" in node.value
                and not (isinstance(node, ast.Constant) and len(node.value) > 40)
            ):  # docstrings may mention it
                found.append(f"{path.relative_to(KERNEL)}:{node.lineno}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "ZoneInfo":
                found.append(f"{path.relative_to(KERNEL)}:{node.lineno} ZoneInfo(...)")
    assert found == []
