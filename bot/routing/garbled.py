"""Tells garbled text (mojibake, keyboard mash, one character held down) from a real message.

NLU reads anything as one of its intents, so "屯屯屯锟斤拷" scored *affirm* 0.59; these cheap checks
catch what no intent should claim. Laughter ("哈哈哈哈"), "666666", order numbers and runs of
punctuation or emoji (feelings: `bot.routing.feeling`) are not garbled."""
from __future__ import annotations

import re

# What a wrong encoding leaves behind: GBK's rendering of U+FFFD and of uninitialised memory,
# UTF-8 read as Latin-1, the replacement character itself.
_MOJIBAKE_MARKERS = ("锟斤拷", "烫烫烫", "屯屯屯", "\ufffd", "ï¿½", "â€", "Ã©", "Ã¨", "Ã¤", "Ã¶", "Ã¼", "Â ")
# Characters that UTF-8 Chinese decoded as GBK produces over and over, and that real messages
# almost never contain ("，" becomes 锛, "的" 鐨, "是" 鏄, "我" 鎴, "你" 浣, "。" 銆).
_MOJIBAKE_CHARS = frozenset("锛鐨鏄鎴浣銆涓鍙鍚鍦瀹璇锟拷烫屯")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Held-down keys and laughter that are real: interjections, digits, "h" (Chinese internet laughter).
_REAL_RUNS = frozenset("哈呵嘿嘻嗯啊哦噢呜唉哎额呃好对是行快急hH0123456789")
_RUN = re.compile(r"(.)\1{4,}")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_VOWELS = frozenset("aeiouy")


def _keyboard_run(word: str, length: int = 5) -> bool:
    """Five or more neighbouring keys of one keyboard row, in either direction ("asdfg", "lkjhg")."""
    for row in _KEYBOARD_ROWS:
        for start in range(len(row) - length + 1):
            piece = row[start:start + length]
            if piece in word or piece[::-1] in word:
                return True
    return False


def _mashed_word(word: str) -> bool:
    lower = word.lower()
    if len(lower) >= 5 and _keyboard_run(lower):
        return True
    if len(lower) >= 6 and not (set(lower) & _VOWELS) and len(set(lower)) >= 3:
        return True
    # The same two or three letters over and over: "sdsdsdsd", "jkljkljkl".
    return len(lower) >= 8 and len(set(lower)) <= 3 and not (set(lower) <= set("ha"))


def is_garbled(text: str) -> bool:
    """Whether the message is text nobody meant: mojibake, keyboard mash, one character held down."""
    stripped = "".join((text or "").split())
    if not stripped or stripped.startswith("/"):
        return False
    if any(marker in stripped for marker in _MOJIBAKE_MARKERS):
        return True
    if sum(1 for char in stripped if char in _MOJIBAKE_CHARS) >= 2:
        return True
    for match in _RUN.finditer(stripped):
        char = match.group(1)
        if char not in _REAL_RUNS and (char.isalpha() or _HAN.match(char)):
            return True
    words = _LATIN_WORD.findall(stripped if not _HAN.search(stripped) else text)
    letters = sum(len(word) for word in words)
    mashed = sum(len(word) for word in words if _mashed_word(word))
    return letters >= 5 and mashed * 2 >= letters and not _HAN.search(stripped)
