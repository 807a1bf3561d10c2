"""A config that reads the seed feed into a temporary database, with one alert, and a `dealwatch run` of it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main

SEED_FEED = Path(__file__).resolve().parents[1] / "seeds" / "feed.xml"


def seed_config(tmp_path: Path, alert: str) -> Path:
    """Write alerts.toml: the seed feed as the only source, and the `[[alerts]]` table given."""
    path = tmp_path / "alerts.toml"
    path.write_text(f"""
[database]
path = "deals.db"

[[sources]]
name = "seed-feed"
kind = "feed"
url = "{SEED_FEED.as_posix()}"
full_text = "never"

[[alerts]]
{alert.strip()}
""", encoding="utf-8")
    return path


def run(path: Path) -> str:
    """Run one ingest cycle with the config and return what it printed; it must succeed."""
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 0, result.output
    return result.output
