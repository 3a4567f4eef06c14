"""A lexicon scorer for customer emotion in Chinese and English.

Why a lexicon rather than a trained model: it needs no labelled training data (our labelled
messages stay held out for the benchmark), it behaves predictably on the cases customer
service cares about (negation, "非常"/"太…了", "!!!"), and an operator can read and tune it.
Each sentiment word adds its weight, multiplied by the degree words before it and flipped
(and softened) by a negator within three tokens; two negators cancel ("不是不满意").
Repeated "!"/"?", CAPITALS and repeated characters intensify. The raw sum becomes a 0-1 score.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, List, Tuple

import yaml

from bot.text.language import detect_language

LEXICON = Path(__file__).with_name("lexicon.yml")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_EN_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|n't|\d+")
NEGATION_WINDOW = 3


@dataclass(frozen=True)
class Emotion:
    level: str  # calm | upset | angry
    score: float  # 0 (content) .. 1 (furious)


@dataclass(frozen=True)
class _Language:
    words: Dict[str, float]
    negators: FrozenSet[str]
    degree: Dict[str, float]


@lru_cache(maxsize=4)
def _emoji(path: str) -> Dict[str, float]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {str(k): float(v) for k, v in (raw.get("emoji") or {}).items()}


@lru_cache(maxsize=4)
def _lexicon(path: str) -> Dict[str, _Language]:
    raw = dict(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    raw.pop("emoji", None)  # the same in every language: _emoji
    return {
        language: _Language(
            words={str(k).lower(): float(v) for k, v in section["words"].items()},
            negators=frozenset(str(n).lower() for n in section["negators"]),
            degree={str(k).lower(): float(v) for k, v in section["degree"].items()},
        )
        for language, section in raw.items()
    }


class EmotionScorer:
    def __init__(self, upset_at: float = 0.15, angry_at: float = 0.6, lexicon: Path = LEXICON) -> None:
        self.upset_at = upset_at
        self.angry_at = angry_at
        self._lexicon = _lexicon(str(lexicon))
        self._emoji = _emoji(str(lexicon))
        self._jieba = None

    def _zh_tokens(self, text: str) -> List[str]:
        if self._jieba is None:
            import jieba

            tokenizer = jieba.Tokenizer()
            for word in list(self._lexicon["zh"].words) + list(self._lexicon["zh"].degree):
                tokenizer.add_word(word, freq=2000)
            for negator in self._lexicon["zh"].negators:
                tokenizer.add_word(negator, freq=2000)
            self._jieba = tokenizer
        tokens: List[str] = []
        lexicon = self._lexicon["zh"]
        for token in self._jieba.lcut(text):
            if not token.strip():
                continue
            if token in lexicon.words or len(token) < 2:
                tokens.append(token)
                continue
            # "太慢", "超烂": jieba keeps a degree word and a sentiment word together; split them.
            for start in range(1, len(token)):
                head, tail = token[:start], token[start:]
                if tail in lexicon.words and (head in lexicon.degree or head in lexicon.negators):
                    tokens.extend([head, tail])
                    break
            else:
                tokens.append(token)
        return tokens

    def score(self, text: str) -> Emotion:
        text = text or ""
        language = "zh" if _HAN.search(text) else (detect_language(text) or "en")
        lowered = text.lower()
        tokens = self._zh_tokens(lowered) if language == "zh" else _EN_TOKEN.findall(lowered)
        raw = self._lexical(tokens, self._lexicon[language])
        if language == "zh":  # 太…了 frames the words between them
            raw *= 1.3 if re.search(r"太.{1,6}了", text) else 1.0
        raw += sum(weight * text.count(symbol) for symbol, weight in self._emoji.items())
        raw += self._intensity(text)
        return self._emotion(raw)

    def _lexical(self, tokens: List[str], lexicon: _Language) -> float:
        total = 0.0
        for position, token in enumerate(tokens):
            weight = lexicon.words.get(token)
            if weight is None:
                continue
            window = tokens[max(0, position - NEGATION_WINDOW) : position]
            negations = sum(1 for t in window if t in lexicon.negators)
            degree = 1.0
            for t in window:
                degree *= lexicon.degree.get(t, 1.0)
            value = weight * degree
            if negations % 2 == 1:
                # "不满意" is displeasure; "not bad" is mild approval: negation flips and softens.
                value = -value * (1.0 if weight < 0 else 0.5)
            total += value
        return total

    @staticmethod
    def _intensity(text: str) -> float:
        bonus = 0.0
        exclaims = len(re.findall(r"[!！]", text))
        questions = len(re.findall(r"[?？]", text))
        bonus += 0.5 * max(0, exclaims - 1) + 0.3 * max(0, questions - 1)
        shouted = [w for w in re.findall(r"\b[A-Z]{3,}\b", text) if w not in {"VIP", "SMS", "USB", "OLED", "SF", "JD"}]
        bonus += 0.6 * len(shouted)
        if re.search(r"(.)\1{3,}", text):  # "啊啊啊啊", "nooooo"
            bonus += 0.5
        return min(bonus, 3.0)

    def _emotion(self, raw: float) -> Emotion:
        score = 0.0 if raw <= 0 else 1 - math.exp(-raw / 3.0)
        level = "angry" if score >= self.angry_at else "upset" if score >= self.upset_at else "calm"
        return Emotion(level=level, score=round(score, 3))


_scorers: Dict[Tuple[float, float], EmotionScorer] = {}


def get_scorer(upset_at: float = 0.15, angry_at: float = 0.6) -> EmotionScorer:
    key = (upset_at, angry_at)
    if key not in _scorers:
        _scorers[key] = EmotionScorer(upset_at, angry_at)
    return _scorers[key]
