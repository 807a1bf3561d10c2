"""Amount and purpose errors of labelled sets, deal by deal, with the sentences each deal drew them from.

Run: .venv/bin/python bench/amount_errors.py FILE.jsonl [FILE.jsonl ...] [--all]

For every deal the classifier finds right (country, partner and stage as labelled) whose label
carries an `amount` or `purposes`, prints the labelled and predicted amount and purposes and the
sentences `amounts.deal_sentences` gives the deal (the ones its amount and purposes come from),
each with the money found in it; only the deals with a wrong amount or purpose unless `--all`.
Ends with the amount's precision and recall over those deals alone: the ceiling when the
classifier misses no deal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.classify import score, vocabulary  # noqa: E402
from pipeline.classify.confidence import threshold_for  # noqa: E402
from pipeline.classify.amounts import claimed_sentences, deal_sentences, find_money  # noqa: E402
from pipeline.classify.dates import parse_published  # noqa: E402
from pipeline.classify.deals import analyse  # noqa: E402
from pipeline.evaluate import _same_amount  # noqa: E402


def _money_text(amount: dict | None) -> str:
    if not amount:
        return "-"
    return f"{amount['currency']} {amount['value']:,.0f} {amount.get('status') or ''}".strip()


def report(path: Path, show_all: bool, totals: dict[str, int]) -> None:
    vocab = vocabulary()
    threshold = threshold_for(None)
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        labelled = {(d["country"], d["partner"], d["stage"]): d for d in record["labels"].get("deals") or []}
        article, candidates = analyse(vocab, record.get("title") or "", record.get("text") or "",
                                      parse_published(record.get("published")))
        score(candidates)
        claimed = claimed_sentences(candidates)
        for candidate in candidates:
            deal = candidate.deal
            label = labelled.get((deal.country, deal.partner, deal.stage))
            if label is None or not candidate.is_deal(threshold) or article is None:
                continue
            got = {"value": deal.amount.value, "currency": deal.amount.currency,
                   "status": deal.amount.status} if deal.amount else None
            wanted = label.get("amount")
            amount_right = (wanted is None and got is None) or bool(wanted and got and _same_amount(wanted, got))
            if "amount" in label:
                totals["tp"] += amount_right and wanted is not None
                totals["fp"] += got is not None and not amount_right
                totals["fn"] += wanted is not None and not amount_right
            purposes_right = "purposes" not in label or set(label["purposes"]) == set(deal.purposes)
            if amount_right and purposes_right and not show_all:
                continue
            print(f"\n{record['id']} {deal.country}-{deal.partner} {deal.stage}: {record.get('title')}")
            print(f"  amount   {'ok ' if amount_right else 'BAD'} label {_money_text(wanted)} | got {_money_text(got)}")
            if "purposes" in label:
                print(f"  purposes {'ok ' if purposes_right else 'BAD'} label {sorted(label['purposes'])} | "
                      f"got {deal.purposes}")
            for index in deal_sentences(article, candidate, claimed):
                sentence = article.facts[index].sentence
                money = [article.text[m.start:m.end] for m in find_money(vocab.money, article.text,
                                                                          sentence.start, sentence.end)]
                print(f"    [{index}] {article.text[sentence.start:sentence.end]!r}" + (f"  money={money}" if money else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--all", action="store_true", help="also the deals whose amount and purposes are right")
    args = parser.parse_args()
    totals = {"tp": 0, "fp": 0, "fn": 0}
    for path in args.files:
        report(path, args.all, totals)
    tp, fp, fn = totals["tp"], totals["fp"], totals["fn"]
    print(f"\namount over deals found right: P {tp / max(tp + fp, 1):.3f} R {tp / max(tp + fn, 1):.3f} "
          f"(tp {tp}, fp {fp}, fn {fn})")


if __name__ == "__main__":
    main()
