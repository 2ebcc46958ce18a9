"""Small response helpers shared by every domain's pages."""

from urllib.parse import urlencode

from litestar.response import Redirect


def see_other(url: str, **params: str) -> Redirect:
    """A 303 back to a page, with a notice or error message in its query string."""
    if not params:
        return Redirect(url, status_code=303)
    return Redirect(url + ("&" if "?" in url else "?") + urlencode(params), status_code=303)
