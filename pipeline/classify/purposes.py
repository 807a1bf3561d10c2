"""What a deal is for: compute, models, skills, research, public services, investment.

Each purpose has phrases per language in `config/purposes.toml`; a deal gets the purposes whose
phrases its own sentences contain (the sentences `amounts.deal_sentences` gives it), none when they
say nothing. Words inside a country's or partner's name ("Ministry of Education", "Cohere Research")
do not count (a product named as a model does: "Claude", "Copilot"), and longer `blockers` phrases
("training data") hide the purpose words they contain.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.classify.amounts import belongs, claimed_sentences, deal_sentences, read_toml, strings
from pipeline.classify.matcher import PhraseMatcher, phrase_key
from pipeline.models import PURPOSES

if TYPE_CHECKING:
    from pipeline.classify.deals import Candidate
    from pipeline.classify.facts import Article

LOGGER = logging.getLogger(__name__)

INVEST_REACH = 30  # characters between "invested in" and the partner's name ("invested in the French start-up Mistral AI")
_INVESTMENT = "investment"
_MODELS = "models"
_BREAK = re.compile(r"[.;:,]")


@dataclass(frozen=True)
class PurposeVocabulary:
    """The compiled purpose phrases of one configuration directory."""

    phrases: PhraseMatcher
    kinds: dict[str, frozenset[str]]  # phrase key -> purposes, "blocker" or "invest_in"


def load_purposes(directory: Path) -> PurposeVocabulary:
    """Return the purpose vocabulary of `purposes.toml` in `directory`, compiled."""
    data = read_toml(directory / "purposes.toml")
    kinds: dict[str, set[str]] = defaultdict(set)
    for section, table in data.items():
        kind = section if section in PURPOSES else {"blockers": "blocker", "invest_in": "invest_in"}.get(section)
        if kind is None or not isinstance(table, dict):
            LOGGER.warning("purposes.toml: table [%s] is not a purpose; ignored", section)
            continue
        for phrases in table.values():
            for phrase in strings(phrases):
                kinds[phrase_key(phrase).lower()].add(kind)
    return PurposeVocabulary(PhraseMatcher(kinds, ignore_case=True), {k: frozenset(v) for k, v in kinds.items()})


def attach_purposes(article: Article, candidates: list[Candidate]) -> None:
    """Set each candidate deal's purposes from the words of its own sentences (its own part of a shared one)."""
    vocab = article.vocab.purposes
    claimed = claimed_sentences(candidates)
    cache: dict[int, list[tuple[int, int, frozenset[str]]]] = {}
    for candidate in candidates:
        pair = (candidate.deal.country, candidate.deal.partner)
        found: set[str] = set()
        for index in deal_sentences(article, candidate, claimed):
            if index not in cache:
                cache[index] = _sentence_hits(article, vocab, index)
            for start, end, kinds in cache[index]:
                if not belongs(article, index, start, end, pair, claimed.get(index, set())):
                    continue
                found |= kinds & set(PURPOSES)
                if "invest_in" in kinds and _invested_in(article, index, end, pair[1]):
                    found.add(_INVESTMENT)
        candidate.deal.purposes = [p for p in PURPOSES if p in found]


def _sentence_hits(article: Article, vocab: PurposeVocabulary, index: int) -> list[tuple[int, int, frozenset[str]]]:
    """Return the purpose phrases of a sentence (start, end, kinds), outside the names of states and partners."""
    facts = article.facts[index]
    sentence = facts.sentence
    states = [(m.start, m.end) for m in facts.countries]
    partners = [(m.start, m.end) for m in facts.partners]
    hits = []
    for hit in vocab.phrases.finditer(article.text[sentence.start:sentence.end]):
        start, end = sentence.start + hit.start, sentence.start + hit.end
        kinds = vocab.kinds.get(hit.key, frozenset())
        names = states if kinds <= {_MODELS} else states + partners  # "Claude" names the partner and a model
        if kinds - {"blocker"} and not any(low < end and start < high for low, high in names):
            hits.append((start, end, kinds))
    return hits


def _invested_in(article: Article, index: int, end: int, partner: str) -> bool:
    """Return True when the deal's partner is named right after an "invested in" phrase ending at `end`."""
    return any(0 <= m.start - end <= INVEST_REACH and m.name == partner
               and not _BREAK.search(article.text, end, m.start) for m in article.facts[index].partners)
