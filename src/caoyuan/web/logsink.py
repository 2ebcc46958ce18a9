"""Where the event loop writes a turn's access lines itself: only where that write can never make it wait.

Handing each turn's lines to the log writer thread cost the server more than writing them: the thread's
wake-up and its turn with the GIL came once a turn of the loop, ~8 µs of a trivial request's ~125 µs of CPU
(``docs/performance.md``, session 12). The loop writes them itself when the log goes

* to a regular file or ``/dev/null``: a write is a copy into the page cache;
* to a pipe (a container's stderr, a log shipper): through a description of that pipe of its own, opened
  non-blocking, so fd 2 stays blocking for everyone else. What a full pipe does not take now goes to the
  writer thread, which waits for the reader; until the thread has written it, later lines follow it there,
  so lines stay in order.

Anything else (a terminal, a socket, a stream without a file) keeps the writer thread.
"""

from __future__ import annotations

import os
import stat
from typing import IO, Any


class Sink:
    """A file descriptor for ``stream``'s destination that the event loop may write to."""

    def __init__(self, stream: IO[Any], fd: int, owned: bool) -> None:
        self.stream = stream
        self.fd = fd
        self.owned = owned  # our own description of a pipe: closed with the sink
        self.closed = False

    @classmethod
    def for_stream(cls, stream: IO[Any]) -> Sink | None:
        try:
            fd = stream.fileno()
            found = os.fstat(fd)
        except (AttributeError, OSError, ValueError):  # io.StringIO and the like: no file
            return None
        mode = found.st_mode
        if stat.S_ISREG(mode) or (stat.S_ISCHR(mode) and _is_dev_null(found)):
            return cls(stream, fd, owned=False)
        if stat.S_ISFIFO(mode):
            try:  # opening the pipe again gives a description of its own: O_NONBLOCK here leaves fd 2 alone
                own = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                return None
            return cls(stream, own, owned=True)
        return None

    def serves(self, stream: IO[Any]) -> bool:
        """Still the handler's stream, both still open (a closed fd's number may now be someone else's)."""
        return not self.closed and stream is self.stream and not self.stream.closed

    def write(self, data: bytes) -> bytes:
        """Write what the destination takes now; return the rest (empty when all of it went)."""
        try:
            written = os.write(self.fd, data)
        except OSError:  # a full pipe (BlockingIOError), a full disk: the writer thread tries and reports
            return data
        return data[written:]

    def close(self) -> None:
        self.closed = True
        if self.owned:
            self.owned = False
            os.close(self.fd)


def _is_dev_null(found: os.stat_result) -> bool:
    """A character device that is /dev/null (a container without one keeps the writer thread)."""
    try:
        return found.st_rdev == os.stat(os.devnull).st_rdev
    except OSError:
        return False
