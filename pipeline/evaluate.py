"""Score the classifier (and the story deduper) against a labelled corpus, for `dealwatch eval`.

Reads corpus JSONL (docs/corpus-format.md), classifies every article, and reports:
relevance precision/recall/F1; deal precision/recall/F1 on (country, partner, stage) and on
(country, partner) alone; the same per language; a per-stage confusion table over the pairs
found on both sides; event-date accuracy; amount and purpose precision/recall over the deals whose
labels give them (status accuracy apart); story pairwise precision/recall/F1 when the deduper is
available; and the articles the classifier got wrong, with its evidence, for a person to read.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.classify import CLASSIFIER_VERSION, classify_article
from pipeline.classify.stages import STAGES
from pipeline.corpus import read_jsonl
from pipeline.errors import InputError
from pipeline.models import Classification

LOGGER = logging.getLogger(__name__)

MISSING = "-"  # a pair on one side of the confusion table only
AMOUNT_TOLERANCE = 0.02  # a predicted amount is right within 2% of the labelled value, in the same currency


@dataclass
class Counts:
    """True positives, false positives and false negatives, with the scores they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, expected: set[Any], predicted: set[Any]) -> None:
        """Count one article's expected and predicted items."""
        self.tp += len(expected & predicted)
        self.fp += len(predicted - expected)
        self.fn += len(expected - predicted)

    @property
    def precision(self) -> float:
        """Return tp / (tp + fp), 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Return tp / (tp + fn), 1.0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Return the harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Return counts and scores (rounded to 4 places)."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class Scores:
    """Relevance and deal scores over a set of articles."""

    articles: int = 0
    relevance: Counts = field(default_factory=Counts)
    deals: Counts = field(default_factory=Counts)  # (country, partner, stage)
    pairs: Counts = field(default_factory=Counts)  # (country, partner)

    def as_dict(self) -> dict[str, Any]:
        """Return the scores as plain data."""
        return {"articles": self.articles, "relevance": self.relevance.as_dict(),
                "deals": self.deals.as_dict(), "pairs": self.pairs.as_dict()}


@dataclass
class Mistake:
    """One article the classifier got wrong, for a person to read."""

    id: str
    lang: str
    title: str
    expected: list[dict[str, Any]]
    predicted: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """Return the mistake as plain data."""
        return {"id": self.id, "lang": self.lang, "title": self.title, "expected": self.expected,
                "predicted": self.predicted}


@dataclass
class EvalReport:
    """Everything `dealwatch eval` prints."""

    path: str
    version: str = CLASSIFIER_VERSION
    overall: Scores = field(default_factory=Scores)
    by_lang: dict[str, Scores] = field(default_factory=dict)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, predicted) stage
    dates: Counts = field(default_factory=Counts)  # event dates of deals found at the right stage
    stories: dict[str, float] | None = None  # pairwise precision/recall/F1 of the deduper
    mistakes: list[Mistake] = field(default_factory=list)
    scored: list[tuple[float, bool]] = field(default_factory=list)  # (confidence, right) of every candidate
    expected_deals: int = 0
    levels: Counts = field(default_factory=Counts)  # level and body of deals found at the right stage
    amounts: Counts = field(default_factory=Counts)  # amounts of deals whose labels carry `amount`
    statuses: Counts = field(default_factory=Counts)  # status of the amounts found right (tp right, fp wrong)
    purposes: Counts = field(default_factory=Counts)  # purposes of deals whose labels carry `purposes`
    labelled: Counter[str] = field(default_factory=Counter)  # deals carrying an "amount", a "purposes" label

    def by_threshold(self) -> list[dict[str, float]]:
        """Return deal precision, recall and F1 if only candidates of confidence >= t were deals, per t."""
        rows = []
        for step in range(1, 10):
            threshold = step / 10
            kept = [right for confidence, right in self.scored if confidence >= threshold]
            counts = Counts(tp=sum(kept), fp=len(kept) - sum(kept), fn=self.expected_deals - sum(kept))
            rows.append({"min_confidence": threshold, "deals": len(kept), "precision": round(counts.precision, 4),
                         "recall": round(counts.recall, 4), "f1": round(counts.f1, 4)})
        return rows

    def as_dict(self) -> dict[str, Any]:
        """Return the whole report as plain data (for `dealwatch eval --json` and the tests)."""
        return {
            "path": self.path, "version": self.version, "overall": self.overall.as_dict(),
            "by_lang": {lang: s.as_dict() for lang, s in sorted(self.by_lang.items())},
            "confusion": [{"expected": e, "predicted": p, "count": n} for (e, p), n in sorted(self.confusion.items())],
            "event_dates": {"correct": self.dates.tp, "wrong": self.dates.fp + self.dates.fn,
                            "accuracy": round(self.dates.tp / max(1, self.dates.tp + self.dates.fp), 4)},
            "stories": self.stories,
            "confidence": self.by_threshold(),
            "levels": {"correct": self.levels.tp, "wrong": self.levels.fp},
            "amounts": {"labelled_deals": self.labelled["amount"], **self.amounts.as_dict(),
                        "status_correct": self.statuses.tp, "status_wrong": self.statuses.fp},
            "purposes": {"labelled_deals": self.labelled["purposes"], **self.purposes.as_dict()},
            "mistakes": [m.as_dict() for m in self.mistakes],
        }

    def format(self) -> str:
        """Return the report as text for a person: scores, per language, confusion, then the wrong articles."""
        lines = [f"dealwatch eval {self.path}  (classifier {self.version}, {self.overall.articles} articles)", ""]
        lines.append(f"{'':30} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn")
        lines += _score_lines(self.overall)
        for lang, scores in sorted(self.by_lang.items()):
            lines += ["", f"[{lang}] {scores.articles} articles"] + _score_lines(scores)
        lines += ["", "Stage confusion (rows expected, columns predicted; '-' = pair missing on that side)"]
        lines += _confusion_lines(self.confusion)
        total = self.dates.tp + self.dates.fp
        lines += ["", f"Event dates right on deals found at the right stage: {self.dates.tp}/{total}"]
        lines.append(f"Level and body right on deals found at the right stage: {self.levels.tp}/"
                     f"{self.levels.tp + self.levels.fp}")
        lines += ["", f"{'labelled deals':44} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn"]
        for key, label, counts in (("amount", "amount (value within 2%, same currency)", self.amounts),
                                   ("purposes", "purposes", self.purposes)):
            if not self.labelled[key]:
                lines.append(f"{label:37} no deal carries the label")
                continue
            lines.append(f"{label:37} {self.labelled[key]:6d} {counts.precision:6.3f} {counts.recall:6.3f} "
                         f"{counts.f1:6.3f}  {counts.tp:3d} {counts.fp:3d} {counts.fn:3d}")
        if self.labelled["amount"]:
            lines.append(f"Amount status right on amounts found right: {self.statuses.tp}/"
                         f"{self.statuses.tp + self.statuses.fp}")
        lines += ["", "Deals by min_confidence (candidates at or above it)", f"{'min':>6} {'deals':>6} {'P':>6} "
                  f"{'R':>6} {'F1':>6}"]
        for row in self.by_threshold():
            lines.append(f"{row['min_confidence']:6.1f} {row['deals']:6d} {row['precision']:6.3f} "
                         f"{row['recall']:6.3f} {row['f1']:6.3f}")
        if self.stories is not None:
            lines.append("Stories (pairwise): P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}".format(**self.stories))
        lines += ["", f"Articles with a wrong tag: {len(self.mistakes)}"]
        for mistake in self.mistakes:
            lines += _mistake_lines(mistake)
        return "\n".join(lines)


def _score_lines(scores: Scores) -> list[str]:
    lines = []
    for label, counts in (("relevance", scores.relevance), ("deal (country,partner,stage)", scores.deals),
                          ("pair (country,partner)", scores.pairs)):
        lines.append(f"{label:30} {counts.precision:6.3f} {counts.recall:6.3f} {counts.f1:6.3f}  "
                     f"{counts.tp:3d} {counts.fp:3d} {counts.fn:3d}")
    return lines


def _confusion_lines(confusion: Counter[tuple[str, str]]) -> list[str]:
    columns = list(STAGES) + [MISSING]
    lines = [f"{'':10}" + "".join(f"{c:>10}" for c in columns)]
    for row in columns:
        lines.append(f"{row:10}" + "".join(f"{confusion.get((row, c), 0) or '.':>10}" for c in columns))
    return lines


def _deal_text(deal: dict[str, Any]) -> str:
    text = f"{deal['country']}-{deal['partner']} {deal['stage']}"
    if deal.get("event_date"):
        text += f" ({deal['event_date']})"
    amount = deal.get("amount")
    if amount:
        text += f" [{amount['currency']} {amount['value']:,.0f} {amount.get('status') or ''}]".replace(" ]", "]")
    if deal.get("purposes"):
        text += " {" + ", ".join(deal["purposes"]) + "}"
    return text


def _mistake_lines(mistake: Mistake) -> list[str]:
    lines = ["", f"- {mistake.id} [{mistake.lang}] {mistake.title}",
             "  expected: " + ("; ".join(_deal_text(d) for d in mistake.expected) or "not relevant"),
             "  got:      " + ("; ".join(_deal_text(d) for d in mistake.predicted) or "not relevant")]
    for deal in mistake.predicted:
        if deal.get("evidence"):
            lines.append(f"    {deal['country']}-{deal['partner']}: \"{deal['evidence']}\"")
    return lines


def read_corpus(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the records of a corpus JSONL file; raise InputError naming the bad line."""
    for number, record in read_jsonl(path):
        if isinstance(record, str):
            raise InputError(f"{path}:{number}: {record}")
        if "labels" not in record:
            raise InputError(f"{path}:{number}: a corpus record needs 'labels'")
        yield record


