"""Score pipeline.extract on the real pages of shared/eval/real/html against their ground truth.

Scoring follows scrapinghub/article-extraction-benchmark (evaluate.py): word 4-gram shingles of
the extracted and true article bodies, TP/FP/FN counted per page and normalised so long pages do
not weigh more, precision and recall averaged over pages, F1 = 2PR/(P+R) of those means (the
figure behind trafilatura's published 0.958). The mean of per-page F1 is printed beside it.

Baselines measured in the same run: plain `trafilatura.extract` with its defaults, and the text
of every <p> element (BeautifulSoup). Run: `.venv/bin/python bench/extract.py [--html DIR]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.extract import extract_page, normalise_date  # noqa: E402 - needs the repository on sys.path first

LOGGER = logging.getLogger(__name__)
DEFAULT_HTML = ROOT.parent / "shared" / "eval" / "real" / "html"
TOKEN_RE = re.compile(r"\w+")
SHINGLE = 4
# Expected page language per fundus file prefix (ua_Pravda is its Russian-language edition).
FUNDUS_LANG = {"us": "en", "uk": "en", "de": "de", "fr": "fr", "es": "es", "it": "it", "jp": "ja", "cn": "zh",
               "ru": "ru", "tr": "tr", "kr": "ko", "vn": "vi", "ind": "hi", "lb": "ar", "ua": "ru"}

Extractor = Callable[[bytes, str], str]
Match = tuple[float, float, float]


@dataclass(frozen=True)
class Page:
    """One benchmark page: its key (path under html/), raw gzip bytes, URL and ground truth."""

    key: str
    raw: bytes
    url: str
    truth: dict[str, str]

    @property
    def subset(self) -> str:
        """Return the subset folder the page comes from (scrapinghub or fundus)."""
        return self.key.split("/", 1)[0]


@dataclass(frozen=True)
class Scores:
    """Benchmark figures over a set of pages."""

    precision: float
    recall: float
    f1: float
    mean_f1: float
    pages: int


@dataclass(frozen=True)
class Run:
    """Per-page shingle matches of one extractor and its speed."""

    matches: dict[str, Match]
    ms_per_page: float


def load_pages(folder: Path) -> list[Page]:
    """Return the pages listed in folder/ground-truth.json, in its order."""
    items = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))["items"]
    return [Page(key, (folder / key).read_bytes(), item["url"], item) for key, item in items.items()]


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Return the multiset of word 4-grams of text (one shorter shingle for texts under four words)."""
    tokens = TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i:i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))
                   if tokens[i:i + SHINGLE])


def match(true: str, pred: str) -> Match:
    """Return (TP, FP, FN) shingle counts normalised to sum to 1 (all zero when both texts are empty)."""
    true_counts, pred_counts = shingles(true), shingles(pred)
    tp = sum((true_counts & pred_counts).values())
    fp = sum((pred_counts - true_counts).values())
    fn = sum((true_counts - pred_counts).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision_of(m: Match) -> float:
    """Return a page's shingle precision, as upstream defines the empty cases."""
    tp, fp, fn = m
    return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))


def recall_of(m: Match) -> float:
    """Return a page's shingle recall, as upstream defines the empty cases."""
    tp, fp, fn = m
    return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))


def f1_of(m: Match) -> float:
    """Return a page's shingle F1."""
    p, r = precision_of(m), recall_of(m)
    return 2 * p * r / (p + r) if p + r else 0.0


