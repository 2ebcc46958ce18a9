"""Database kernel: one async engine per process, the shared metadata, and column types."""

from caoyuan.db import metadata as _metadata  # noqa: F401  (naming convention first)
from caoyuan.db.after_commit import after_commit, commit, run_committed
from caoyuan.db.engine import Database, create_database
from caoyuan.db.types import UTCDateTime, utcnow

__all__ = ["Database", "UTCDateTime", "after_commit", "commit", "create_database", "run_committed", "utcnow"]
