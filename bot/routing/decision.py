"""Where one customer message goes when NLU's reading alone would send it the wrong way.

`route` returns the action for the message, or None to leave it to the dialogue rules. It decides:
garbled text goes to the fallback; a message that only voices a feeling gets an acknowledgement;
affirm/deny count only after a yes/no question (otherwise a question goes to the knowledge base and
anything else to the fallback); a calm question about a policy that NLU took for a complaint, or a
question about cancelling read as "cancel" when nothing is under way, is answered from the knowledge base."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from bot.kb.text import looks_like_question
from bot.routing.feeling import PLEASED, UPSET, read_feeling
from bot.routing.garbled import is_garbled
from bot.routing.yes_no import is_bare_reply

ANSWER = "action_answer_question"
FALLBACK = "action_handle_misunderstanding"
FEELING_RESPONSES = {"upset": "utter_feeling_upset", "confused": "utter_feeling_confused",
                     "pleased": "utter_feeling_pleased"}
YES_NO_INTENTS = frozenset({"affirm", "deny"})
# NLU's own reading of a feeling-only message that is already right.
_READS_PLEASED = frozenset({"affirm", "thanks", "kb_helpful", "greet", "goodbye"})
_READS_UPSET = frozenset({"kb_not_helpful", "deny", "request_human"})
# A long message NLU calls affirm even after a yes/no question is a new question, not the answer.
_NEW_QUESTION_CHARS = 8
# What makes a question about a policy a complaint: a grievance, a threat, a reproach.
_GRIEVANCE = re.compile(
    r"投诉|差评|垃圾|骗|坑人|坑爹|太差|太慢|太烂|气死|生气|恶心|离谱|过分|不满|失望|还没|还不|一直|到现在|怎么回事|凭什么|"
    r"什么破|退钱|举报|12315|消协|曝光|态度|说好的|不给|拒绝|敷衍|不理|没人管|搞什么|为什么又|又是|受够|"
    r"complain|terrible|awful|worst|ridiculous|unacceptable|scam|\blie|\blied|still|never|angry|furious|upset|"
    r"disappointed|joke|rude|refus|haven't|hasn't|didn't|won't|fed up|again\b",
    re.IGNORECASE,
)


# Question words the knowledge base's own test (`bot.kb.text.looks_like_question`) does not list.
_MORE_QUESTION_WORDS = re.compile(r"谁|几|咋|啥|多长|多大|要不要|能否|可否|行不行|好不好|对不对|会不会|\bis (it|that|there)\b",
                                  re.IGNORECASE)


def reads_as_question(text: str) -> bool:
    """Whether a message asks something, in Chinese or English."""
    return looks_like_question(text) or bool(_MORE_QUESTION_WORDS.search(text))


@dataclass(frozen=True)
class Turn:
    """What the routing needs to know about the latest message and the turn before it."""

    text: str
    intent: Optional[str]
    emotion: Optional[str] = None  # calm | upset | angry, from the emotion reading
    bot_asked_yes_no: bool = False  # the bot's last message asked a yes/no question
    busy: bool = False  # a form, a handoff or a check is under way: their own policies decide


def is_policy_question(text: str, emotion: Optional[str]) -> bool:
    """A calm question about how something works ("买完就降价了能补差价吗"), not a grievance."""
    return reads_as_question(text) and emotion in (None, "calm") and not _GRIEVANCE.search(text)


def route(turn: Turn) -> Optional[str]:
    """The action for this message, or None when NLU's reading and the rules should decide."""
    text = (turn.text or "").strip()
    if turn.busy or not text or text.startswith("/"):
        return None
    if is_garbled(text):
        return FALLBACK
    feeling = read_feeling(text)
    if feeling is not None:
        if feeling == PLEASED and turn.intent in _READS_PLEASED:
            return None
        if feeling == UPSET and turn.bot_asked_yes_no and turn.intent in _READS_UPSET:
            return None
        return FEELING_RESPONSES[feeling]
    if turn.intent in YES_NO_INTENTS:
        bare = is_bare_reply(text)
        if turn.bot_asked_yes_no and (bare or len(text) < _NEW_QUESTION_CHARS or not reads_as_question(text)):
            return None
        if not turn.bot_asked_yes_no and bare:
            return None  # a stray "好的": the rules answer "anything else?"
        return ANSWER if reads_as_question(text) else FALLBACK
    if turn.intent == "complain" and is_policy_question(text, turn.emotion):
        return ANSWER
    if turn.intent == "cancel" and reads_as_question(text):
        return ANSWER  # "能不能取消" asks how; there is nothing under way to cancel (busy is False)
    return None