def _predicted(result: Classification) -> list[dict[str, Any]]:
    return [{"country": d.country, "partner": d.partner, "stage": d.stage, "event_date": d.event_date,
             "evidence": d.evidence, "confidence": d.confidence, "level": d.level, "body": d.body,
             "amount": asdict(d.amount) if d.amount else None, "purposes": d.purposes}
            for d in result.deals]


def score_records(records: Iterable[dict[str, Any]], path: str = "") -> EvalReport:
    """Return the report for labelled records, classifying each one."""
    report = EvalReport(path=path)
    story_items: list[tuple[dict[str, Any], Classification]] = []
    for record in records:
        result = classify_article(record.get("title") or "", record.get("text") or "", record.get("published"),
                                  record.get("lang"))
        _score_one(report, record, result)
        story_items.append((record, result))
    report.stories = _story_scores(story_items)
    return report


def _score_one(report: EvalReport, record: dict[str, Any], result: Classification) -> None:
    labels = record["labels"]
    lang = record.get("lang") or "?"
    expected = labels.get("deals") or []
    predicted = _predicted(result)
    gold = {(d["country"], d["partner"], d["stage"]) for d in expected}
    got = {(d["country"], d["partner"], d["stage"]) for d in predicted}
    for scores in (report.overall, report.by_lang.setdefault(lang, Scores())):
        scores.articles += 1
        scores.relevance.add({True} if labels.get("relevant") else set(), {True} if result.relevant else set())
        scores.deals.add(gold, got)
        scores.pairs.add({g[:2] for g in gold}, {g[:2] for g in got})
    gold_stage = {(c, p): s for c, p, s in gold}
    got_stage = {(c, p): s for c, p, s in got}
    for pair in gold_stage.keys() | got_stage.keys():
        report.confusion[(gold_stage.get(pair, MISSING), got_stage.get(pair, MISSING))] += 1
    gold_dates = {(d["country"], d["partner"], d["stage"]): d.get("event_date") for d in expected}
    gold_levels = {(d["country"], d["partner"], d["stage"]): (d.get("level"), d.get("body")) for d in expected}
    for deal in predicted:
        key = (deal["country"], deal["partner"], deal["stage"])
        if key in gold_dates:
            report.dates.add({gold_dates[key]}, {deal["event_date"]})
        level, body = gold_levels.get(key, (None, None))
        if level is not None:
            right = level == deal["level"] and (level == "national" or _same_body(body, deal["body"]))
            report.levels.tp += right
            report.levels.fp += not right
    report.expected_deals += len(gold)
    report.scored += [(d.confidence, (d.country, d.partner, d.stage) in gold) for d in result.deals + result.candidates]
    details_right = _score_details(report, expected, predicted)
    if gold != got or bool(labels.get("relevant")) != result.relevant or not details_right:
        report.mistakes.append(Mistake(str(record.get("id", "?")), lang, record.get("title") or "", expected,
                                       predicted))


