"""Product images, served from the media store (local disk or an S3 bucket; names are generated, never uploaded)."""

from __future__ import annotations

import re

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath

from caoyuan.deps import AppSettings
from caoyuan.errors import NotFound
from caoyuan.web.csrf import EXCLUDE_CSRF
from storefront.media_store import media_store

_SAFE = re.compile(r"^p\d+-[0-9a-f]{12}\.jpg$")
# A name is never reused for other bytes, so browsers and proxies may keep an image for good.
_FOREVER = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)


@get(
    "/media/{filename:str}",
    include_in_schema=False,
    cache=3600,
    cache_control=_FOREVER,
    opt={EXCLUDE_CSRF: True},  # a cached response carries no token: see caoyuan.web.csrf
)
async def media(filename: FromPath[str], settings: AppSettings) -> Response[bytes]:
    if not _SAFE.match(filename):  # checked before any disk or bucket is asked
        raise NotFound("图片不存在")
    data = await media_store(settings).get(filename)
    if data is None:
        raise NotFound("图片不存在")
    return Response(data, media_type="image/jpeg")
