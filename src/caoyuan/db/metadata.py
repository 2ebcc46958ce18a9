"""The one metadata every table lives on, with a naming convention Alembic can diff on both databases."""

from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


def load_all_models(optional: bool = True) -> None:
    """Import the kernel's and every installed domain's tables onto the metadata, and with ``optional``
    the optional parts' too (the Alipay sandbox: a process that does not run it leaves it out)."""
    import caoyuan.audit  # noqa: F401
    import caoyuan.auth.models  # noqa: F401
    import caoyuan.feed.outbox  # noqa: F401
    from caoyuan.db.migrate import optional_parts
    from caoyuan.domains import installed_domains

    for domain in (*installed_domains(), *(optional_parts() if optional else ())):
        domain.import_models()
