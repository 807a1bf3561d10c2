"""Rule-based deal classifier: the country, partner and stage of every national AI deal in an article.

Tagging rules are `shared/docs/taxonomy.md`; vocabularies are data in `config/` (partners.toml,
countries.toml, stages.toml), compiled once per process. Every deal carries the sentence that
justified it. `CLASSIFIER_VERSION` changes whenever rules or vocabularies change meaningfully, so
`dealwatch reclassify` knows which stored articles to re-tag.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.classify.dates import parse_published
from pipeline.classify.deals import find_deals
from pipeline.classify.vocab import load_vocabulary, vocabulary
from pipeline.models import Classification

LOGGER = logging.getLogger(__name__)

CLASSIFIER_VERSION = "2026.11.5"

__all__ = ["CLASSIFIER_VERSION", "classify_article", "classify_html", "load_vocabulary", "vocabulary"]


def classify_article(title: str, text: str, published: str | None = None, lang: str | None = None,
                     config_dir: Path | None = None) -> Classification:
    """Return the article's relevance and deals; `text` is plain text, `published` an ISO date or datetime."""
    # `lang` is accepted for the pipeline's sake: the lexicon holds English, French and Spanish at
    # once, because articles quote across languages and feeds mislabel them.
    del lang
    deals = find_deals(vocabulary(config_dir), title or "", text or "", parse_published(published))
    return Classification(relevant=bool(deals), deals=deals, version=CLASSIFIER_VERSION)


def classify_html(html: str | bytes, published: str | None = None, config_dir: Path | None = None) -> Classification:
    """Return the classification of an article page: title and main text come from the extractor."""
    from pipeline.extract import extract_page  # the extractor pulls in trafilatura; load it only for HTML

    page = extract_page(html.encode("utf-8") if isinstance(html, str) else html)
    return classify_article(page.title or "", page.text, published or page.published, page.lang, config_dir)
