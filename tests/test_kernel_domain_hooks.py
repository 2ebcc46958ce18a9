"""A Domain names its hooks by "module:name" and its folders by its domain.py; nothing is imported until used."""

import sys
from pathlib import Path

import pytest

from caoyuan.domains import Domain, called_later, loaded_later
from caoyuan.errors import AppError, BadInput, Conflict, KernelCode


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(body, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)


async def test_called_later_imports_its_module_only_when_called(tmp_path, monkeypatch) -> None:
    _module(tmp_path, monkeypatch, "hook_target_a", "async def seed(ctx):\n    ctx.append('seeded')\n")
    hook = called_later("hook_target_a:seed")
    assert "hook_target_a" not in sys.modules
    ctx: list[str] = []
    await hook(ctx)
    assert ctx == ["seeded"]
    assert "hook_target_a" in sys.modules
    assert hook.__name__ == "hook_target_a:seed"


def test_loaded_later_returns_the_object_without_calling_it(tmp_path, monkeypatch) -> None:
    _module(tmp_path, monkeypatch, "hook_target_b", "calls = []\ndef group():\n    calls.append(1)\n")
    load = loaded_later("hook_target_b:group")
    assert "hook_target_b" not in sys.modules
    group = load()
    assert group is sys.modules["hook_target_b"].group
    assert sys.modules["hook_target_b"].calls == []  # a click group handed over, not run


def test_domain_at_finds_migrations_and_templates_beside_domain_py(tmp_path) -> None:
    made = Domain.at(str(tmp_path / "domain.py"), name="x", title="X")
    assert made.migrations == tmp_path / "migrations"
    assert made.template_dir == tmp_path / "templates"
    assert (made.name, made.title) == ("x", "X")


def test_a_kind_of_refusal_names_its_status_and_code_in_its_header() -> None:
    class Gone(AppError, status=410, code=KernelCode.SETUP_LINK_GONE):
        pass

    class Plain(Conflict):
        pass

    assert (Gone("x").status, Gone("x").code) == (410, KernelCode.SETUP_LINK_GONE)
    assert (Plain("x").status, Plain("x").code) == (409, KernelCode.CONFLICT)  # inherited, not reset
    assert (BadInput("x").status, BadInput("x").code) == (422, KernelCode.INVALID)
    assert BadInput("x", code=KernelCode.TOO_LONG, status=413).status == 413  # per-raise override still wins
    assert AppError("x").status == 400
