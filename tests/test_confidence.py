"""Confidence, candidates, sub-national levels and --explain, as a user of classify and the database meets them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import store
from pipeline.classify import classify_article
from pipeline.classify.confidence import ConfidenceModel, load_model
from pipeline.cli import main
from pipeline.models import Article, Classification, DealMention

REPO = Path(__file__).resolve().parents[1]
SEED_TEXT = REPO / "seeds" / "morocco-openai-mistral.txt"
TWO_DEALS = ("Kenya could sign a memorandum with OpenAI next month, the ministry said. Separately, the Telangana "
             "government signed a memorandum of understanding with Google on AI skills on Monday.")


def test_every_deal_carries_a_confidence_between_0_and_1_and_the_seed_passes_the_threshold() -> None:
    title, _, body = SEED_TEXT.read_text(encoding="utf-8").strip().partition("\n")
    result = classify_article(title, body, "2025-09-26")
    assert {(d.partner, d.stage) for d in result.deals} == {("OpenAI", "talks"), ("Mistral AI", "mou")}
    threshold = load_model().threshold
    assert all(threshold <= d.confidence <= 1 for d in result.deals)


def test_a_possibility_is_a_candidate_never_a_deal_even_at_min_confidence_0() -> None:
    result = classify_article("", TWO_DEALS, "2025-06-10", min_confidence=0.0)
    assert [(d.country, d.partner) for d in result.deals] == [("IN", "Google")]
    assert [(d.country, d.partner, d.stage) for d in result.candidates] == [("KE", "OpenAI", "mou")]
    assert result.candidates[0].confidence < load_model().threshold


def test_min_confidence_moves_deals_below_it_to_the_candidates() -> None:
    everything = classify_article("", TWO_DEALS, "2025-06-10", min_confidence=0.0)
    nothing = classify_article("", TWO_DEALS, "2025-06-10", min_confidence=1.0)
    assert nothing.deals == [] and nothing.relevant is False
    assert {d.partner for d in nothing.candidates} == {d.partner for d in everything.deals + everything.candidates}


@pytest.mark.parametrize(("text", "country", "body"), [
    ("The Telangana government signed a memorandum of understanding with Google on AI skills.", "IN", "Telangana"),
    ("Bavaria signed an agreement with Microsoft to train its civil servants in AI.", "DE", "Bavaria"),
    ("Le gouvernement du Québec a signé une entente avec Cohere sur l'intelligence artificielle.", "CA",
     "Quebec"),
    ("La Generalitat de Catalunya firmó un convenio con Microsoft para usar Copilot en sus departamentos.", "ES",
     "Catalonia"),
])
def test_a_subnational_government_is_tagged_with_its_country_level_and_body(text: str, country: str,
                                                                           body: str) -> None:
    deals = classify_article("", text, "2025-06-10", min_confidence=0.0).deals
    assert [(d.country, d.level, d.body) for d in deals] == [(country, "subnational", body)]


def test_a_national_government_stays_national() -> None:
    deals = classify_article("", "The Indian government signed a memorandum of understanding with Nvidia on AI.",
                             "2025-06-10", min_confidence=0.0).deals
    assert [(d.country, d.level, d.body) for d in deals] == [("IN", "national", None)]


def test_classify_jsonl_lists_deals_with_confidence_and_candidates_apart(tmp_path: Path) -> None:
    line = json.dumps({"id": "a1", "title": "", "text": TWO_DEALS, "published": "2025-06-10"})
    result = CliRunner().invoke(main, ["classify", "--jsonl", "-"], input=line + "\n")
    assert result.exit_code == 0, result.output
    prediction = json.loads(result.output)
    assert [(d["partner"], d["level"], d["body"]) for d in prediction["deals"]] == [("Google", "subnational",
                                                                                       "Telangana")]
    assert [d["partner"] for d in prediction["candidates"]] == ["OpenAI"]
    assert all(0 <= d["confidence"] <= 1 for d in prediction["deals"] + prediction["candidates"])


def test_classify_explain_shows_frames_roles_and_verdicts() -> None:
    result = CliRunner().invoke(main, ["classify", "--explain", "--published", "2025-06-10"],
                                input="Two AI deals\n" + TWO_DEALS)
    assert result.exit_code == 0, result.output
    assert "IN – Google: mou" in result.output and "→ DEAL" in result.output
    assert "level subnational: Telangana" in result.output
    assert "weakened (modal)" in result.output and "never a deal" in result.output
    assert '"Telangana government" = IN [Telangana] (institution): acts as a party' in result.output


def test_the_model_file_is_well_formed_and_a_missing_one_falls_back(tmp_path: Path) -> None:
    shipped = load_model()
    assert 0 < shipped.threshold < 1 and shipped.weak_confidence < shipped.threshold and shipped.weights
    assert load_model(tmp_path) == ConfidenceModel()


def test_store_keeps_level_body_confidence_and_candidates_and_splits_national_from_subnational(
        tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "t.db")
    articles = []
    for number, deal in enumerate([DealMention("IN", "Google", "mou", None, "A national MoU.", confidence=0.9),
                                   DealMention("IN", "Google", "agreement", None, "Telangana's deal.",
                                               level="subnational", body="Telangana", confidence=0.7)]):
        article = Article(url=f"https://a.example/{number}", title="T", text="body", source="s",
                          fetched_at="2025-09-26T10:00:00Z", published_at="2025-09-26", content_hash=str(number))
        article.classification = Classification(
            relevant=True, deals=[deal], version="test",
            candidates=[DealMention("KE", "OpenAI", "mou", None, "Kenya could sign.", confidence=0.2)])
        articles.append(article)
    store.save_batch(db, store.Batch(source="s", started_at="x", articles=articles, story_refs=["a", "b"]))
    assert db.execute("SELECT country, partner, stage, level, body FROM deals ORDER BY id").fetchall() == [
        ("IN", "Google", "mou", "national", None), ("IN", "Google", "agreement", "subnational", "Telangana")]
    assert db.execute("SELECT body, confidence FROM deal_timeline ORDER BY confidence").fetchall() == [
        ("Telangana", 0.7), (None, 0.9)]
    assert db.execute("SELECT DISTINCT country, partner, confidence FROM deal_candidates").fetchall() == [
        ("KE", "OpenAI", 0.2)]
