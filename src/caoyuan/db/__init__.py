"""Database kernel: one async engine per process, the shared metadata, and column types."""

from caoyuan.db import metadata as _metadata  # noqa: F401  (naming convention first)
from caoyuan.db.engine import Database, create_database
from caoyuan.db.types import UTCDateTime, utcnow

__all__ = ["Database", "UTCDateTime", "create_database", "utcnow"]
