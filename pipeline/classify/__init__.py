"""Rule-based deal classifier: the country, partner and stage of every national AI deal in an article.

Tagging rules are `docs/tagging.md`; vocabularies are data in `config/` (partners.toml,
countries.toml, subnational.toml, stages.toml; amounts.toml, rates.toml and purposes.toml for each
deal's amount and purposes), compiled once per process. Rules find candidate
deals, each with the sentence that justified it; a logistic model over the evidence
(`confidence.py`) gives each a calibrated confidence, and those at or above `min_confidence` are
the article's deals, the rest its candidates. `CLASSIFIER_VERSION` changes whenever rules,
vocabularies or the model change meaningfully, so `dealwatch reclassify` knows what to re-tag.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.classify.confidence import model, threshold_for
from pipeline.classify.dates import parse_published
from pipeline.classify.deals import Candidate, find_candidates
from pipeline.classify.vocab import load_vocabulary, vocabulary
from pipeline.models import Classification

LOGGER = logging.getLogger(__name__)

CLASSIFIER_VERSION = "2026.12.34"

__all__ = ["CLASSIFIER_VERSION", "classify_article", "classify_html", "load_vocabulary", "scored_candidates",
           "vocabulary"]


def scored_candidates(title: str, text: str, published: str | None = None,
                      config_dir: Path | None = None) -> list[Candidate]:
    """Return every candidate deal of an article with its confidence set, in order of first mention."""
    candidates = find_candidates(vocabulary(config_dir), title or "", text or "", parse_published(published))
    score(candidates, config_dir)
    return candidates


def score(candidates: list[Candidate], config_dir: Path | None = None) -> None:
    """Set each candidate deal's confidence from the confidence model."""
    scorer = model(config_dir)
    for candidate in candidates:
        candidate.deal.confidence = round(scorer.score(candidate.features), 3)


def classify_article(title: str, text: str, published: str | None = None, lang: str | None = None,
                     config_dir: Path | None = None, min_confidence: float | None = None) -> Classification:
    """Return the article's relevance, deals and candidates; `text` is plain text, `published` an ISO date.

    Deals are the candidates whose confidence reaches `min_confidence` (default: the model's
    recommended threshold); the others are kept as `candidates`.
    """
    # `lang` is accepted for the pipeline's sake: the lexicon holds English, French and Spanish at
    # once, because articles quote across languages and feeds mislabel them.
    del lang
    threshold = threshold_for(min_confidence, config_dir)
    candidates = scored_candidates(title, text, published, config_dir)
    deals = [c.deal for c in candidates if c.is_deal(threshold)]
    below = [c.deal for c in candidates if not c.is_deal(threshold)]
    return Classification(relevant=bool(deals), deals=deals, version=CLASSIFIER_VERSION, candidates=below)


def classify_html(html: str | bytes, published: str | None = None, config_dir: Path | None = None,
                  min_confidence: float | None = None) -> Classification:
    """Return the classification of an article page: title and main text come from the extractor."""
    from pipeline.extract import extract_page  # the extractor pulls in trafilatura; load it only for HTML

    page = extract_page(html.encode("utf-8") if isinstance(html, str) else html)
    return classify_article(page.title or "", page.text, published or page.published, page.lang, config_dir,
                            min_confidence)
