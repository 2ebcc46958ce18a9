"""Product images, served from CAOYUAN_MEDIA_DIR (names are generated, never taken from uploads)."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import get
from litestar.params import FromPath
from litestar.response import File

from caoyuan.deps import AppSettings
from caoyuan.errors import NotFound

_SAFE = re.compile(r"^p\d+-[0-9a-f]{12}\.jpg$")


@get("/media/{filename:str}", include_in_schema=False, cache=3600)
async def media(filename: FromPath[str], settings: AppSettings) -> File:
    path = Path(settings.media_dir) / filename
    if not _SAFE.match(filename) or not path.is_file():
        raise NotFound("图片不存在")
    return File(path, media_type="image/jpeg", content_disposition_type="inline")
