"""One writer process per database: an exclusive `flock` on `<db>.lock`, holding the owner's pid.

`dealwatch run` from cron and a running `dealwatch serve` must never write the same database at
once. Threads inside one process share the process's lock (SQLite's WAL and busy timeout order
their writes); other processes are refused with a LockedError naming the holder, or wait for it.
The kernel drops the lock when its holder exits, however it exits, so a crash leaves no stale
lock; the file itself stays, which is harmless.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from types import TracebackType

from pipeline.errors import DatabaseError, LockedError

LOGGER = logging.getLogger(__name__)


def lock_path(db_path: Path) -> Path:
    """Return the lock file that guards the database at `db_path`."""
    return db_path.with_name(db_path.name + ".lock")


class DatabaseLock:
    """Exclusive lock on a database for this process; a context manager."""

    def __init__(self, db_path: Path, *, wait: bool = False) -> None:
        self.db_path = Path(db_path)
        self.path = lock_path(self.db_path)
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()

    @property
    def held(self) -> bool:
        """Return whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, waiting for its holder when `wait` is set; raise LockedError otherwise."""
        if self._fd is not None or str(self.db_path) == ":memory:":
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only folder or file system: nothing can be written there
            raise DatabaseError(f"{self.db_path}: cannot create the lock file {self.path.name}: "
                                f"{exc.strerror or exc}") from None
        try:
            self._take(fd)
        except BaseException:
            os.close(fd)
            raise
        # The pid goes in only once the lock is ours, so a refused process reads the real holder.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (a no-op when not held)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _take(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _holder(fd)
        if not self.wait:
            raise LockedError(f"{self.db_path} is in use by another dealwatch process ({holder}); "
                              "try again when it ends, or pass --wait")
        LOGGER.info("waiting for %s to release %s", holder, self.db_path)
        fcntl.flock(fd, fcntl.LOCK_EX)


def _holder(fd: int) -> str:
    """Return 'pid N' for the process named in the lock file, or a vaguer phrase when it is not written yet."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "pid unknown"
