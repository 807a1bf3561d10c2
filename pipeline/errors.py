"""The dealwatch exception tree.

    DealwatchError            anything dealwatch raises on purpose
    ├── ConfigError           a bad config file: names the file, the source and the key (exit 2)
    ├── InputError            a bad input file or page given on the command line (exit 2)
    ├── LockedError           another process holds the database lock (exit 1)
    └── DatabaseError         the database cannot be opened, read or written: not SQLite, a directory,
                              read-only, newer schema, disk full, locked by another program (exit 1)

Interrupted (SIGTERM or SIGINT during `import`) is a BaseException, like KeyboardInterrupt, so that
no `except Exception` on the way catches it; the command stops, commits what is done and exits 128 + N.

Fetch and parse failures are not exceptions: they travel as data (FetchResult.error,
ParsedSource.error) so that one broken source never stops a run.
"""

from __future__ import annotations


class DealwatchError(Exception):
    """Base class for errors dealwatch raises on purpose."""


class ConfigError(DealwatchError):
    """The configuration is invalid; the message names the file, the source and the key."""


class InputError(DealwatchError):
    """An input file or page given by the user cannot be read."""


class LockedError(DealwatchError):
    """Another dealwatch process is writing the same database."""


class DatabaseError(DealwatchError):
    """The database cannot be opened, read or written; the message names the file and the reason."""


class Interrupted(BaseException):
    """A stop signal arrived; `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
