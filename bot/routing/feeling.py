"""Reads a message that carries only a feeling: emoji, "???", "!!!", "唉…", "无语", "ugh".

Such a message is not a new question: searching the knowledge base with it returned the previous
answer word for word. It gets an acknowledgement and the offer of help or a person instead."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

UPSET = "upset"
CONFUSED = "confused"
PLEASED = "pleased"

_UPSET_EMOJI = frozenset("😡😠🤬😤👿💢😞😔😢😭😩😫😣😖🙄😒🤦🙁☹😑😐💔👎🖕😰😥😓😾🤯😵")
_CONFUSED_EMOJI = frozenset("🤔😕😳❓❔🧐😶🤷😮😯😲")
_PLEASED_EMOJI = frozenset("😊😄😀😁🙂👍👌❤🥰😍🙏💯🎉✨😘🤗😃😆😉🌹💐🥳👏♥😌🤝💕💖")
# Whole messages (after punctuation is set aside) that only voice a feeling.
_UPSET_WORDS = frozenset({
    "唉", "哎", "哎呀", "哎哟", "唉唉", "无语", "服了", "醉了", "晕", "汗", "呵呵", "切", "啧", "靠", "我靠",
    "吐了", "麻了", "裂开", "心累", "累了", "崩溃", "绝了", "离谱", "天哪", "天呐", "我的天", "真服了",
    "无语了", "服了你了", "醉了醉了", "呜呜", "呜呜呜", "哭了",
    "ugh", "sigh", "smh", "wtf", "ffs", "omg", "seriously", "unbelievable", "come on", "really",
    "argh", "ugh seriously", "oh come on", "jeez", "geez", "meh", "great just great", "ffs seriously",
})
_CONFUSED_WORDS = frozenset({
    "啊", "嗯", "啥", "什么", "哈", "蛤", "额", "呃", "啊这", "这", "嗯哼", "what", "huh", "eh", "hm", "hmm",
    "hmmm", "wait what", "what the", "pardon",
})
_PLEASED_WORDS = frozenset({"哈哈", "哈哈哈", "嘿嘿", "嘻嘻", "耶", "lol", "haha", "hahaha", "yay", "nice", "cool",
                            ":)", ":-)", "^_^", "^^"})
_SIGNS = re.compile(r"[\s?？!！.。…,，~～、·:;：；\-—_*]+")
_LAUGH = re.compile(r"^(哈{2,}|h{3,}|(ha){2,}|呵{3,}|嘿{2,}|嘻{2,})$", re.IGNORECASE)
_SIGH = re.compile(r"^(唉|哎|呜|额|呃)+$")
_MAX_WORD_CHARS = 16  # longer than this is a sentence, not an exclamation


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or char in "\u200d\ufe0f\u2764" or 0x1F300 <= ord(char) <= 0x1FAFF


def read_feeling(text: str) -> Optional[str]:
    """UPSET, CONFUSED or PLEASED when the message voices only a feeling; None when it says something."""
    raw = (text or "").strip()
    if not raw or raw.startswith("/") or len(raw) > 40:
        return None
    emoji = [char for char in raw if _is_emoji(char)]
    words = _SIGNS.sub(" ", "".join(char for char in raw if not _is_emoji(char))).strip().lower()
    questions = raw.count("?") + raw.count("？")
    exclamations = raw.count("!") + raw.count("！")
    ellipsis = "..." in raw or "…" in raw or "。。" in raw
    if words and len(words) > _MAX_WORD_CHARS:
        return None
    if words and not (words in _UPSET_WORDS or words in _CONFUSED_WORDS or words in _PLEASED_WORDS
                      or _LAUGH.match(words) or _SIGH.match(words)):
        return None
    if not words and not emoji and not (questions or exclamations or ellipsis):
        return None
    # Now it is a feeling; which one.
    if any(char in _UPSET_EMOJI for char in emoji) or words in _UPSET_WORDS or (words and _SIGH.match(words)):
        return UPSET
    if words in _PLEASED_WORDS or (words and _LAUGH.match(words)) or any(char in _PLEASED_EMOJI for char in emoji):
        return CONFUSED if questions and not emoji else PLEASED
    if words == "嗯" and not questions:
        return None  # a plain "嗯" is a yes
    if questions or any(char in _CONFUSED_EMOJI for char in emoji) or words in _CONFUSED_WORDS:
        return CONFUSED
    if exclamations >= 2 or ellipsis:
        return UPSET
    return CONFUSED if emoji else None
