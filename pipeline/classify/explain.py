"""`dealwatch classify --explain`: why each deal was tagged, or left a candidate, in words a person reads.

For every candidate deal: its confidence and whether it passes `min_confidence`, then each
evidence frame (the sentence, the stage cue and how it reads: valid or weakened and why, both
sides named there or one side reached from context), the role of every country and partner
mention in those sentences, and the features that moved the confidence most.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.classify import score
from pipeline.classify.confidence import model, threshold_for
from pipeline.classify.dates import parse_published
from pipeline.classify.deals import Candidate, analyse
from pipeline.classify.facts import Article, dominant_country
from pipeline.classify.vocab import vocabulary

ROLE_WORDS = {"party": "acts as a party", "context": "context (place, market, description)",
              "regulator": "regulator", "dateline": "dateline"}


def explain(title: str, text: str, published: str | None = None, min_confidence: float | None = None,
            config_dir: Path | None = None) -> str:
    """Return the explanation of an article's candidate deals as plain text."""
    scorer = model(config_dir)
    threshold = threshold_for(min_confidence, config_dir)
    article, candidates = analyse(vocabulary(config_dir), title or "", text or "", parse_published(published))
    if article is None:
        return "No stage cue or no country or partner name: the article cannot report a deal."
    lines = [f"Article country (dominant): {dominant_country(article) or 'none'}; "
             f"min_confidence {threshold:.2f}; {len(candidates)} candidate deal(s)."]
    if not candidates:
        lines.append("No cue was attributed to a (country, partner) pair.")
    score(candidates, config_dir)
    for candidate in candidates:
        lines += [""] + _explain_candidate(article, candidate, threshold, scorer.contributions(candidate.features))
    return "\n".join(lines)


def _explain_candidate(article: Article, candidate: Candidate, threshold: float,
                       contributions: list[tuple[str, float]]) -> list[str]:
    deal = candidate.deal
    if candidate.is_deal(threshold):
        verdict = "DEAL"
    elif candidate.weak:
        verdict = "candidate (only weakened cues: a plan, possibility or denial is never a deal)"
    else:
        verdict = "candidate (below min_confidence)"
    level = f"subnational: {deal.body}" if deal.level == "subnational" else "national"
    lines = [f"{deal.country} – {deal.partner}: {deal.stage}, confidence {deal.confidence:.3f} → {verdict}; "
             f"level {level}; event date {deal.event_date or 'none'}"]
    for record in sorted(candidate.records, key=lambda r: (r.sentence, r.position)):
        facts = article.facts[record.sentence]
        end = record.end if record.end > record.position else record.position + 40
        cue = " ".join(article.text[record.position:end].split())
        how = f"weakened ({record.weakness})" if record.weakness else f"valid, {record.strength}"
        sides = "both sides named in the sentence" if record.direct else "one side reached from context"
        chosen = " ← decides the stage" if record in candidate.chosen else ""
        lines.append(f"  frame: sentence {record.sentence} cue \"{cue}\" → {record.stage} "
                     f"({how}; {sides}){chosen}")
        lines.append(f"    \"{article.sentence_text(record.sentence)}\"")
        for mention in facts.countries:
            body = f" [{mention.body}]" if mention.body else ""
            lines.append(f"    country \"{article.text[mention.start:mention.end]}\" = {mention.code}{body} "
                         f"({mention.form}): {ROLE_WORDS.get(mention.role, mention.role)}")
        for partner in facts.partners:
            lines.append(f"    partner \"{article.text[partner.start:partner.end]}\" = {partner.name}")
    top = ", ".join(f"{name} {value:+.2f}" for name, value in contributions[:6])
    lines.append(f"  confidence from: {top or 'the intercept only'}")
    return lines
