"""Every failure a user can cause is one line on stderr with the right exit code, never a traceback.

Permission tests drop root's override capabilities with setpriv, and the read-only file system is a
read-only bind mount in a private mount namespace (unshare); each skips where the tool is unusable.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import store
from pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
FEED = REPO / "seeds" / "feed.xml"
KENYA = ("Kenya's Ministry of Information signed a memorandum of understanding with Nvidia on Tuesday to build "
         "an AI computing centre in Nairobi.")


def config_for(tmp_path: Path, extra: str = "", db: str = "t.db") -> Path:
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\npath = "{db}"\n{extra}[digest]\ntimezone = "UTC"\nout = "digests"\n'
                      f'[[sources]]\nname = "seed"\nurl = "{FEED}"\nfull_text = "never"\n', encoding="utf-8")
    return config


def corpus(tmp_path: Path, count: int, words: int = 20) -> Path:
    path = tmp_path / "in.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            text = f"{KENYA} Item {i}. " + " ".join(f"word{i}x{j}" for j in range(words))
            out.write(json.dumps({"id": f"k{i}", "url": f"https://wire.example/{i}", "title": f"Kenya and Nvidia {i}",
                                  "text": text, "published": "2025-10-08"}) + "\n")
    return path


def dealwatch(*args: str, prefix: tuple[str, ...] = (), **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO, **kwargs)  # type: ignore[call-overload, no-any-return]


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("importing")]
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    return lines[0]


def test_db_path_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "t.db").mkdir()
    for args in (["run"], ["import", str(corpus(tmp_path, 1))], ["sources"], ["digest", "--out", "-",
                                                                             "--format", "md"]):
        result = CliRunner().invoke(main, [*args, "--config", str(config_for(tmp_path))])
        assert result.exit_code == 1, (args, result.output)
        assert one_line(result.stderr) == f"dealwatch: {tmp_path / 't.db'}: is a directory, not a database file"


def test_db_path_that_is_not_sqlite(tmp_path: Path) -> None:
    (tmp_path / "t.db").write_bytes(b"this is a text file, not a database\n" * 200)
    for args in (["run"], ["sources"], ["digest"]):
        result = CliRunner().invoke(main, [*args, "--config", str(config_for(tmp_path))])
        assert result.exit_code == 1, (args, result.output)
        assert one_line(result.stderr) == f"dealwatch: {tmp_path / 't.db'}: not a SQLite database"


def test_db_with_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "t.db")
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('dealwatch', 'm099_future', "
               "'2030-01-01')")
    db.conn.commit()
    db.close()
    known = store.schema_version()
    for args in (["run"], ["sources"], ["digest"]):
        result = CliRunner().invoke(main, [*args, "--config", str(config_for(tmp_path))])
        assert result.exit_code == 1
        assert one_line(result.stderr) == (f"dealwatch: {tmp_path / 't.db'}: database schema {known + 1} is newer "
                                           f"than this dealwatch knows ({known}); upgrade dealwatch to use it")


def test_another_program_holding_the_write_lock_beyond_the_busy_timeout(tmp_path: Path) -> None:
    config = config_for(tmp_path, "busy_timeout = 0.3\n")
    store.open_db(tmp_path / "t.db").close()
    holder = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO stories (title) VALUES ('held')")
    try:
        result = CliRunner().invoke(main, ["import", str(corpus(tmp_path, 3)), "--config", str(config)])
        readers = CliRunner().invoke(main, ["sources", "--config", str(config)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "locked by another program for longer than the busy timeout (0.3 s)" in one_line(result.stderr)
    assert readers.exit_code == 0, readers.output  # readers are not blocked by a writer (WAL)


def test_disk_full_is_one_line_and_leaves_the_database_consistent(tmp_path: Path) -> None:
    if not shutil.which("unshare"):
        pytest.skip("no unshare: cannot mount a small file system")
    disk = tmp_path / "disk"
    disk.mkdir()
    config = config_for(tmp_path, db="disk/t.db")
    big = corpus(tmp_path, 600, words=150)
    check = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('pragma integrity_check').fetchone()[0])"
    script = (f"mount -t tmpfs -o size=640k tmpfs {disk} || exit 99; "
              f"{sys.executable} -m pipeline import {big} --config {config}; echo rc=$?; "
              f"{sys.executable} -c \"{check}\" {disk}/t.db")
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=REPO)
    if result.returncode == 99:
        pytest.skip("cannot mount a small file system here")
    assert result.stdout.splitlines()[-2:] == ["rc=1", "ok"], result.stdout + result.stderr
    assert one_line(result.stderr).startswith(f"dealwatch: {disk / 't.db'}: disk full")


def _setpriv() -> tuple[str, ...]:
    if os.geteuid() != 0:
        return ()
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot make a file unwritable")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner")


def test_unwritable_database_fails_writers_in_one_line_and_serves_readers(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    config = config_for(folder)
    assert CliRunner().invoke(main, ["import", str(corpus(tmp_path, 2)), "--config", str(config)]).exit_code == 0
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    try:
        prefix = _setpriv()
        written = dealwatch("run", "--config", str(config), prefix=prefix)
        assert written.returncode == 1
        assert one_line(written.stderr).startswith(f"dealwatch: {folder / 't.db'}: cannot create the lock file")
        listed = dealwatch("sources", "--config", str(config), prefix=prefix)
        assert listed.returncode == 0, listed.stderr
        assert "import:in.jsonl" in listed.stdout or "seed" in listed.stdout
        digest = dealwatch("digest", "--config", str(config), "--date", "2025-10-08", "--by", "published",
                           "--format", "json", "--out", "-", prefix=prefix)
        assert digest.returncode == 0, digest.stderr
        assert json.loads(digest.stdout)["articles"] == 2
    finally:
        folder.chmod(0o755)


def test_database_on_a_read_only_file_system(tmp_path: Path) -> None:
    folder = tmp_path / "mnt"
    folder.mkdir()
    config = config_for(folder)
    assert CliRunner().invoke(main, ["import", str(corpus(tmp_path, 2)), "--config", str(config)]).exit_code == 0
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {folder} {folder} && "
                            f"mount -o remount,bind,ro {folder}"], capture_output=True)
    if not shutil.which("unshare") or probe.returncode != 0:
        pytest.skip("cannot make a read-only bind mount here")
    script = (f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
              f"{sys.executable} -m pipeline \"$@\"")
    prefix = ("unshare", "-m", "sh", "-c", script, "sh")

    def on_read_only(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120, cwd=REPO)

    written = on_read_only("run", "--config", str(config))
    assert written.returncode == 1
    assert one_line(written.stderr) == (f"dealwatch: {folder / 't.db'}: cannot create the lock file t.db.lock: "
                                        "Read-only file system")
    assert on_read_only("sources", "--config", str(config)).returncode == 0
    digest = on_read_only("digest", "--config", str(config), "--date", "2025-10-08", "--by", "published",
                          "--format", "md", "--out", "-")
    assert digest.returncode == 0, digest.stderr


def test_classify_jsonl_on_binary_input_and_all_bad_lines_exits_1() -> None:
    result = CliRunner().invoke(main, ["classify", "--jsonl", "-"], input=b"\x00\xff\xfe\x89PNG\r\n\x1a\n\xff\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "dealwatch: no line could be classified: all 3 lines are bad"
    assert "Traceback" not in result.output and result.stdout == ""


def test_classify_jsonl_with_some_bad_lines_exits_0() -> None:
    lines = [json.dumps({"id": "a", "title": "Kenya and Nvidia", "text": KENYA}), '{"id": "b", "title": 5}',
             '{"id": "c", "title": "x \\ud800"}']
    result = CliRunner().invoke(main, ["classify", "--jsonl", "-"], input="\n".join(lines))
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a"]
    assert "line 2: key 'title'" in result.stderr and "line 3:" in result.stderr


def test_eval_on_binary_input_is_one_line(tmp_path: Path) -> None:
    blob = tmp_path / "blob.jsonl"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1)) * 4)
    result = CliRunner().invoke(main, ["eval", str(blob)])
    assert result.exit_code == 2
    assert one_line(result.stderr).startswith(f"dealwatch: {blob}:1: not UTF-8")


@pytest.mark.parametrize("command", [["classify", "-"], ["eval", "EVAL"], ["extract", "PAGE"]])
def test_config_and_db_are_accepted_by_every_command(tmp_path: Path, command: list[str]) -> None:
    labelled = tmp_path / "l.jsonl"
    labelled.write_text(json.dumps({"id": "a", "title": "Rain", "text": "Showers.", "labels": {"relevant": False,
                                                                                              "deals": []}}) + "\n")
    args = [{"EVAL": str(labelled), "PAGE": str(REPO / "seeds" / "morocco-openai-mistral.html")}.get(a, a)
            for a in command]
    result = CliRunner().invoke(main, [*args, "--config", str(config_for(tmp_path)), "--db", str(tmp_path / "x.db")],
                                input="Kenya and Nvidia\n" + KENYA)
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(main, [*args, "--config", str(tmp_path / "missing.toml")], input="x")
    assert bad.exit_code == 2 and "config file not found" in bad.stderr


def test_log_format_after_the_command(tmp_path: Path) -> None:
    result = dealwatch("run", "--config", str(config_for(tmp_path)), "--log-format", "json")
    assert result.returncode == 0, result.stderr
    logged = [json.loads(line) for line in result.stderr.splitlines()]
    assert any(entry.get("source") == "seed" and entry["level"] == "INFO" for entry in logged)
