"""Machinery pages (zh-CN, phone-first)."""

from __future__ import annotations

from litestar import Controller


class MachineryPages(Controller):
    path = "/machinery"
    include_in_schema = False
