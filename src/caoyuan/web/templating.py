"""Jinja2 environment shared by every domain's pages: filters for money, area, time and masking."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from caoyuan.area import format_mu
from caoyuan.clock import BEIJING
from caoyuan.identity import mask_id_number, mask_name, mask_phone
from caoyuan.money import format_bp, format_fen

LOCAL_TZ = BEIJING
KERNEL_TEMPLATES = Path(__file__).parent / "templates"


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(LOCAL_TZ).strftime(fmt) if value else ""


def template_config(directories: list[Path]) -> TemplateConfig:
    def configure(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.filters.update(
            fen=format_fen,
            mu=format_mu,
            bp=format_bp,
            localtime=local_time,
            mask_phone=mask_phone,
            mask_id=mask_id_number,
            mask_name=mask_name,
        )
        env.globals["site_name"] = "草原"

    return TemplateConfig(
        directory=[KERNEL_TEMPLATES, *directories], engine=JinjaTemplateEngine, engine_callback=configure
    )
