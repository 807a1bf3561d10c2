"""Fuzzing the real entry points with hypothesis: mutated JSONL lines, feed bodies and configs never escape as exceptions.

Each test is kept to a few seconds (modest max_examples); the properties are the README's promises:
a bad line or item is skipped with a reason, a bad config is exit 2 with one line, nothing is a traceback.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.models import Source
from pipeline.parse import parse_source
from pipeline.run import run_once

REPO = Path(__file__).resolve().parents[1]
FEEDS = REPO / "tests" / "fixtures" / "feeds"
# DEALWATCH_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py searches longer.
FUZZ = settings(max_examples=int(os.environ.get("DEALWATCH_FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
RECORD = {"id": "k1", "url": "https://wire.example/1", "title": "Kenya and Nvidia sign AI memorandum",
          "text": "Kenya's Ministry of Information signed a memorandum of understanding with Nvidia on Tuesday.",
          "published": "2025-10-08", "lang": "en"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["\ud800", "2025-09-12", "Sun, 12 Sep 2025 10:00:00 +0000", "", "\x00", "\ufeff"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Return `data` with each (position, length to delete, bytes to insert) applied."""
    for position, length, insert in edits:
        at = position % (len(data) + 1)
        data = data[:at] + insert + data[at + length:]
    return data


byte_edits = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 8), st.binary(max_size=6)), max_size=4)


def assert_clean(result: Result, codes: set[int]) -> None:
    """Assert a CLI run ended with one of `codes`, by its own choice, and said why in one line when it failed."""
    assert result.exit_code in codes, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code:
        assert result.stderr.splitlines()[-1].startswith("dealwatch: "), result.stderr


# --- JSONL lines through `dealwatch import` ------------------------------------------------------

@FUZZ
@given(edits=byte_edits, field=st.sampled_from(sorted(RECORD)), value=json_values)
def test_mutated_jsonl_lines_never_stop_an_import(tmp_path: Path, edits: list[tuple[int, int, bytes]], field: str,
                                                  value: object) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    typed = {**RECORD, "id": "k2", "url": "https://wire.example/2", field: value}
    lines = [json.dumps(RECORD).encode(), mutate(json.dumps({**RECORD, "id": "k3", "url": "https://wire.example/3"})
                                                 .encode(), edits), json.dumps(typed).encode(),
             json.dumps({**RECORD, "id": "k4", "url": "https://wire.example/4", "title": "Last line"}).encode()]
    path = folder / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = CliRunner().invoke(main, ["import", str(path), "--db", str(folder / "t.db")])
    assert_clean(result, {0})
    assert re.match(r"imported \d+ lines: .*, \d+ bad lines", result.stdout.splitlines()[-1])
    with store.open_db(folder / "t.db") as db:  # the good lines around the mutated ones are all stored
        urls = {row[0] for row in db.execute("SELECT url FROM articles")}
    assert {"https://wire.example/1", "https://wire.example/4"} <= urls


# --- feed bodies through the real parser, and through a run -------------------------------------

FEED_FILES = sorted(p for p in FEEDS.iterdir() if p.suffix in (".xml", ".json") and "expected" not in p.name)


@FUZZ
@given(name=st.sampled_from([p.name for p in FEED_FILES]), edits=byte_edits,
       content_type=st.sampled_from(["", "application/rss+xml", "application/feed+json", "text/html; charset=latin-1"]))
def test_mutated_feed_bytes_parse_to_entries_or_one_line_error(name: str, edits: list[tuple[int, int, bytes]],
                                                               content_type: str) -> None:
    body = mutate((FEEDS / name).read_bytes(), edits)
    parsed = parse_source("feed", body, "https://news.example/feed", content_type, {})
    assert parsed.error is None or "\n" not in parsed.error
    for entry in parsed.entries:
        for text in (entry.url, entry.title, entry.summary, entry.content, entry.published or ""):
            text.encode("utf-8")  # storable: no lone surrogate


@FUZZ
@given(item_field=st.sampled_from(["id", "url", "title", "summary", "content_text", "content_html",
                                   "date_published", "language"]), value=json_values)
def test_one_mutated_json_feed_item_never_fails_the_source(tmp_path: Path, item_field: str, value: object) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    good = {"id": "2", "url": "https://news.example/2", "title": "Kenya and Nvidia sign AI memorandum",
            "content_text": RECORD["text"]}
    odd = {"id": "1", "url": "https://news.example/1", "title": "An item", item_field: value}
    feed = folder / "feed.json"
    feed.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [odd, good]}),
                    encoding="utf-8")
    source = Source(name="j", kind="feed", url=str(feed), full_text="never")
    db = store.open_db(folder / "t.db")
    outcome = run_once(Settings(path=None, db_path=folder / "t.db", sources=(source,)), db).outcomes[0]
    assert outcome.status == "ok", outcome.error
    assert db.execute("SELECT COUNT(*) FROM articles WHERE url = 'https://news.example/2'").fetchone() == (1,)


# --- configs through `dealwatch run` -------------------------------------------------------------

DEMO = (REPO / "config" / "demo.toml").read_text(encoding="utf-8").replace('"../seeds/', f'"{REPO}/seeds/')
toml_values = (st.integers(-10**12, 10**12).map(str) | st.sampled_from(["nan", "inf", "-inf", "0.0", "1e308", "1.5",
                                                                         "true", "false", "[]", "{}", '"(digest)"',
                                                                         '"99999999999d"', '"0s"', '"30x"'])
               | st.floats(allow_nan=False, allow_infinity=False).map(repr)
               | st.text(max_size=12).map(json.dumps) | st.lists(st.text(max_size=5), max_size=3).map(json.dumps))


@FUZZ
@given(line=st.integers(0, 10**6), value=toml_values, key_edit=st.one_of(st.none(), byte_edits))
def test_mutated_configs_are_exit_0_or_a_one_line_config_error(tmp_path: Path, line: int, value: str,
                                                                key_edit: list[tuple[int, int, bytes]] | None) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    lines = DEMO.splitlines()
    settable = [i for i, text in enumerate(lines) if re.match(r"\w+\s*=", text)]
    index = settable[line % len(settable)]
    key, _, _ = lines[index].partition("=")
    if key_edit:
        key = mutate(key.encode(), key_edit).decode("utf-8", errors="replace")
    lines[index] = f"{key}= {value}"
    config = folder / "c.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(config), "--db", str(folder / "t.db")])
    assert_clean(result, {0, 2})
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1
