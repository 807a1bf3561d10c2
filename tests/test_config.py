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
