"""Build the confidence model from labelled articles: `python -m pipeline.classify.train`.

Two steps, so that the model describes news the rules have not seen:

1. `snapshot CORPUS.jsonl... --out SNAPSHOT.jsonl` runs the classifier over labelled sets that
   the rules were never developed on, and writes one line per candidate deal: its features and
   whether its (country, partner, stage) is right. Take the snapshot *before* using a set for
   development; afterwards the rules fit it and every candidate looks right.
2. `fit SNAPSHOT.jsonl... --out config/confidence.json` fits a logistic regression
   (scikit-learn, the `train` extra) on the candidates backed by valid cues and stores its weights,
   intercept and the min_confidence that maximises deal F1 on the snapshot; candidates backed only
   by weakened cues get one smoothed rate. Run time needs no scikit-learn: scoring is a dot product.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline.classify import CLASSIFIER_VERSION, scored_candidates
from pipeline.classify.features import FEATURE_NAMES
from pipeline.corpus import read_jsonl


def snapshot_rows(path: Path) -> Iterable[dict[str, Any]]:
    """Yield one row per candidate deal of each labelled article, and one per missed deal."""
    for _, record in read_jsonl(path):
        if not isinstance(record, dict) or "labels" not in record:
            continue
        gold = {(d["country"], d["partner"], d["stage"]) for d in record["labels"].get("deals") or []}
        found = set()
        title, text = record.get("title") or "", record.get("text") or ""
        for candidate in scored_candidates(title, text, record.get("published")):
            deal = candidate.deal
            key = (deal.country, deal.partner, deal.stage)
            found.add(key)
            yield {"set": path.name, "id": record.get("id"), "deal": list(key), "features": candidate.features,
                   "right": key in gold}
        for key in sorted(gold - found):
            yield {"set": path.name, "id": record.get("id"), "deal": list(key), "features": None, "right": True}


def fit(rows: list[dict[str, Any]], regularisation: float = 1.0) -> dict[str, Any]:
    """Return the model file's content fitted on snapshot rows (rows without features are missed deals).

    The recommended threshold is chosen on out-of-fold probabilities, each labelled set scored by
    a model fitted on the others, so that it reflects sets the model has not seen.
    """
    regression = _regression(rows, regularisation)
    weak = [r for r in rows if r["features"] is not None and r["features"].get("weak")]
    weights = {name: round(float(w), 4) for name, w in zip(FEATURE_NAMES, regression.coef_[0]) if abs(w) > 1e-6}
    # Weakened evidence (negated, modal, denied) is rare and nearly always wrong: one smoothed rate for all of it.
    weak_confidence = round((sum(1 for r in weak if r["right"]) + 1) / (len(weak) + 2), 3)
    found = [r for r in rows if _weighed(r)]
    return {"about": "logistic model over candidate-deal features; see pipeline/classify/train.py",
            "classifier_version": CLASSIFIER_VERSION, "trained_on": sorted({r["set"] for r in rows}),
            "candidates": len(found), "right": sum(1 for r in found if r["right"]),
            "missed": sum(1 for r in rows if r["features"] is None),
            "regularisation": regularisation, "threshold": _out_of_fold_threshold(rows, regularisation),
            "weak_confidence": weak_confidence, "weak_candidates": len(weak),
            "intercept": round(float(regression.intercept_[0]), 4), "weights": weights}


def _weighed(row: dict[str, Any]) -> bool:
    """Return True for a candidate backed by valid cues (the rows the regression learns from)."""
    return row["features"] is not None and not row["features"].get("weak")


def _matrix(rows: list[dict[str, Any]]) -> list[list[float]]:
    return [[float(r["features"].get(name, 0.0)) for name in FEATURE_NAMES] for r in rows]


def _regression(rows: list[dict[str, Any]], regularisation: float) -> Any:
    from sklearn.linear_model import LogisticRegression  # a build-time dependency only

    found = [r for r in rows if _weighed(r)]
    return LogisticRegression(C=regularisation, max_iter=2000).fit(_matrix(found), [bool(r["right"]) for r in found])


def _out_of_fold_threshold(rows: list[dict[str, Any]], regularisation: float) -> float:
    """Return the threshold with the best deal F1 over out-of-fold scores, one fold per labelled set."""
    sets = sorted({r["set"] for r in rows})
    scored: list[tuple[float, bool]] = []
    for held_out in sets:
        train = [r for r in rows if r["set"] != held_out] if len(sets) > 1 else rows
        regression = _regression(train, regularisation)
        test = [r for r in rows if r["set"] == held_out and _weighed(r)]
        if test:
            probabilities = regression.predict_proba(_matrix(test))[:, 1]
            scored += [(float(p), bool(r["right"])) for p, r in zip(probabilities, test)]
    return _best_threshold(scored, sum(1 for r in rows if r["right"]))


def _best_threshold(scored: list[tuple[float, bool]], expected: int) -> float:
    """Return the min_confidence (in 0.05 steps) for deals: the highest whose F1 is within 0.005 of the best.

    Out-of-fold F1 is nearly flat over a wide band of thresholds; within it, the higher one buys
    precision at almost no cost in F1, which is what a reader of the stored deals wants.
    """
    rows = []
    for step in range(1, 20):
        threshold = step / 20
        kept = [right for p, right in scored if p >= threshold]
        tp = sum(kept)
        precision = tp / len(kept) if kept else 1.0
        recall = tp / expected if expected else 1.0
        rows.append((threshold, 2 * precision * recall / (precision + recall) if precision + recall else 0.0))
    best = max(f1 for _, f1 in rows)
    return max(threshold for threshold, f1 in rows if f1 >= best - 0.005)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.classify.train", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    snap = commands.add_parser("snapshot", help="candidate features of labelled sets the rules have not seen")
    snap.add_argument("corpora", nargs="+", type=Path)
    snap.add_argument("--out", type=Path, required=True)
    fitting = commands.add_parser("fit", help="fit the model on snapshots")
    fitting.add_argument("snapshots", nargs="+", type=Path)
    fitting.add_argument("--out", type=Path, required=True)
    fitting.add_argument("--regularisation", type=float, default=1.0, help="inverse L2 strength (C)")
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        with args.out.open("a", encoding="utf-8") as out:
            for corpus in args.corpora:
                for row in snapshot_rows(corpus):
                    out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        return 0
    rows = [r for path in args.snapshots for _, r in read_jsonl(path) if isinstance(r, dict)]
    model = fit(rows, args.regularisation)
    args.out.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(rows)} rows; threshold {model['threshold']}; written {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
