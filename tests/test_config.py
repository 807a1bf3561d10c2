"""Config loading: the demo config resolves, and every bad config fails with one line naming file, source and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_settings, parse_interval
from pipeline.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_demo_config_resolves_paths_against_its_folder() -> None:
    settings = load_settings(REPO / "config" / "demo.toml")
    assert settings.db_path == REPO / "data" / "demo.db"
    feed = settings.source("seed-feed")
    assert feed.url == str(REPO / "seeds" / "feed.xml")
    assert feed.every_seconds == 1800
    assert settings.source("seed-page").options["link_selector"] == "a.article-link"
    assert settings.digest.timezone == "Africa/Casablanca"


def test_db_override_wins(tmp_path: Path) -> None:
    settings = load_settings(REPO / "config" / "demo.toml", tmp_path / "x.db")
    assert settings.db_path == tmp_path / "x.db"


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("30m", 1800), ("6h", 21600), ("1d", 86400), (" 2h ", 7200)])
def test_intervals_parse(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["30", "m", "0m", "-5m", "1w"])
def test_bad_intervals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[sources]]\nname = "a"\nkind = "rss2"\nurl = "x.xml"\n', "source 'a': key 'kind'"),
        ('[[sources]]\nname = "a"\nurl = "x.xml"\nevery = "30x"\n', "source 'a': key 'every'"),
        ('[[sources]]\nname = "a"\nurl = "x.xml"\nfull_txt = "auto"\n', "source 'a': key 'full_txt'"),
        ('[[sources]]\nname = "a"\nkind = "feed"\n', "source 'a': key 'url'"),
        ('[[sources]]\nname = "a"\nkind = "html"\nurl = "x.html"\n', "source 'a': key 'link_selector'"),
        ('[[sources]]\nname = "a"\nkind = "gdelt"\n', "source 'a': key 'query'"),
        ('[[sources]]\nname = "a"\nurl = "x"\n[[sources]]\nname = "a"\nurl = "y"\n', "source 'a': key 'name'"),
        ('[[sources]]\nurl = "x.xml"\n', "sources[0]: key 'name'"),
        ('[http]\ntimeout = "soon"\n', "[http]: key 'timeout'"),
        ('[digest]\ntimezone = "Mars/Olympus"\n', "[digest]: key 'timezone'"),
        ('[digest]\nat = "7am"\n', "[digest]: key 'at'"),
        ("[[sources]\nname = 1", "invalid TOML"),
        ('[[sources]]\nname = "g"\nkind = "gdelt"\nquery = "OpenAI"\ntimespan = "forever"\n', "source 'g': key 'timespan'"),
        ('[dedupe]\nwindow_dayz = 3\n', "[dedupe]: key 'window_dayz'"),
        ('[[sources]]\nname = "a"\nurl = "x.xml"\nenabled = "no"\n', "source 'a': key 'enabled'"),
        ('[dedupe]\nwindow_days = -1\n', "[dedupe]: dedupe setting window_days"),
    ],
)
def test_bad_config_names_file_source_and_key(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(str(path)) and expected in message
    assert "\n" not in message


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[databse]\npath = "x.db"\n', "top level: key 'databse'"),
        ('[digst]\nat = "07:00"\n', "top level: key 'digst'"),
        ('[database]\npth = "x.db"\n', "[database]: key 'pth'"),
        ('[digest]\nformts = ["md"]\n', "[digest]: key 'formts'"),
        ('[http]\ntimout = 5\n', "[http]: key 'timout'"),
        ('[http]\ntimeout = 0\n', "[http]: key 'timeout'"),
        ('[http]\ntimeout = nan\n', "[http]: key 'timeout'"),
        ('[http]\ntimeout = inf\n', "[http]: key 'timeout'"),
        ('[http]\nper_host_delay = -1.0\n', "[http]: key 'per_host_delay'"),
        ('[http]\nallow_private = "yes"\n', "[http]: key 'allow_private'"),
        ('[http]\nmax_bytes = 0\n', "[http]: key 'max_bytes'"),
        ('[http]\nconcurrency = 0\n', "[http]: key 'concurrency'"),
        ('[http]\nconcurrency = 2.5\n', "[http]: key 'concurrency'"),
        ('[http]\nconcurency = 8\n', "[http]: key 'concurency'"),
        ('[dedupe]\nlead_chars = 1.5\n', "[dedupe]: key 'lead_chars'"),
        ('[dedupe]\nwindow_days = nan\n', "[dedupe]: key 'window_days'"),
        ('[dedupe]\nwindow_days = 1e300\n', "[dedupe]: key 'window_days'"),
        ('[dedupe]\nrare_df = "many"\n', "[dedupe]: key 'rare_df'"),
        ('[digest]\nformats = []\n', "[digest]: key 'formats'"),
        ('[digest]\nformats = [1]\n', "[digest]: key 'formats'"),
        ('[database]\npath = 5\n', "[database]: key 'path'"),
        ('[database]\nbusy_timeout = -1\n', "[database]: key 'busy_timeout'"),
        ('[classify]\nmin_confidence = 1.5\n', "[classify]: key 'min_confidence'"),
        ('[classify]\nmin_confidence = "high"\n', "[classify]: key 'min_confidence'"),
        ('[classify]\nmin_confidnce = 0.5\n', "[classify]: key 'min_confidnce'"),
        ('[dedupe]\nloose_cosine = 5\n', "[dedupe]: key 'loose_cosine'"),
        ('[dedupe]\nevent_score = inf\n', "[dedupe]: key 'event_score'"),
        ('[[sources]]\nname = "a"\nurl = "x.xml"\nevery = "99999999999d"\n', "source 'a': key 'every'"),
        ('[[sources]]\nname = "a"\nurl = "x.xml"\nevery = 30\n', "source 'a': key 'every'"),
        ('[[sources]]\nname = "(digest)"\nurl = "x.xml"\n', "source '(digest)': key 'name'"),
        ('[[sources]]\nname = "a"\nkind = "html"\nurl = "x"\nlink_selector = 3\n', "source 'a': key 'link_selector'"),
        ('[[sources]]\nname = "a"\nurl = 7\n', "source 'a': key 'url'"),
    ],
)
def test_every_table_checks_its_keys_types_and_ranges(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(str(path)) and expected in message, message
    assert "\n" not in message


def test_classify_and_http_switches_are_read_and_default(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text('[classify]\nmin_confidence = 0.7\n[http]\nallow_private = true\n'
                    '[database]\nbusy_timeout = 2\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.min_confidence == 0.7 and settings.http.allow_private is True and settings.busy_timeout == 2.0
    path.write_text("", encoding="utf-8")
    settings = load_settings(path)
    assert settings.min_confidence is None and settings.http.allow_private is False


def test_longest_interval_is_bounded() -> None:
    assert parse_interval("366d") == 366 * 86400
    with pytest.raises(ValueError):
        parse_interval("367d")


@pytest.mark.parametrize("table", ["[dedupe]\nlead_chars = 1.5\n", "[dedupe]\nwindow_days = nan\n",
                                   "[http]\ntimout = 5\n"])
def test_config_that_would_fail_every_source_is_exit_2_before_any_fetch(tmp_path: Path, table: str) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    feed = REPO / "seeds" / "feed.xml"
    path = tmp_path / "bad.toml"
    path.write_text(f'{table}[[sources]]\nname = "a"\nurl = "{feed}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(path), "--db", str(tmp_path / "t.db")])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and str(path) in result.output
    assert not (tmp_path / "t.db").exists()
