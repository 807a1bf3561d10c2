"""One writer per database: a second process is refused (naming the holder) or waits with --wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import LockedError
from pipeline.lock import DatabaseLock, lock_path

HOLD = """
import sys
from pathlib import Path
from pipeline.lock import DatabaseLock
with DatabaseLock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Return another process holding the lock on tmp_path/t.db until the test ends."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "t.db")], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    yield process
    process.communicate("", timeout=10)  # ends it (stdin closes) and closes its pipes


def test_a_second_lock_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        assert lock_path(db).read_text().strip() == str(os.getpid())
        with pytest.raises(LockedError, match=rf"t\.db is in use by another dealwatch process \(pid {os.getpid()}\)"):
            DatabaseLock(db).acquire()
    with DatabaseLock(db) as again:
        assert again.held


def test_wait_blocks_until_the_holder_releases(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    first = DatabaseLock(db)
    first.acquire()
    waiter = DatabaseLock(db, wait=True)
    thread = threading.Thread(target=waiter.acquire)
    thread.start()
    thread.join(timeout=0.3)
    assert thread.is_alive() and not waiter.held
    first.release()
    thread.join(timeout=5)
    assert waiter.held
    waiter.release()


def test_another_process_is_refused_and_a_killed_holder_leaves_no_stale_lock(
        tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(LockedError, match=rf"pid {holder.pid}\)"):
        DatabaseLock(tmp_path / "t.db").acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    with DatabaseLock(tmp_path / "t.db") as lock:
        assert lock.held


@pytest.mark.parametrize("command", [["run"], ["import", "corpus.jsonl"]])
def test_a_writing_command_exits_1_naming_the_holder(tmp_path: Path, holder: subprocess.Popen[str],
                                                     monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus.jsonl").write_text('{"id": "1", "title": "t", "text": "x"}\n')
    (tmp_path / "c.toml").write_text('[[sources]]\nname = "s"\nurl = "feed.xml"\n')
    result = CliRunner().invoke(main, [*command, "--config", "c.toml", "--db", str(tmp_path / "t.db")])
    assert result.exit_code == 1
    assert f"in use by another dealwatch process (pid {holder.pid})" in result.output
    assert not (tmp_path / "t.db").exists()  # refused before touching the database
