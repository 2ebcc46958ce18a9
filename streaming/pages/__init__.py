"""草原村播 pages: the buyer's live room (``room``) and the host's console (``console``)."""

from streaming.pages.console import HostConsole
from streaming.pages.room import LivePages

__all__ = ["HostConsole", "LivePages"]
