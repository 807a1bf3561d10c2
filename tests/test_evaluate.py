"""Scoring for `dealwatch eval`: counts, per-language scores, the confusion table and the mistakes list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.evaluate import Counts, evaluate_file, read_corpus, relevant_rate, score_records

DEAL_TEXT = "Rwanda's government signed a memorandum of understanding with Anthropic on AI in schools."
TALKS_TEXT = "Chile's science minister held talks with OpenAI on Spanish-language AI models."
NOISE_TEXT = "Heavy rain is expected in Nairobi on Tuesday, the weather service said."


def record(id_: str, text: str, deals: list[tuple[str, str, str]], lang: str = "en", story: str | None = None) -> dict:
    """Return a corpus record labelled with `deals`."""
    return {
        "id": id_, "lang": lang, "title": "", "text": text, "published": "2025-06-15", "story": story or id_,
        "labels": {"relevant": bool(deals),
                   "deals": [{"country": c, "partner": p, "stage": s, "event_date": None} for c, p, s in deals]},
    }


def test_counts_give_precision_recall_and_f1() -> None:
    counts = Counts()
    counts.add({"a", "b", "c"}, {"a", "b", "d"})
    assert (counts.tp, counts.fp, counts.fn) == (2, 1, 1)
    assert counts.precision == pytest.approx(2 / 3) and counts.recall == pytest.approx(2 / 3)
    assert counts.f1 == pytest.approx(2 / 3)
    assert Counts().f1 == 1.0  # nothing expected, nothing predicted: nothing wrong


def test_a_perfect_corpus_scores_one_and_lists_no_mistakes() -> None:
    report = score_records([record("a", DEAL_TEXT, [("RW", "Anthropic", "mou")]), record("b", NOISE_TEXT, [])])
    assert report.overall.relevance.f1 == 1.0
    assert report.overall.deals.f1 == 1.0 and report.overall.pairs.f1 == 1.0
    assert report.mistakes == []
    assert report.confusion[("mou", "mou")] == 1


def test_a_wrong_stage_counts_against_deals_but_not_pairs() -> None:
    report = score_records([record("a", TALKS_TEXT, [("CL", "OpenAI", "mou")], lang="es")])
    assert report.overall.pairs.f1 == 1.0
    assert report.overall.deals.f1 == 0.0
    assert report.by_lang["es"].deals.fn == 1
    assert report.confusion[("mou", "talks")] == 1
    assert [m.id for m in report.mistakes] == ["a"]


def test_missed_and_spurious_deals_appear_in_the_confusion_table() -> None:
    report = score_records([record("a", NOISE_TEXT, [("KE", "Google", "talks")]),
                            record("b", DEAL_TEXT, [])])
    assert report.overall.relevance.precision == 0.0 and report.overall.relevance.recall == 0.0
    assert report.confusion[("talks", "-")] == 1
    assert report.confusion[("-", "mou")] == 1


def test_format_is_readable_and_names_the_wrong_articles_with_evidence() -> None:
    report = score_records([record("dev-x", DEAL_TEXT, [("RW", "Anthropic", "agreement")])], path="x.jsonl")
    text = report.format()
    for heading in ("relevance", "deal (country,partner,stage)", "pair (country,partner)", "Stage confusion",
                    "[en] 1 articles", "Articles with a wrong tag: 1"):
        assert heading in text
    assert "expected: RW-Anthropic agreement" in text and "got:      RW-Anthropic mou" in text
    assert DEAL_TEXT in text  # the evidence sentence, for a person to judge


def test_as_dict_is_json_ready() -> None:
    report = score_records([record("a", DEAL_TEXT, [("RW", "Anthropic", "mou")], story="s1"),
                            record("b", DEAL_TEXT, [("RW", "Anthropic", "mou")], story="s1")])
    data = json.loads(json.dumps(report.as_dict()))
    assert data["overall"]["deals"]["f1"] == 1.0
    assert data["by_lang"]["en"]["articles"] == 2
    assert data["confusion"] == [{"expected": "mou", "predicted": "mou", "count": 2}]
    assert set(data["stories"]) == {"precision", "recall", "f1"}


def test_evaluate_file_reads_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [record("a", DEAL_TEXT, [("RW", "Anthropic", "mou")])]) + "\n\n",
                    encoding="utf-8")
    report = evaluate_file(path)
    assert report.overall.articles == 1 and report.path == str(path)


@pytest.mark.parametrize(("content", "message"), [
    ("{not json\n", "corpus.jsonl:1: not JSON"),
    ('{"id": "a"}\n', "corpus.jsonl:1: a corpus record needs 'labels'"),
])
def test_bad_corpus_lines_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        list(read_corpus(path))


def test_missing_corpus_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        evaluate_file(tmp_path / "absent.jsonl")


def test_relevant_rate_counts_flagged_items() -> None:
    flagged, total, ids = relevant_rate([{"id": "n1", "title": "", "text": NOISE_TEXT},
                                         {"id": "n2", "title": "", "text": DEAL_TEXT}])
    assert (flagged, total, ids) == (1, 2, ["n2"])