def _key(deal: dict[str, Any]) -> tuple[str, str, str]:
    return (deal["country"], deal["partner"], deal["stage"])


def _same_amount(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    """Return True when a predicted amount is the labelled one: the same currency, the value within 2%."""
    value = float(expected["value"])
    return expected.get("currency") == got["currency"] and abs(got["value"] - value) <= AMOUNT_TOLERANCE * abs(value)


def _score_details(report: EvalReport, expected: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> bool:
    """Count amounts and purposes over the deals labelled with them; return False when any is wrong.

    A predicted amount or purpose is right only on a right deal (country, partner, stage); in an
    article whose deals carry the label, one on a wrong deal is a false positive.
    """
    got = {_key(d): d for d in predicted}
    right = True
    for label, score in (("amount", _score_amount), ("purposes", _score_purposes)):
        labelled = {_key(d): d for d in expected if label in d}
        if not labelled:
            continue
        report.labelled[label] += len(labelled)
        keys = set(labelled) | {k for k in got if k not in {_key(d) for d in expected}}
        for key in keys:
            right &= score(report, labelled[key][label] if key in labelled else None, got.get(key))
    return right


def _score_amount(report: EvalReport, expected: dict[str, Any] | None, deal: dict[str, Any] | None) -> bool:
    got = deal["amount"] if deal else None
    if expected and got and _same_amount(expected, got):
        report.amounts.tp += 1
        if expected.get("status"):
            report.statuses.tp += expected["status"] == got["status"]
            report.statuses.fp += expected["status"] != got["status"]
            return bool(expected["status"] == got["status"])
        return True
    report.amounts.fp += got is not None
    report.amounts.fn += expected is not None
    return expected is None and got is None


def _score_purposes(report: EvalReport, expected: list[str] | None, deal: dict[str, Any] | None) -> bool:
    wanted, said = set(expected or []), set(deal["purposes"] if deal else [])
    report.purposes.add(wanted, said)
    return wanted == said


def _same_body(expected: str | None, got: str | None) -> bool:
    """Return True when two names of a sub-national body agree ("Quebec" and "Québec", "Bavaria" and "Bavaria")."""
    from pipeline.classify.vocab import normalise_name

    return bool(expected and got) and normalise_name(expected or "") == normalise_name(got or "")


def _story_scores(items: list[tuple[dict[str, Any], Classification]]) -> dict[str, float] | None:
    """Return the deduper's pairwise story scores, or None when the corpus has no stories or no deduper."""
    truth = {str(r["id"]): str(r["story"]) for r, _ in items if r.get("story") and r.get("id")}
    if not truth:
        return None
    try:
        from pipeline.dedupe import cluster, pairwise_scores, story_item
    except ImportError:
        LOGGER.info("no story deduper available; stories not scored")
        return None
    story_items = [story_item(str(r["id"]), r.get("title") or "", (r.get("text") or "")[:2000], r.get("published"), c)
                   for r, c in items if str(r.get("id")) in truth]
    precision, recall, f1 = pairwise_scores(cluster(story_items), truth)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def evaluate_file(path: Path) -> EvalReport:
    """Return the report for one labelled corpus JSONL file."""
    path = Path(path)
    return score_records(read_corpus(path), str(path))


def relevant_rate(records: Iterable[dict[str, Any]]) -> tuple[int, int, list[str]]:
    """Return (articles tagged relevant, articles, their ids) for unlabelled news items that report no deal."""
    flagged: list[str] = []
    total = 0
    for record in records:
        total += 1
        result = classify_article(record.get("title") or "", record.get("text") or "", record.get("published"),
                                  record.get("lang"))
        if result.relevant:
            flagged.append(str(record.get("id", total)))
    return len(flagged), total, flagged
