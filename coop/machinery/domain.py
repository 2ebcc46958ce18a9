"""Machinery bookings as the kernel sees it."""

from pathlib import Path

from caoyuan.domains import Domain

domain = Domain(
    name="machinery",
    title="农机预约",
    models=["coop.machinery.models"],
    table_prefixes=("machinery_",),
    migrations=Path(__file__).parent / "migrations",
    template_dir=Path(__file__).parent / "templates",
    demo_order=15,
)
