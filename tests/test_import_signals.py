"""Stopping `dealwatch import`: SIGTERM commits what is done and exits 143; no process outlives it, even after SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEXT = ("Kenya's Ministry of Information signed a memorandum of understanding with Nvidia on Tuesday to build an AI "
        "computing centre. Officials said the centre would open next year. ")

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree in /proc")


def big_corpus(tmp_path: Path, lines: int = 20_000) -> Path:
    path = tmp_path / "big.jsonl"
    words = [f"w{n}" for n in range(5000)]
    pick = random.Random(10)
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):  # unrelated articles, so that story clustering stays cheap
            text = " ".join(pick.choices(words, k=60))
            out.write(json.dumps({"id": f"k{i}", "url": f"https://wire.example/{i}", "title": f"{text[:40]} {i}",
                                  "text": f"{TEXT if i % 10 == 0 else ''}{text}.",
                                  "published": f"2025-10-{1 + i % 28:02d}"}) + "\n")
    return path


def descendants(pid: int) -> set[int]:
    """Return the pids of every live process below `pid`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def start_import(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    db = tmp_path / "t.db"
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "import", str(big_corpus(tmp_path)), "--db", str(db),
                                "--config", str(tmp_path / "c.toml")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    return process, db


def wait_for_rows(process: subprocess.Popen[str], db: Path, rows: int, timeout: float = 90) -> set[int]:
    """Wait until the import committed `rows` articles; return the processes it runs by then."""
    deadline = time.monotonic() + timeout
    helpers: set[int] = set()
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        helpers |= descendants(process.pid)
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as check:
                    if check.execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= rows:
                        return helpers | descendants(process.pid)
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the import never committed its first chunk")


def wait_gone(pids: set[int], timeout: float = 15) -> set[int]:
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text("", encoding="utf-8")
    return path


def test_sigterm_during_import_commits_what_is_done_says_so_and_leaves_no_process(tmp_path: Path,
                                                                                 config: Path) -> None:
    process, db = start_import(tmp_path)
    helpers = wait_for_rows(process, db, 1000)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("dealwatch: interrupted by SIGTERM: lines up to ")
    summary = stdout.strip().splitlines()[-1]
    assert summary.startswith("imported ") and ", 0 bad lines" in summary
    new = int(summary.split(": ")[1].split(" new")[0])
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == new >= 1000
        assert check.execute("pragma integrity_check").fetchone() == ("ok",)
    if os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        assert helpers, "expected worker processes (forkserver, resource tracker, workers)"
    assert wait_gone(helpers) == set()


def test_sigkill_of_import_leaves_no_worker_behind(tmp_path: Path, config: Path) -> None:
    if not (os.cpu_count() and os.cpu_count() > 1):  # type: ignore[operator]
        pytest.skip("one CPU: import uses no worker processes")
    process, db = start_import(tmp_path)
    helpers = wait_for_rows(process, db, 1000)
    assert helpers
    process.kill()
    process.communicate(timeout=30)
    assert wait_gone(helpers) == set()
