"""What a candidate deal rests on, as numbers: the features the confidence model weighs.

Each feature describes the evidence frame, not the article's words: whether the stage cue was
weakened (negation, modality, a denied report), whether both sides were named in the cue's own
sentence or one was reached through an anaphor, the article's country or a roundup heading, how
much evidence there is, and what else the article reports. The set was cut to the features that
helped in leave-one-set-out tests on the blind snapshots. `confidence.py` turns them into a probability.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pipeline.classify.facts import Article
from pipeline.classify.stages import STAGES

if TYPE_CHECKING:
    from pipeline.classify.deals import Candidate

FEATURES = (
    ("direct", "a cue's own sentence names both the country and the partner"),
    ("records", "log(1 + cues attributed to the pair)"),
    ("dominant", "the country is the one the article is mostly about"),
    ("own_state_firm", "the partner's home is the country itself"),
    ("stage_conflict", "other stages were also reported for the pair"),
    ("other_countries", "log(1 + other countries with candidate deals)"),
    ("other_partners", "log(1 + other partners with candidate deals)"),
    ("known", "the partner is in the registry"),
    ("subnational", "the country side is a sub-national government"),
) + tuple((f"stage_{s}", f"the stage is {s}") for s in STAGES)
FEATURE_NAMES = tuple(name for name, _ in FEATURES)


def pair_features(article: Article, candidate: Candidate, candidates: list[Candidate],
                  dominant: str | None) -> dict[str, float]:
    """Return the named features of one candidate deal (absent features are 0); `dominant` is the article's country."""
    deal, records, chosen = candidate.deal, candidate.records, candidate.chosen
    partner = article.vocab.partners.get(deal.partner)
    features = {
        "weak": float(candidate.weak),  # not weighed: weakened evidence gets one rate (confidence.py)
        "direct": float(any(r.direct for r in chosen)),
        "records": math.log1p(len(records)),
        "dominant": float(dominant == deal.country),
        "own_state_firm": float(partner is not None and partner.home == deal.country),
        "stage_conflict": float(len({r.stage for r in records}) > 1),
        "other_countries": math.log1p(len({c.deal.country for c in candidates} - {deal.country})),
        "other_partners": math.log1p(len({c.deal.partner for c in candidates} - {deal.partner})),
        "known": float(deal.known and partner is not None),
        "subnational": float(deal.level == "subnational"),
        f"stage_{deal.stage}": 1.0,
    }
    return features
