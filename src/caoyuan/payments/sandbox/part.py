"""The pretend Alipay as an optional part of the schema: its tables, its own migration branch, installed
only where the sandbox cashier runs (``CAOYUAN_PAYMENTS=sandbox``: the demo, development and tests).

It has the shape of a domain but no entry point: the kernel ships it, and settings (not installation)
decide whether a database carries it, so a production database (``alipay`` or ``off``) has none of its
tables. See caoyuan.db.migrate for how an optional part's branch is skipped and checked.
"""

from __future__ import annotations

from pathlib import Path

from caoyuan.domains import Domain
from caoyuan.settings import Settings

SANDBOX = Domain(
    name="sandbox",
    title="支付宝沙箱（演示用）",
    models=("caoyuan.payments.sandbox.models",),
    table_prefixes=("pay_sandbox_",),
    migrations=Path(__file__).parent / "migrations",
)


def wanted(settings: Settings) -> bool:
    return settings.payments == "sandbox"
