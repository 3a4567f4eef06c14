"""Customer emotion in Chinese and English: a level (calm / upset / angry) and a 0-1 score per message.

The score comes from a small classifier trained on public data (`bot.emotion.model`, weights shipped in
bot/emotion/model/), moved by the lexicon's explainable overrides (`bot.emotion.overrides`: safety words,
insults, anger emoji, negated praise and negated complaints, degree words and "!!!"). The level cuts the
score at the thresholds from settings (BOT_EMOTION_UPSET_AT / _ANGRY_AT). Without the model's files the
lexicon scores alone (a warning is logged once)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bot.emotion.lexicon import LEXICON, Emotion, LexiconScorer, lexicon_score
from bot.emotion.model import EmotionModel, load_model
from bot.emotion.overrides import Override, apply_overrides, find_overrides

__all__ = ["Emotion", "EmotionScorer", "Explanation", "get_scorer"]

log = logging.getLogger(__name__)
# Repeated "!"/"?", CAPITALS, stretched characters and degree words ("非常失望") make an unhappy message more so
# (the lexicon's intensity, 0-4): the score moves this share of the way to 1 per point, once the model already
# reads the message as upset.
INTENSITY_SHARE = 0.1


@dataclass(frozen=True)
class Explanation:
    emotion: Emotion
    model_score: Optional[float]  # None without the model
    probabilities: Optional[Tuple[float, float, float]]  # P(calm), P(upset), P(angry)
    lexicon_score: Optional[float]  # only without the model: the lexicon then scores alone
    overrides: List[Override]


class EmotionScorer:
    def __init__(self, upset_at: float = 0.15, angry_at: float = 0.6, lexicon: Path = LEXICON,
                 model_dir: Optional[Path] = None) -> None:
        self.upset_at = upset_at
        self.angry_at = angry_at
        self._lexicon_path = lexicon
        self._lexicon = LexiconScorer(upset_at, angry_at, lexicon)
        self._model_dir = model_dir
        self._model: Optional[EmotionModel] = None
        self._model_loaded = False

    def _get_model(self) -> Optional[EmotionModel]:
        if not self._model_loaded:
            self._model = load_model(str(self._model_dir) if self._model_dir else None)
            self._model_loaded = True
            if self._model is None:
                log.warning("emotion model files are missing (bot/emotion/model/); scoring with the lexicon only")
        return self._model

    def score(self, text: str) -> Emotion:
        return self.explain(text).emotion

    def explain(self, text: str) -> Explanation:
        """The emotion with what made it: the model's probabilities, the lexicon's score, the overrides."""
        text = text or ""
        model = self._get_model() if text.strip() else None
        reading = self._lexicon.reading(text)
        probabilities = model.probabilities(text, reading) if model else None
        model_score = model.score_from(probabilities) if model and probabilities else None
        lexical = lexicon_score(reading.raw) if model_score is None else None
        score = lexical if model_score is None else model_score
        intensity = LexiconScorer.intensity(text) + (1.0 if reading.intensified else 0.0)
        if model_score is not None and score >= self.upset_at and intensity > 0:
            score += (1.0 - score) * min(0.5, INTENSITY_SHARE * intensity)
        overrides = find_overrides(text, self._lexicon_path, reading if model_score is not None else None)
        score = apply_overrides(score, overrides, self.upset_at, self.angry_at)
        level = "angry" if score >= self.angry_at else "upset" if score >= self.upset_at else "calm"
        return Explanation(Emotion(level=level, score=round(score, 3)), model_score, probabilities, lexical,
                           overrides)


_scorers: Dict[Tuple[float, float], EmotionScorer] = {}


def get_scorer(upset_at: float = 0.15, angry_at: float = 0.6) -> EmotionScorer:
    """One scorer per pair of thresholds, per process (the model and lexicon load on first use)."""
    key = (upset_at, angry_at)
    if key not in _scorers:
        _scorers[key] = EmotionScorer(upset_at, angry_at)
    return _scorers[key]
