"""`dealwatch export`: every stored table as CSV, JSON Lines or JSON, filtered, and CSV round-trips."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main

ARTICLES = [
    {"id": "a1", "title": "Morocco signs AI memorandum with Mistral AI", "published": "2025-09-12",
     "url": "https://news.example/a1", "text": "Morocco's digital ministry signed a memorandum of understanding with "
     "Mistral AI on Friday, 12 September, on AI skills."},
    {"id": "a2", "title": "Kenya and Microsoft launch AI data centre", "published": "2025-10-02",
     "url": "https://news.example/a2", "text": "Kenya's government and Microsoft launched a $1 billion AI data "
     "centre in Olkaria on Thursday, the ministry said."},
]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    path = tmp_path / "store.db"
    result = CliRunner().invoke(main, ["import", "--db", str(path), str(archive)])
    assert result.exit_code == 0, result.output
    return path


def export(db_path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["export", *args, "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_deals_export_in_every_format_with_stable_columns(db_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(export(db_path, "deals"))))
    assert list(rows[0]) == ["id", "country", "level", "body", "partner", "stage", "first_seen", "last_seen", "known",
                             "amount_value", "amount_currency", "amount_usd", "amount_status", "purposes"]
    assert {(r["country"], r["partner"], r["stage"]) for r in rows} == {("MA", "Mistral AI", "mou"),
                                                                         ("KE", "Microsoft", "launched")}
    kenya = next(r for r in rows if r["country"] == "KE")
    assert (float(kenya["amount_value"]), kenya["amount_currency"], float(kenya["amount_usd"])) == (1e9, "USD", 1e9)
    assert kenya["purposes"] == "compute"
    assert next(r for r in rows if r["country"] == "MA")["amount_value"] == ""
    lines = [json.loads(line) for line in export(db_path, "deals", "--format", "jsonl").splitlines()]
    assert lines == json.loads(export(db_path, "deals", "--format", "json"))
    assert [line["partner"] for line in lines] == [r["partner"] for r in rows]


def test_since_and_country_filter_every_table(db_path: Path) -> None:
    kenya = [json.loads(line) for line in export(db_path, "mentions", "--format", "jsonl", "--country", "ke")
             .splitlines()]
    assert [(m["country"], m["partner"], m["url"]) for m in kenya] == [("KE", "Microsoft", "https://news.example/a2")]
    assert len(list(csv.DictReader(io.StringIO(export(db_path, "articles", "--country", "MA"))))) == 1
    assert list(csv.DictReader(io.StringIO(export(db_path, "stories", "--since", "2999-01-01")))) == []
    assert json.loads(export(db_path, "deals", "--format", "json", "--since", "2999-01-01")) == []


def test_csv_round_trips_through_sqlite_utils(db_path: Path, tmp_path: Path) -> None:
    for table, source in (("deals", "deals"), ("stories", "stories"), ("articles", "articles")):
        rows = list(csv.DictReader(io.StringIO(export(db_path, table))))
        copy = sqlite_utils.Database(tmp_path / f"copy-{table}.db")
        copy[table].insert_all(rows)
        columns = ", ".join(rows[0])
        original = sqlite_utils.Database(db_path).execute(f"SELECT {columns} FROM {source} ORDER BY id").fetchall()
        again = copy.execute(f"SELECT {columns} FROM {table} ORDER BY CAST(id AS INTEGER)").fetchall()
        assert [tuple("" if v is None else str(v) for v in row) for row in original] == again


def test_export_to_a_file_says_how_many_rows(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "mentions.csv"
    result = CliRunner().invoke(main, ["export", "mentions", "--out", str(out), "--db", str(db_path)])
    assert result.exit_code == 0 and "2 mentions rows written" in result.output
    assert out.read_text(encoding="utf-8").startswith("id,deal_id,country,level,body,partner,stage,")


@pytest.mark.parametrize(("args", "reason"), [(["--since", "last week"], "--since"), (["--country", "Kenya"],
                                                                                        "--country")])
def test_bad_filters_are_one_line_and_exit_2(db_path: Path, args: list[str], reason: str) -> None:
    result = CliRunner().invoke(main, ["export", "deals", *args, "--db", str(db_path)])
    assert result.exit_code == 2 and reason in result.output and result.output.count("\n") == 1
