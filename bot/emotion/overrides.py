"""The lexicon's explainable overrides on top of the trained model (bot/emotion/lexicon.yml, `overrides:`):
safety words, threats and insults make a message angry; anger emoji make it upset or angry; a negated
complaint ("不是不满意", "not angry") keeps it calm. Each override names itself, so an operator can see why."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Pattern, Tuple

import yaml

from bot.emotion.lexicon import LexiconReading


@dataclass(frozen=True)
class Override:
    level: str  # angry | upset | calm
    reason: str  # what matched, e.g. "angry word: 12315" or "anger emoji ×3"


@dataclass(frozen=True)
class _Rules:
    angry: Dict[str, Tuple[str, ...]]  # language -> phrases
    angry_en: Optional[Pattern[str]]
    calm: Dict[str, Tuple[str, ...]]
    calm_en: Optional[Pattern[str]]
    anger_emoji: Tuple[str, ...]
    strongest_emoji: Tuple[str, ...]


def _words(phrases: Tuple[str, ...]) -> Optional[Pattern[str]]:
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![a-z'])(?:{alternatives})(?![a-z])", re.IGNORECASE)


@lru_cache(maxsize=4)
def _rules(path: str) -> _Rules:
    raw = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("overrides") or {}

    def phrases(section: str, language: str) -> Tuple[str, ...]:
        return tuple(str(p).lower() for p in ((raw.get(section) or {}).get(language) or ()))

    return _Rules(
        angry={"zh": phrases("angry", "zh")}, angry_en=_words(phrases("angry", "en")),
        calm={"zh": phrases("calm", "zh")}, calm_en=_words(phrases("calm", "en")),
        anger_emoji=tuple(str(e) for e in raw.get("anger_emoji") or ()),
        strongest_emoji=tuple(str(e) for e in raw.get("strongest_emoji") or ()),
    )


def find_overrides(text: str, lexicon: Path, reading: Optional[LexiconReading] = None) -> List[Override]:
    """Every override that applies to a message, strongest first. With the lexicon's reading, negation counts
    too: praise negated ("不满意", "not happy") and a clear displeasure word ("失望", "disappointed") are at
    least upset; praise alone ("满意", "thanks, great",
    "不是不满意") is calm."""
    rules = _rules(str(lexicon))
    lowered = (text or "").lower()
    found: List[Override] = []
    for phrase in rules.angry["zh"]:
        if phrase in lowered:
            found.append(Override("angry", f"angry word: {phrase}"))
    if rules.angry_en is not None:
        found += [Override("angry", f"angry word: {match.group(0).lower()}")
                  for match in rules.angry_en.finditer(lowered)]
    emoji = sum(lowered.count(e) for e in rules.anger_emoji)
    strongest = sum(lowered.count(e) for e in rules.strongest_emoji)
    if strongest or emoji >= 2:
        found.append(Override("angry", f"anger emoji ×{emoji}"))
    elif emoji == 1:
        found.append(Override("upset", "anger emoji ×1"))
    calm = [p for p in rules.calm["zh"] if p in lowered]
    if rules.calm_en is not None:
        calm += [m.group(0).lower() for m in rules.calm_en.finditer(lowered)]
    found += [Override("calm", f"negated complaint: {phrase}") for phrase in calm]
    if reading is not None:
        if reading.negated_praise:
            found.append(Override("upset", f"negated praise: not {reading.negated_praise[0]}"))
        elif reading.strong_complaints:
            found.append(Override("upset", f"displeasure word: {reading.strong_complaints[0]}"))
        elif reading.praise and not reading.complaints and reading.raw < 0:
            found.append(Override("calm", f"praise only: {reading.praise[0]}"))
    order = {"angry": 0, "upset": 1, "calm": 2}
    return sorted(found, key=lambda o: order[o.level])


def apply_overrides(score: float, overrides: List[Override], upset_at: float, angry_at: float) -> float:
    """The model's score moved by the overrides: angry ones lift it to the angry threshold at least, an upset
    one to the upset threshold; a negated complaint holds it under the upset threshold unless something angry
    also matched."""
    levels = {o.level for o in overrides}
    if "angry" in levels:
        return max(score, angry_at)
    if "upset" in levels:
        return max(score, upset_at)
    if "calm" in levels:
        return min(score, upset_at * 0.9)
    return score
