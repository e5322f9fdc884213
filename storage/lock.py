"""One process at a time per data dir: the server for its lifetime, or fsck while it checks.

Two servers on one data dir would each sweep the other's fresh files as orphans at startup, and
an fsck beside a running server would see its uploads in flight as leftovers. An exclusive
``flock`` on ``DIR/lock`` rules both out; the kernel drops it when the process dies, even by
SIGKILL, so a crashed server never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_FILE = "lock"


class DataDirLocked(Exception):
    """Another process holds the data dir."""

    def __init__(self, data_dir: Path, holder: str) -> None:
        who = f"process {holder}" if holder else "another process"
        super().__init__(f"{data_dir} is in use by {who} (an s3mpu server or fsck)")
        self.data_dir = data_dir


class DataDirLock:
    """An exclusive lock on a data dir, held until ``release`` (or the process ends)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        """Take the lock (creating ``data_dir`` if need be), or raise DataDirLocked at once if
        another process holds it."""
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise DataDirLocked(data_dir, holder) from None
        except BaseException:
            os.close(fd)
            raise
        # The holder's pid, for the message a second process prints; informative only.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
