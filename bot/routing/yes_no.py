"""Whether the bot's last message asked a yes/no question, and whether a message is a bare yes or no.

"刚下的单能不能取消" was read as *affirm* and answered "好嘞": a yes or a no means something only as
the answer to a yes/no question. Anything else that NLU calls affirm or deny is a question or a
statement and goes where those go (`bot.routing.decision`)."""
from __future__ import annotations

import re
from typing import Iterable, Optional

# Responses in domain.yml that end in a yes/no question ("可以换个说法再描述一下吗？", "Would you like a
# person to help?", "这个回答对您有帮助吗？"). tests/unit/test_routing.py checks that each exists.
YES_NO_RESPONSES = frozenset({
    "utter_default",
    "utter_kb_no_answer",
    "utter_kb_ask_feedback",
    "utter_kb_sorry_unhelpful",
    "utter_verify_locked",
    "utter_handoff_closed",
    "utter_handoff_no_agent",
})
# A message whose buttons answer yes or no asks a yes/no question whatever its name.
YES_NO_PAYLOADS = frozenset({"/affirm", "/deny", "/kb_helpful", "/kb_not_helpful"})

_ZH_REPLIES = (
    "是的", "是", "对的", "对", "嗯嗯", "嗯", "好的", "好滴", "好嘞", "好啊", "好呀", "好", "可以的", "可以", "行啊", "行",
    "没问题", "没错", "确认", "确定", "要的", "要", "需要", "当然", "同意", "中", "对对", "就这个", "就是这个", "是这样",
    "不是的", "不是", "不用了", "不用", "不要了", "不要", "没有了", "没有", "不对", "不需要", "不行", "不了", "否", "算了",
    "暂时不用", "先不要", "先不用", "不必了", "没必要", "不想", "别", "不", "谢谢", "麻烦了", "哦", "噢", "ok", "OK",
)
_EN_REPLY_WORDS = frozenset({
    "yes", "yeah", "yep", "yup", "ya", "y", "sure", "ok", "okay", "k", "fine", "alright", "right", "correct",
    "exactly", "absolutely", "definitely", "of", "course", "please", "go", "ahead", "that's", "thats", "it",
    "no", "nope", "nah", "n", "not", "now", "really", "never", "mind", "nevermind", "don't", "dont", "thanks",
    "thank", "you", "agreed", "indeed", "i'm", "im", "good", "that", "one", "is", "wrong", "need", "do",
    "sounds", "great", "cool",
})
_PARTICLES = re.compile(r"[啊呀吧啦哈哦呢嘛～~!！。.,，、\s]+")
_EN_WORD = re.compile(r"[a-z']+")


def asked_yes_no(response_name: Optional[str], button_payloads: Iterable[str] = ()) -> bool:
    """Whether a bot message (by its response name and its buttons' payloads) asked a yes/no question."""
    return (response_name in YES_NO_RESPONSES) or any(
        (payload or "").split("{")[0] in YES_NO_PAYLOADS for payload in button_payloads)


def is_bare_reply(text: str) -> bool:
    """Whether the message is only a yes or a no ("好的", "不用了，谢谢", "yes please", "nope"), nothing more."""
    raw = (text or "").strip()
    if not raw or "?" in raw or "？" in raw:
        return False
    lower = raw.lower()
    words = _EN_WORD.findall(lower)
    if words and len(words) <= 5 and all(word in _EN_REPLY_WORDS for word in words):
        rest = _EN_WORD.sub("", lower)
        return not _PARTICLES.sub("", rest)
    rest = _PARTICLES.sub("", raw)
    while rest:
        for reply in _ZH_REPLIES:
            if rest.startswith(reply):
                rest = rest[len(reply):]
                break
        else:
            return False
    return True
