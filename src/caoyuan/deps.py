"""Names handlers use to ask for what the app factory provides."""

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import Database
from caoyuan.settings import Settings

Db = NamedDependency[AsyncSession]  # the request's session (one transaction per request)
AppSettings = NamedDependency[Settings]
AppDatabase = NamedDependency[Database]  # the engine, for work that manages its own connections
