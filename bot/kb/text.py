"""Turns questions into search terms: jieba for Chinese, spaCy for English, synonyms for both."""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

_HAN = re.compile(r"[\u3400-\u9fff]")
_ASCII_WORD = re.compile(r"^[a-z0-9][a-z0-9'\-+.]*$")

# Function words only: question words such as 怎么/多久/多少钱 carry meaning and stay.
ZH_STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 哦 嘛 哈 呗 啦 么 我 我的 我们 你 你们 您 您好 你好 请问 请 一下 下 是 这个 那个 这 那 就 都 也 还 "
    "和 与 及 在 给 帮 帮我 麻烦 亲 小星 客服 一个 个 有没有 能不能 可不可以 吗？ ？ ? ， , 。 . ！ ! 、 ~ ～ "
    # Filler around a question ("我想问一下积分的事") says nothing about its topic.
    "想 想问 问 问问 问一下 请教 咨询 了解 知道 关于 事 事情 问题 情况 的话 一些 有关".split()
)
EN_EXTRA_STOPWORDS = frozenset(
    "please hi hello thanks stella galaxy digital pls plz question questions ask asking wondering wonder "
    "know tell about regarding query".split()
)
# Question framing ("能不能取消" = "取消吗"): removed before segmentation, or jieba's search mode makes words
# such as 不能取消 and 能取 out of it, which match unrelated phrasings.
_ZH_FRAMING = re.compile(r"能不能|可不可以|可以不可以|是不是|有没有|行不行")
# spaCy's stop list drops words that decide the question here.
EN_KEEP = frozenset("how when where why what which much many long can cannot not no off out up back".split())


def _stem(word: str) -> str:
    """A light English stemmer: 'returns', 'returned', 'returning' and 'return' meet; so do
    'package' and 'packages', 'ship' and 'shipping'. Good enough for matching, not linguistics."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if not word.endswith(suffix):
            continue
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            break
        stem = word[: -len(suffix)] + replacement
        if len(stem) < 3:
            continue
        if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            stem = stem[:-1]  # shipped -> ship
        word = stem
        break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


class Synonyms:
    """Rewrites every variant of a synonym group to the group's first word."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        pairs: List[Tuple[str, str]] = []
        for group in groups:
            canonical = group[0].lower()
            for variant in group[1:]:
                pairs.append((variant.lower(), canonical))
        pairs.sort(key=lambda p: -len(p[0]))  # longest first: 钱退回 before 退回
        self._han = [(v, c) for v, c in pairs if _HAN.search(v)]
        english = [(v, c) for v, c in pairs if not _HAN.search(v)]
        self._english = [(re.compile(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])"), c) for v, c in english]
        self.canonical_words = sorted({g[0].lower() for g in groups})

    def apply(self, text: str) -> str:
        for pattern, canonical in self._english:
            text = pattern.sub(canonical, text)
        for variant, canonical in self._han:
            if variant in text:
                text = text.replace(variant, canonical)
        return text


class Analyzer:
    """Normalizes text and produces search terms; thread-safe after construction."""

    def __init__(self, synonyms: Sequence[Sequence[str]] = (), dictionary_dir: Optional[Path] = None) -> None:
        import jieba
        import spacy
        from spacy.lang.en.stop_words import STOP_WORDS

        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        if dictionary_dir and dictionary_dir.exists():
            for path in sorted(dictionary_dir.glob("*.txt")):
                self._jieba.load_userdict(str(path))
        self.synonyms = Synonyms(synonyms)
        for word in self.synonyms.canonical_words:
            if _HAN.search(word):
                self._jieba.add_word(word, freq=50)
        self._english = spacy.blank("en")
        self._en_stop = (frozenset(STOP_WORDS) | EN_EXTRA_STOPWORDS) - EN_KEEP
        self._lock = threading.Lock()

    def normalize(self, text: str) -> str:
        """Lower case, full-width to half-width, synonyms to their canonical word."""
        text = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in text or "")
        text = re.sub(r"\s+", " ", text.lower()).strip()
        return self.synonyms.apply(text)

    def terms(self, text: str) -> List[str]:
        """Search terms of `text` (already normalized or not)."""
        normalized = self.normalize(text)
        if _HAN.search(normalized):
            framed = _ZH_FRAMING.sub(" ", normalized)
            with self._lock:  # jieba's Tokenizer is not documented as thread-safe
                words: Iterable[str] = self._jieba.lcut_for_search(framed)
            return [self._english_term(w) if _ASCII_WORD.match(w) else w for w in words if self._keep_zh(w)]
        doc = self._english.make_doc(normalized)
        return [
            self._english_term(t.text)
            for t in doc
            if not t.is_punct and not t.is_space and t.text not in self._en_stop and t.text.strip("'")
        ]

    def _keep_zh(self, word: str) -> bool:
        word = word.strip()
        if not word or word in ZH_STOPWORDS:
            return False
        if _ASCII_WORD.match(word):
            return word not in self._en_stop
        return bool(_HAN.search(word)) or word.isalnum()

    @staticmethod
    def _english_term(word: str) -> str:
        return _stem(word.strip("'"))

    def char_text(self, text: str) -> str:
        """The text for character n-grams: normalized, terms joined by spaces."""
        return " ".join(self.terms(text))


_analyzers: Dict[Tuple[Tuple[Tuple[str, ...], ...], Optional[str]], Analyzer] = {}


def get_analyzer(synonyms: Sequence[Sequence[str]], dictionary_dir: Optional[Path]) -> Analyzer:
    """One analyzer per synonym set and dictionary (building one loads jieba's dictionary)."""
    key = (tuple(tuple(g) for g in synonyms), str(dictionary_dir) if dictionary_dir else None)
    if key not in _analyzers:
        _analyzers[key] = Analyzer(synonyms, dictionary_dir)
    return _analyzers[key]


_QUESTION_ZH = re.compile(r"[?？]|[吗呢么嘛]\s*[。!！~～]*\s*$|怎么|怎样|如何|多少|多久|几天|哪|什么|为什么|为啥|能不能|可不可以|可以.{0,12}吗|是否|有没有|是不是|请问")
_QUESTION_EN = re.compile(r"\?|^\s*(what|how|when|where|why|which|who|can|could|do|does|did|is|are|will|would|should|may)\b",
                          re.IGNORECASE)


def looks_like_question(text: str) -> bool:
    """Whether a message reads as a question (in Chinese or English), even when NLU was unsure of it."""
    return bool(text) and bool(_QUESTION_ZH.search(text) or _QUESTION_EN.search(text))