def summarise(matches: list[Match]) -> Scores:
    """Return upstream's figures (means of P and R over pages, F1 of the means) plus the mean page F1."""
    precision = statistics.mean([precision_of(m) for m in matches if m[0] + m[1] > 0] or [0.0])
    recall = statistics.mean([recall_of(m) for m in matches if m[0] + m[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, statistics.mean(f1_of(m) for m in matches), len(matches))


def evaluate(pages: list[Page], extractor: Extractor) -> Run:
    """Return each page's shingle match for extractor's text and the mean time per page in ms."""
    return evaluate_all(pages, {"": extractor})[""]


def evaluate_all(pages: list[Page], extractors: dict[str, Extractor]) -> dict[str, Run]:
    """Return a Run per extractor, taking turns page by page so load from other processes hits all alike."""
    matches: dict[str, dict[str, Match]] = {name: {} for name in extractors}
    elapsed = dict.fromkeys(extractors, 0.0)
    for page in pages:
        for name, extractor in extractors.items():
            started = time.perf_counter()
            text = extractor(page.raw, page.url)
            elapsed[name] += time.perf_counter() - started
            matches[name][page.key] = match(page.truth.get("articleBody", ""), text)
    return {name: Run(matches[name], 1000 * elapsed[name] / max(1, len(pages))) for name in extractors}


def dealwatch_text(raw: bytes, url: str) -> str:
    """Return pipeline.extract's main text for a page."""
    return extract_page(raw, url).text


def trafilatura_text(raw: bytes, url: str) -> str:
    """Return plain trafilatura.extract output with its defaults for the page as fetched."""
    return trafilatura.extract(gzip.decompress(raw)) or ""


def paragraphs_text(raw: bytes, url: str) -> str:
    """Return the text of every <p> element, the crudest article extractor."""
    soup = BeautifulSoup(gzip.decompress(raw), "lxml")
    return "\n\n".join(p.get_text(" ", strip=True) for p in soup.find_all("p"))


def print_scores(name: str, pages: list[Page], run: Run, baseline: Run | None) -> None:
    """Print one extractor's figures per subset and overall, with ratios to the baseline run."""
    for subset in [*sorted({p.subset for p in pages}), "overall"]:
        keys = [p.key for p in pages if subset in ("overall", p.subset)]
        scores = summarise([run.matches[k] for k in keys])
        line = (f"{name:<22} {subset:<12} n={scores.pages:<3} P={scores.precision:.3f} R={scores.recall:.3f} "
                f"F1={scores.f1:.3f} meanF1={scores.mean_f1:.3f}")
        if baseline is not None:
            base = summarise([baseline.matches[k] for k in keys])
            line += f"  F1 ratio={scores.f1 / base.f1:.3f}"
        print(line)
    speed = f"{name:<22} {run.ms_per_page:.1f} ms/page"
    if baseline is not None:
        speed += f"  time ratio={run.ms_per_page / baseline.ms_per_page:.2f}"
    print(speed)


def print_metadata(pages: list[Page]) -> None:
    """Print how many fundus pages get the ground-truth title, UTC publication time and language."""
    fundus = [p for p in pages if p.subset == "fundus"]
    title_ok = published_ok = lang_ok = 0
    for page in fundus:
        result = extract_page(page.raw, page.url)
        title_ok += " ".join((result.title or "").split()) == " ".join(page.truth["title"].split())
        published_ok += result.published == truth_published(page.truth["publishing_date"])
        lang_ok += result.lang == FUNDUS_LANG[page.key.split("/")[1].split("_")[0]]
    print(f"fundus metadata (n={len(fundus)}): title exact {title_ok}, published {published_ok}, lang {lang_ok}")


def truth_published(value: str) -> str:
    """Return a fundus publishing_date in the extractor's format (UTC when zoned, seconds precision)."""
    return normalise_date(value.replace(" ", "T", 1)) or ""


def print_body_sources(pages: list[Page]) -> None:
    """Print on how many pages the duplicate-hash text came from a body element rather than the main text."""
    results = [extract_page(p.raw, p.url) for p in pages]
    from_element = sum(r.body_hash_source != r.text for r in results)
    print(f"body_hash_source from an article body element: {from_element}/{len(pages)} pages")


def main() -> int:
    """Run the benchmark and print figures; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=DEFAULT_HTML, help="folder holding ground-truth.json")
    parser.add_argument("--worst", type=int, default=8, help="list this many worst pages of dealwatch")
    args = parser.parse_args()
    if not (args.html / "ground-truth.json").is_file():
        print(f"skipped: no benchmark pages at {args.html}")
        return 0
    # trafilatura logs a warning per discarded page; the figures are what matters here.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    pages = load_pages(args.html)
    runs = evaluate_all(pages, {"dealwatch": dealwatch_text, "trafilatura defaults": trafilatura_text,
                                "<p> text (bs4)": paragraphs_text})
    baseline = runs["trafilatura defaults"]
    for name, run in runs.items():
        print_scores(name, pages, run, None if run is baseline else baseline)
    worst = sorted(runs["dealwatch"].matches.items(), key=lambda kv: f1_of(kv[1]))[:args.worst]
    for key, m in worst:
        print(f"  worst: {key[:60]:<60} P={precision_of(m):.3f} R={recall_of(m):.3f}")
    print_metadata(pages)
    print_body_sources(pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
