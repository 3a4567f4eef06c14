"""Tells whether a customer wrote in Chinese or English.

Chinese characters carry more meaning each than Latin letters, so a message counts as
Chinese when it has at least as many Han characters as English words ("iPhone 15 怎么退货"
is Chinese, "can I return my AirPods 耳机" is English). Messages with neither (an order
number, an emoji, "👍") return None so the conversation keeps its current language.
"""
from __future__ import annotations

import re
from typing import Optional

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
# Product names and codes customers type in either language; they say nothing about the language.
_NEUTRAL = re.compile(
    r"\b(?:iphone|ipad|airpods|macbook|mac|pro|max|mini|plus|ultra|air|switch|oled|gb|tb|wifi|"
    r"usb|type-c|app|vip|ok|id|gd\d+|tk\d+|sony|dyson|huawei|xiaomi|mate|matepad|anker)\b",
    re.IGNORECASE,
)


def detect_language(text: str) -> Optional[str]:
    """'zh', 'en', or None when the text gives no evidence either way."""
    if not text:
        return None
    han = len(_HAN.findall(text))
    words = _ENGLISH_WORD.findall(_NEUTRAL.sub(" ", text))
    if han == 0 and not words:
        return None
    if han > 0 and han >= len(words):
        return "zh"
    if words:
        return "en"
    return "zh"
