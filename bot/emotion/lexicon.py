"""The lexicon reading of customer emotion in Chinese and English (bot/emotion/lexicon.yml).

The trained model (`bot.emotion.model`) gives the score; the lexicon supplies the explainable overrides
(`bot.emotion.overrides`) and scores alone when the model's files are absent. It behaves predictably on the
cases customer service cares about (negation, "非常"/"太…了", "!!!"), and an operator can read and tune it.
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
STRONG_COMPLAINT = 2.0  # a displeasure word this heavy is a clear complaint


@dataclass(frozen=True)
class Emotion:
    level: str  # calm | upset | angry
    score: float  # 0 (content) .. 1 (furious)


@dataclass(frozen=True)
class LexiconReading:
    raw: float  # positive for displeasure, negative for satisfaction
    hits: Tuple[str, ...]  # the lexicon words found, "not:" before a negated one
    praise: Tuple[str, ...] = ()  # satisfaction words as said ("满意", "thanks", "不是不满意")
    negated_praise: Tuple[str, ...] = ()  # satisfaction words negated ("不满意", "not happy")
    complaints: Tuple[str, ...] = ()  # displeasure words as said
    strong_complaints: Tuple[str, ...] = ()  # those weighing 2 or more ("不满", "失望")
    intensified: bool = False  # a degree word ("非常", "really") before a displeasure word


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
    raw.pop("overrides", None)  # bot.emotion.overrides
    return {
        language: _Language(
            words={str(k).lower(): float(v) for k, v in section["words"].items()},
            negators=frozenset(str(n).lower() for n in section["negators"]),
            degree={str(k).lower(): float(v) for k, v in section["degree"].items()},
        )
        for language, section in raw.items()
    }


class LexiconScorer:
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
        return self._emotion(self.raw(text))

    def raw(self, text: str) -> float:
        """The unbounded lexicon sum: positive for displeasure, negative for satisfaction."""
        return self.reading(text).raw

    def reading(self, text: str) -> LexiconReading:
        """The lexicon sum and the words that made it ("满意", or "not:满意" when negated): the trained model
        reads both as features."""
        text = text or ""
        language = "zh" if _HAN.search(text) else (detect_language(text) or "en")
        lowered = text.lower()
        tokens = self._zh_tokens(lowered) if language == "zh" else _EN_TOKEN.findall(lowered)
        hits: List[str] = []
        kinds: Dict[str, List[str]] = {"praise": [], "negated_praise": [], "complaints": [], "strong": [],
                                       "intensified": []}
        raw = self._lexical(tokens, self._lexicon[language], hits, kinds)
        if language == "zh" and re.search(r"太.{1,6}了", text):  # 太…了 frames the words between them
            raw *= 1.3
            hits.append("太…了")
        raw += sum(weight * text.count(symbol) for symbol, weight in self._emoji.items())
        raw += self.intensity(text)
        return LexiconReading(raw, tuple(hits), tuple(kinds["praise"]), tuple(kinds["negated_praise"]),
                              tuple(kinds["complaints"]), tuple(kinds["strong"]), bool(kinds["intensified"]))

    def _lexical(self, tokens: List[str], lexicon: _Language, hits: List[str],
                 kinds: Dict[str, List[str]]) -> float:
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
            hits.append(f"not:{token}" if negations % 2 == 1 else token)
            if weight < 0:
                kinds["negated_praise" if negations % 2 == 1 else "praise"].append(token)
            elif negations % 2 == 0:
                kinds["complaints"].append(token)
                if weight >= STRONG_COMPLAINT:
                    kinds["strong"].append(token)
                if degree > 1.0:
                    kinds["intensified"].append(token)
            if degree > 1.0:
                hits.append("degree+")
            total += value
        return total

    @staticmethod
    def intensity(text: str) -> float:
        """0-3: repeated "!"/"?", shouted words and stretched characters."""
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
        score = lexicon_score(raw)
        level = "angry" if score >= self.angry_at else "upset" if score >= self.upset_at else "calm"
        return Emotion(level=level, score=round(score, 3))


def lexicon_score(raw: float) -> float:
    """The lexicon sum as a 0-1 score."""
    return 0.0 if raw <= 0 else 1 - math.exp(-raw / 3.0)
