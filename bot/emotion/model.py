"""The trained emotion classifier: a linear model over hashed features (`bot.emotion.features`), shipped as
bot/emotion/model/weights.npz (float16) with bot/emotion/model/model.json (classes, feature settings, score
knots, data sources). Trained by `python -m tools.emotion_model train`; loaded once per process, on first use.

The classes' probabilities become one 0-1 score that the level thresholds (BOT_EMOTION_UPSET_AT / _ANGRY_AT)
cut: an anger index P(angry) + ½·P(upset), stretched so that the two knots chosen on held-out data land on the
default thresholds 0.15 and 0.6; an operator can still move the thresholds."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.emotion.features import FeatureConfig, hashed
from bot.emotion.lexicon import LEXICON, LexiconReading, LexiconScorer

MODEL_DIR = Path(__file__).with_name("model")
CLASSES = ("calm", "upset", "angry")
# Where the two knots land on the 0-1 score: the default thresholds (bot/settings.py).
UPSET_SCORE = 0.15
ANGRY_SCORE = 0.6
UPSET_SHARE = 0.5  # how much P(upset) adds to the anger index


@dataclass(frozen=True)
class Knots:
    upset: float  # the anger index at which the score reaches UPSET_SCORE
    angry: float  # the anger index at which the score reaches ANGRY_SCORE


def anger_index(probabilities: Sequence[float]) -> float:
    """P(angry) + half of P(upset): 0 for calm, at most 0.5 for pure sadness, 1 for pure anger."""
    _, upset, angry = probabilities
    return min(1.0, max(0.0, UPSET_SHARE * upset + angry))


def score_from_probabilities(probabilities: Sequence[float], knots: Knots) -> float:
    """One 0-1 score from P(calm), P(upset), P(angry): the anger index, stretched piecewise linearly so that its
    knots land on the default thresholds (0 -> 0, upset knot -> 0.15, angry knot -> 0.6, 1 -> 1)."""
    x = anger_index(probabilities)
    points = ((0.0, 0.0), (knots.upset, UPSET_SCORE), (knots.angry, ANGRY_SCORE), (1.0, 1.0))
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 > x0 else y1
    return 1.0


class EmotionModel:
    def __init__(self, weights: np.ndarray, bias: np.ndarray, config: FeatureConfig, knots: Knots,
                 metadata: Dict, lexicon: Path = LEXICON) -> None:
        self._lexicon = LexiconScorer(lexicon=lexicon)
        self._weights = weights.astype(np.float32)  # buckets x classes
        self._bias = bias.astype(np.float32)
        self.config = config
        self.knots = knots
        self.metadata = metadata

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> "EmotionModel":
        metadata = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        if tuple(metadata["classes"]) != CLASSES:
            raise ValueError(f"{directory / 'model.json'}: classes {metadata['classes']}, expected {list(CLASSES)}")
        with np.load(directory / "weights.npz") as arrays:
            weights, bias = arrays["weights"], arrays["bias"]
        features = metadata["features"]
        config = FeatureConfig(buckets=int(features["buckets"]), han_ngrams=tuple(features["han_ngrams"]),
                               char_ngrams=tuple(features["char_ngrams"]))
        if weights.shape != (config.buckets, len(CLASSES)):
            raise ValueError(f"{directory / 'weights.npz'}: shape {weights.shape}, expected "
                             f"({config.buckets}, {len(CLASSES)})")
        knots = Knots(upset=float(metadata["knots"]["upset"]), angry=float(metadata["knots"]["angry"]))
        return cls(weights, bias, config, knots, metadata)

    def features(self, text: str, reading: Optional[LexiconReading] = None) -> Tuple[List[int], List[float]]:
        reading = reading or self._lexicon.reading(text)
        return hashed(text, self.config, (reading.raw, reading.hits))

    def probabilities(self, text: str, reading: Optional[LexiconReading] = None) -> Tuple[float, float, float]:
        """P(calm), P(upset), P(angry); `reading` is the lexicon's reading of the text when already made."""
        indices, values = self.features(text, reading)
        decision = self._bias + np.asarray(values, dtype=np.float32) @ self._weights[indices]
        # One-vs-rest logistic outputs, normalised: what scikit-learn's SGDClassifier.predict_proba gives, so
        # the knots chosen on its held-out probabilities mean the same here.
        p = 1.0 / (1.0 + np.exp(-np.clip(decision, -50.0, 50.0)))
        p = p / p.sum()
        return float(p[0]), float(p[1]), float(p[2])

    def score(self, text: str) -> float:
        return self.score_from(self.probabilities(text))

    def score_from(self, probabilities: Sequence[float]) -> float:
        return score_from_probabilities(probabilities, self.knots)


@lru_cache(maxsize=2)
def load_model(directory: Optional[str] = None) -> Optional[EmotionModel]:
    """The shipped model, loaded once per process; None when its files are absent (the lexicon then scores)."""
    path = Path(directory) if directory else MODEL_DIR
    if not (path / "model.json").exists() or not (path / "weights.npz").exists():
        return None
    return EmotionModel.load(path)
