"""Calibrated confidence for candidate deals: a logistic model over the evidence features.

The model is a small JSON file (`config/confidence.json`: feature weights, intercept, the
threshold it recommends and what it was trained on), written by `python -m
pipeline.classify.train` from labelled articles that the rules had never been developed on, so
that its probabilities describe unseen news. Scoring is one dot product per candidate.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.classify.vocab import DEFAULT_CONFIG_DIR, Stamps, file_stamps

LOGGER = logging.getLogger(__name__)

MODEL_FILE = "confidence.json"
FALLBACK_THRESHOLD = 0.5


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic weights per feature name, an intercept, and the recommended min_confidence."""

    # With no model file, every rule-based deal scores 0.88 and a weakened one 0.12.
    weights: dict[str, float] = field(default_factory=dict)
    intercept: float = 2.0
    threshold: float = FALLBACK_THRESHOLD
    weak_confidence: float = 0.12  # candidates backed only by negated, modal or denied cues

    def score(self, features: dict[str, float]) -> float:
        """Return the probability that a candidate with these features is a right (country, partner, stage)."""
        if features.get("weak"):
            return self.weak_confidence
        z = self.intercept + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def contributions(self, features: dict[str, float]) -> list[tuple[str, float]]:
        """Return each non-zero feature's share of the score (weight × value), largest first."""
        parts = [(name, self.weights.get(name, 0.0) * value) for name, value in features.items()]
        return sorted((p for p in parts if p[1]), key=lambda p: -abs(p[1]))


def load_model(config_dir: Path | None = None) -> ConfidenceModel:
    """Return the model of `config_dir` (default: the repository's config/); a missing file gives the fallback."""
    path = (Path(config_dir) if config_dir is not None else DEFAULT_CONFIG_DIR) / MODEL_FILE
    if not path.is_file():
        LOGGER.warning("confidence model %s is missing; every deal gets the fallback confidence", path)
        return ConfidenceModel()
    data = json.loads(path.read_text(encoding="utf-8"))
    return ConfidenceModel(weights={str(k): float(v) for k, v in data["weights"].items()},
                           intercept=float(data["intercept"]), threshold=float(data["threshold"]),
                           weak_confidence=float(data["weak_confidence"]))


_CACHE: dict[Path, tuple[Stamps, ConfidenceModel]] = {}
_LOCK = threading.Lock()


def model(config_dir: Path | None = None) -> ConfidenceModel:
    """Return the model for `config_dir`, loaded once per process and again only when its file changed."""
    directory = Path(config_dir) if config_dir is not None else DEFAULT_CONFIG_DIR
    stamps = file_stamps(directory, (MODEL_FILE,))
    cached = _CACHE.get(directory)
    if cached is not None and cached[0] == stamps:
        return cached[1]
    with _LOCK:
        cached = _CACHE.get(directory)
        if cached is None or cached[0] != stamps:
            cached = _CACHE[directory] = (stamps, load_model(directory))
        return cached[1]


def threshold_for(min_confidence: float | None, config_dir: Path | None = None) -> float:
    """Return `min_confidence`, or the model's recommended threshold when it is None."""
    return model(config_dir).threshold if min_confidence is None else min_confidence
