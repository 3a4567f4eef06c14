"""The language and emotion of a customer's message, as Rasa entities (see `bot.rasa.signals_component`)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from bot.emotion.scorer import get_scorer
from bot.text.language import detect_language

SIGNAL_ENTITIES = ("language", "emotion", "emotion_score")
EXTRACTOR = "CustomerSignals"


def signal_entities(text: str, upset_at: float, angry_at: float) -> List[Dict[Text, Any]]:
    """The language (when the text shows one) and the emotion of a customer's message, as entities.

    Button payloads ("/intent{…}") say nothing about the customer, so they give none."""
    if not text or text.startswith("/"):
        return []
    entities: List[Dict[Text, Any]] = []
    span = {"start": 0, "end": len(text), "extractor": EXTRACTOR}
    language: Optional[str] = detect_language(text)
    if language:
        entities.append({"entity": "language", "value": language, **span})
    emotion = get_scorer(upset_at, angry_at).score(text)
    entities.append({"entity": "emotion", "value": emotion.level, **span})
    entities.append({"entity": "emotion_score", "value": emotion.score, **span})
    return entities
