"""The command line as a user meets it: help everywhere, JSON outputs, exit codes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
SEED_PAGE = REPO / "seeds" / "morocco-openai-mistral.html"
SEED_TEXT = REPO / "seeds" / "morocco-openai-mistral.txt"


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert len(main.commands[command].help or "") > 20


def test_extract_prints_the_page_as_json_from_plain_and_gzip_files(tmp_path: Path) -> None:
    packed = tmp_path / "seed.html.gz"
    packed.write_bytes(gzip.compress(SEED_PAGE.read_bytes()))
    for location in (SEED_PAGE, packed):
        result = CliRunner().invoke(main, ["extract", str(location)])
        assert result.exit_code == 0, result.output
        page = json.loads(result.output)
        assert page["title"] == "Morocco, OpenAI discuss partnership to boost national AI strategy"
        assert page["canonical_url"].endswith("/2025/09/morocco-openai-discuss-partnership")
        assert page["published"] == "2025-09-26T09:15:00Z" and page["lang"] == "en"
        assert "memorandum of understanding" in page["text"] and "cookie" not in page["text"].lower()


def test_extract_of_a_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "nope.html")])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "file not found" in result.output


def test_classify_reads_text_from_stdin() -> None:
    text = SEED_TEXT.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["classify", "--published", "2025-09-26"], input=text)
    assert result.exit_code == 0, result.output
    deals = {(d["country"], d["partner"], d["stage"]) for d in json.loads(result.output)["deals"]}
    assert deals == {("MA", "OpenAI", "talks"), ("MA", "Mistral AI", "mou")}


def test_classify_html_file() -> None:
    result = CliRunner().invoke(main, ["classify", str(SEED_PAGE)])
    assert result.exit_code == 0, result.output
    assert {d["partner"] for d in json.loads(result.output)["deals"]} == {"OpenAI", "Mistral AI"}


def test_classify_jsonl_writes_one_prediction_per_line_and_names_bad_lines(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "a", "title": "Kenya and Nvidia sign AI memorandum",
                         "text": "Kenya's Ministry of Information signed a memorandum of understanding with Nvidia "
                                 "on Tuesday to build an AI computing centre.", "published": "2025-10-08"}),
             "{broken",
             json.dumps({"id": "b", "title": "Rain tomorrow", "text": "Showers are expected in the valley."})]
    result = CliRunner().invoke(main, ["classify", "--jsonl", "-"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    predictions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["id"], p["relevant"]) for p in predictions] == [("a", True), ("b", False)]
    assert predictions[0]["deals"][0]["event_date"] == "2025-10-07"
    assert "line 2" in result.stderr


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "dealwatch" in result.output
