"""Hashed text features for the emotion model, shared by training (tools/emotion_model) and scoring.

Chinese: character 1-3-grams; English and other Latin text: words, word pairs and character 3-4-grams;
plus emoji, "!"/"?" runs, CAPITALS and stretched characters ("啊啊啊啊", "nooooo"), and the lexicon's reading
(its words, negated or not, and its sum in bands), so the model learns how far to trust each lexicon word.
Each feature is hashed with CRC32 (stable across processes, unlike hash()) into a fixed number of buckets, and
a message's feature vector is L2-normalised, so long Weibo posts and short chat lines weigh alike."""
from __future__ import annotations

import math
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@[\w\u4e00-\u9fff-]{1,30}")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CAPS = re.compile(r"\b[A-Z]{3,}\b")
_STRETCH = re.compile(r"(.)\1{3,}")
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
LEXICON_REPEAT = 3  # each lexicon feature counts three times: a chat line is short, a Weibo post long
_LEXICON_BANDS = ((-0.5, "-"), (0.5, "0"), (1.5, "1"), (3.0, "2"), (5.0, "3"), (8.0, "4"), (12.0, "5"))
_TAG = re.compile(r"\[[\u4e00-\u9fffa-zA-Z]{1,6}\]")  # Weibo's "[怒]" emoticons


@dataclass(frozen=True)
class FeatureConfig:
    buckets: int = 1 << 18
    han_ngrams: Tuple[int, ...] = (1, 2, 3)
    char_ngrams: Tuple[int, ...] = (3, 4)

    def as_dict(self) -> Dict[str, object]:
        return {"buckets": self.buckets, "han_ngrams": list(self.han_ngrams), "char_ngrams": list(self.char_ngrams),
                "hash": "crc32(utf-8 of kind + ':' + feature) mod buckets", "norm": "l2",
                "lexicon": f"bot/emotion/lexicon.yml words and sum bands, each counted {LEXICON_REPEAT}x"}


def normalise(text: str) -> str:
    """Full-width to half-width, links and @mentions removed: what the features are read from."""
    text = unicodedata.normalize("NFKC", text or "")
    return _MENTION.sub(" ", _URL.sub(" ", text))


def lexicon_features(raw: float, hits: Sequence[str]) -> List[str]:
    """The lexicon's reading as features: its sum in bands, and each word it found (negated or not)."""
    band = next((name for limit, name in _LEXICON_BANDS if raw < limit), "6")
    return [f"l:band{band}"] + [f"l:{hit}" for hit in hits]


def feature_strings(text: str, config: FeatureConfig = FeatureConfig(),
                    lexicon: Optional[Tuple[float, Sequence[str]]] = None) -> List[str]:
    found = lexicon_features(*lexicon) * LEXICON_REPEAT if lexicon is not None else []
    text = normalise(text)
    lowered = text.lower()
    for run in _HAN_RUN.findall(lowered):
        for n in config.han_ngrams:
            found += [f"h:{run[i:i + n]}" for i in range(len(run) - n + 1)]
    words = _WORD.findall(lowered)
    found += [f"w:{w}" for w in words]
    found += [f"b:{a} {b}" for a, b in zip(words, words[1:])]
    for word in words:
        padded = f"<{word}>"
        for n in config.char_ngrams:
            found += [f"c:{padded[i:i + n]}" for i in range(len(padded) - n + 1)]
    found += [f"e:{e}" for e in _EMOJI.findall(text)]
    found += [f"t:{t}" for t in _TAG.findall(text)]
    exclaims = len(re.findall(r"!", text))
    questions = len(re.findall(r"\?", text))
    found.append(f"p:!{min(exclaims, 3)}")
    found.append(f"p:?{min(questions, 3)}")
    found.append(f"p:caps{min(len(_CAPS.findall(text)), 2)}")
    if _STRETCH.search(lowered):
        found.append("p:stretch")
    if not found or (len(found) <= 3 and not lowered.strip()):
        found.append("p:empty")
    return found


def hashed(text: str, config: FeatureConfig = FeatureConfig(),
           lexicon: Optional[Tuple[float, Sequence[str]]] = None) -> Tuple[List[int], List[float]]:
    """(bucket indices, values) of a message: counts per bucket, L2-normalised."""
    counts: Dict[int, float] = {}
    for feature in feature_strings(text, config, lexicon):
        index = zlib.crc32(feature.encode("utf-8")) % config.buckets
        counts[index] = counts.get(index, 0.0) + 1.0
    norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
    indices = sorted(counts)
    return indices, [counts[i] / norm for i in indices]
