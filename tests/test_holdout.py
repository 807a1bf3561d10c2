"""The classifier on labelled sets written blind, by people who had not seen its rules.

Each set in `tests/fixtures/` (holdoutN, freshN, realN: en/fr/es, the later ones pt too; regions,
partners and styles the dev corpus lacks) was first scored untouched, then used for development in
which its errors were fixed only with general rules and vocabulary from general knowledge, never
with lookups keyed on its titles, sentences or names. The next set then measured how far those rules
generalised (deal = (country, partner, stage) F1; the README has relevance too):

| set | articles | deal F1 when first scored (classifier) | after development (2026.12.11) |
| --- | --- | --- | --- |
| holdout  | 60 | 0.753 (2026.11.1) | 0.989 |
| holdout2 | 60 | 0.762 (2026.11.2) | 0.988 |
| holdout3 | 50 | 0.762 (2026.11.3) | 1.000 |
| holdout4 | 45 | 0.704 (2026.11.4) | 1.000 |
| holdout5 | 40 | 0.815 (2026.11.5) | 0.873 |
| fresh6   | 50 | 0.615 (2026.12.1) | 0.945 |
| real7    | 50 | 0.738 (2026.12.1) | 0.972 |
| real8    | 50 | 0.854 (2026.12.4) | 0.907 |
| fresh9   | 45 | 0.847 (2026.12.4) | 0.897 |
| real10   | 50 | 0.757 (2026.12.6) | 0.832 |
| fresh11  | 45 | 0.522 (2026.12.6) | 0.696 |
| real12   | 50 | 0.916 (2026.12.8) | 0.971 |
| fresh13  | 45 | 0.842 (2026.12.8) | 0.875 |
| real14   | 50 | 0.750 (2026.12.13) | 0.905 (2026.12.16) |
| fresh15  | 50 | 0.745 (2026.12.13) | 0.832 (2026.12.16) |
| real16   | 45 | 0.701 (2026.12.13) | 0.919 (2026.12.16) |
| real17   | 50 | 0.713 (2026.12.16) | 0.771 (2026.12.17) |
| fresh18  | 50 | 0.714 (2026.12.16) | 0.830 (2026.12.17) |
| real19   | 50 | 0.675 (2026.12.17) | 0.714 (2026.12.18) |
| fresh20  | 50 | 0.740 (2026.12.17) | 0.838 (2026.12.18) |
| real21   | 50 | 0.796 (2026.12.18) | 0.840 (2026.12.19) |
| fresh22  | 50 | 0.863 (2026.12.18) | 0.863 (2026.12.19) |
| real23   | 50 | 0.791 (2026.12.19) | 1.000 (2026.12.20) |
| fresh24  | 50 | 0.868 (2026.12.19) | 0.946 (2026.12.20) |
| real25   | 50 | 0.659 (2026.12.20) | 0.756 (2026.12.22) |
| fresh26  | 50 | 0.837 (2026.12.20) | 0.911 (2026.12.22) |
| wire27   | 50 | 0.785 (2026.12.21) | 0.838 (2026.12.22) |
| fresh29  | 50 | 0.701 (2026.12.24) | 0.875 (2026.12.28) |
| real28   | 50 | 0.835 (2026.12.24) | 0.879 (2026.12.28) |
| real30   | 50 | 0.653 (2026.12.26) | 0.821 (2026.12.28) |
| fresh31  | 50 | 0.835 (2026.12.26) | 0.905 (2026.12.28) |
| real32   | 50 | 0.851 (2026.12.28) | 0.897 (2026.12.31) |
| fresh33  | 50 | 0.876 (2026.12.28) | 0.914 (2026.12.31) |
| real34   | 50 | 0.869 (2026.12.31) | 0.878 (2026.12.33) |
| fresh35  | 50 | 0.867 (2026.12.31) | 0.878 (2026.12.33) |
| wire36   | 50 | 0.782 (2026.12.31) | 0.876 (2026.12.32) |
| real37   | 50 | 0.884 (2026.12.33) | not developed on |
| fresh38  | 50 | 0.899 (2026.12.33) | not developed on |
| real39   | 50 | 0.810 (2026.12.33, unchanged) | 0.835 (2026.12.34) |
| fresh40  | 50 | 0.828 (2026.12.33, unchanged) | 0.841 (2026.12.34) |
| wire41   | 50 | 0.832 (2026.12.33, unchanged) | not developed on |

The floors below pin what the rules reach on the developed sets, so that a regression fails. The
first-scored figures are the honest measure of accuracy on unseen news; every set here has now
been developed on, so the next blind set is the next honest measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.evaluate import evaluate_file

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Floors:
    """Minimum scores for one held-out set."""

    relevance_f1: float
    pair_f1: float
    deal_f1: float
    deal_precision: float
    language_deal_f1: float  # each of en, fr, es; a language holds 5 to 27 deals, so one error costs up to 0.1


FLOORS = {
    "holdout.jsonl": Floors(0.97, 0.95, 0.95, 0.95, 0.93),
    "holdout2.jsonl": Floors(0.98, 0.98, 0.98, 0.97, 0.92),
    "holdout3.jsonl": Floors(0.99, 0.98, 0.98, 0.99, 0.93),
    "holdout4.jsonl": Floors(0.99, 0.99, 0.99, 0.99, 0.93),
    "holdout5.jsonl": Floors(0.96, 0.92, 0.85, 0.90, 0.75),
    "fresh6.jsonl": Floors(0.97, 0.95, 0.93, 0.92, 0.90),
    "real7.jsonl": Floors(0.97, 0.95, 0.95, 0.94, 0.84),  # pt (2 articles) is not among the checked languages
    "real8.jsonl": Floors(0.93, 0.91, 0.89, 0.90, 0.84),
    "fresh9.jsonl": Floors(0.95, 0.90, 0.88, 0.90, 0.82),
    "real10.jsonl": Floors(0.92, 0.89, 0.81, 0.82, 0.6),
    "fresh11.jsonl": Floors(0.89, 0.77, 0.67, 0.77, 0.55),
    "real12.jsonl": Floors(0.97, 0.95, 0.95, 0.94, 0.93),
    "fresh13.jsonl": Floors(0.95, 0.92, 0.85, 0.85, 0.83),
    "real14.jsonl": Floors(0.94, 0.88, 0.88, 0.91, 0.84),
    "fresh15.jsonl": Floors(0.95, 0.85, 0.81, 0.83, 0.77),
    "real16.jsonl": Floors(0.88, 0.89, 0.89, 0.98, 0.83),
    "real17.jsonl": Floors(0.91, 0.82, 0.75, 0.82, 0.66),
    "fresh18.jsonl": Floors(0.91, 0.85, 0.81, 0.84, 0.73),
    "real19.jsonl": Floors(0.83, 0.77, 0.69, 0.71, 0.55),
    "fresh20.jsonl": Floors(0.88, 0.87, 0.81, 0.89, 0.67),
    "real21.jsonl": Floors(0.93, 0.88, 0.82, 0.85, 0.59),
    "fresh22.jsonl": Floors(0.93, 0.92, 0.84, 0.84, 0.77),
    "real23.jsonl": Floors(0.97, 0.97, 0.97, 0.97, 0.93),
    "fresh24.jsonl": Floors(0.95, 0.94, 0.92, 0.95, 0.87),
    "real25.jsonl": Floors(0.90, 0.76, 0.73, 0.80, 0.64),  # pt (6 articles) is not among the checked languages
    "fresh26.jsonl": Floors(0.93, 0.93, 0.89, 0.91, 0.75),
    "wire27.jsonl": Floors(0.96, 0.91, 0.81, 0.79, 0.75),  # wire copy, roundups, aggregator snippets
    "fresh29.jsonl": Floors(0.95, 0.91, 0.86, 0.86, 0.81),
    "real28.jsonl": Floors(0.91, 0.89, 0.86, 0.91, 0.81),
    "real30.jsonl": Floors(0.95, 0.86, 0.80, 0.81, 0.74),  # pt (6 articles) is not among the checked languages
    "fresh31.jsonl": Floors(0.92, 0.89, 0.89, 0.95, 0.82),
    "real32.jsonl": Floors(0.94, 0.88, 0.88, 0.96, 0.87),  # pt (6 articles) is not among the checked languages
    "fresh33.jsonl": Floors(0.96, 0.92, 0.90, 0.89, 0.88),
    "real34.jsonl": Floors(0.91, 0.87, 0.85, 0.88, 0.83),  # pt (6 articles) is not among the checked languages
    "fresh35.jsonl": Floors(0.92, 0.88, 0.85, 0.86, 0.68),
    "wire36.jsonl": Floors(0.96, 0.92, 0.86, 0.87, 0.79),  # wire copy, roundups, aggregator snippets
    "real37.jsonl": Floors(0.94, 0.92, 0.87, 0.94, 0.87),  # pt (6 articles) is not among the checked languages
    "fresh38.jsonl": Floors(0.93, 0.91, 0.89, 0.90, 0.83),
    "real39.jsonl": Floors(0.93, 0.88, 0.80, 0.84, 0.74),  # pt (6 articles) is not among the checked languages
    "fresh40.jsonl": Floors(0.91, 0.89, 0.82, 0.80, 0.74),
    "wire41.jsonl": Floors(0.95, 0.88, 0.83, 0.87, 0.74),  # wire copy, roundups, aggregator snippets
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_held_out_scores_stay_above_their_floors(name: str) -> None:
    floors = FLOORS[name]
    report = evaluate_file(FIXTURES / name)
    overall = report.overall
    scores = {"relevance_f1": overall.relevance.f1, "pair_f1": overall.pairs.f1, "deal_f1": overall.deals.f1,
              "deal_precision": overall.deals.precision}
    for key, score in scores.items():
        assert score >= getattr(floors, key), f"{name}: {key} {score:.3f} below {getattr(floors, key)}\n" \
                                                f"{report.format()}"
    for lang in ("en", "fr", "es"):
        deal_f1 = report.by_lang[lang].deals.f1
        assert deal_f1 >= floors.language_deal_f1, f"{name} [{lang}] deal F1 {deal_f1:.3f}\n{report.format()}"
