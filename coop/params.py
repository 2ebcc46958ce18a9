"""Query values of the cooperative's pages, bounded where they enter (ids come from caoyuan.bounds)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

# the "done" notice a redirect carries back to the page: a short sentence of our own
DoneParam = Annotated[str, QueryParameter(max_length=200)]
# a search box: a name or a group, never longer than the name column
SearchParam = Annotated[str, QueryParameter(max_length=50)]
PageParam = Annotated[int, QueryParameter(ge=1, le=10_000)]
