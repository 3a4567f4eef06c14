"""What the agent sees when a conversation arrives: who the customer is, everything said so far,
how they felt, their open tickets, what the knowledge base answered and a short summary of why
they want a person. Built from plain data so it can be tested without Rasa."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from bot.emotion.customer_signals import SIGNAL_ENTITIES
from bot.emotion.trajectory import level_of, peak_level, score_of
from bot.observability.masking import mask_pii

# Slots that are the assistant's bookkeeping rather than facts about the customer.
_HIDDEN_SLOTS = {"complaint_used_variations", "requested_slot", "session_started_metadata",
                 "handoff_state", "handoff_number", "kb_last_entry", "kb_choices"}

# Messages that say nothing about the customer's problem (the request for a person itself, a hello).
_NOT_THE_PROBLEM = {"request_human", "greet", "goodbye", "thanks", "affirm", "deny", "cancel"}
# Slots whose answer is a detail asked for by a form (a phone, an order number, a time), not the problem.
_FORM_DETAILS = {"complaint_phone", "complaint_order_number", "complaint_callback_time", "complaint_category",
                 "phone_number", "order_number", "ticket_number"}
# What is left of a message once its personal data and punctuation are gone: words say something.
_WORDLESS = re.compile(r"[\d\s\W_*]+")
_ORDER_OR_TICKET = re.compile(r"(?<![A-Za-z0-9])(GD|TK)\s*\d{10}(?!\d)", re.IGNORECASE)
# The widget's first message and WeChat's follow event: the customer opened the chat, they said nothing.
OPENING_PAYLOAD = "/greet"

REASON_TEXT = {
    "explicit": {"zh": "客户主动要求转人工", "en": "asked for a person"},
    "misunderstood": {"zh": "机器人连续两次没能理解客户", "en": "the bot failed to understand twice in a row"},
    "angry": {"zh": "客户情绪激动", "en": "the customer is angry"},
    "safety": {"zh": "涉及安全问题的投诉", "en": "a complaint about a safety issue"},
    "repeat": {"zh": "同一订单的重复投诉", "en": "a repeat complaint on the same order"},
    "vip": {"zh": "VIP 客户", "en": "a VIP customer"},
}
EMOTION_TEXT = {"calm": {"zh": "平静", "en": "calm"}, "upset": {"zh": "不满", "en": "upset"},
                "angry": {"zh": "生气", "en": "angry"}}


@dataclass(frozen=True)
class CustomerFacts:
    customer_id: Optional[str]
    name: Optional[str]
    tier: str
    phone: Optional[str]
    channel: str
    language: str


@dataclass(frozen=True)
class TicketFacts:
    number: str
    category: str
    severity: str
    status: str
    order_number: Optional[str]
    description: str
    escalation_reason: Optional[str]


@dataclass(frozen=True)
class KbAnswer:
    question: str
    outcome: str  # answered | choices | unanswered | chosen
    entry_id: Optional[str]
    helpful: Optional[bool] = None
    entry_title: Optional[Mapping[str, str]] = None  # the entry's question per language, for the agent


@dataclass
class HandoffContext:
    customer: Dict[str, Any]
    reason: str
    summary: Dict[str, str]
    transcript: List[Dict[str, Any]] = field(default_factory=list)
    slots: Dict[str, Any] = field(default_factory=dict)
    emotions: List[Dict[str, Any]] = field(default_factory=list)
    tickets: List[Dict[str, Any]] = field(default_factory=list)
    kb_answers: List[Dict[str, Any]] = field(default_factory=list)
    last_event_at: Optional[float] = None

    def as_dict(self) -> Dict[str, Any]:
        return {"customer": self.customer, "reason": self.reason, "summary": self.summary,
                "transcript": self.transcript, "slots": self.slots, "emotions": self.emotions,
                "tickets": self.tickets, "kb_answers": self.kb_answers}


def _iso(timestamp: Optional[float]) -> Optional[str]:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


def transcript_from_events(events: Iterable[Mapping[str, Any]],
                           offered: Optional[Mapping[str, str]] = None) -> List[Dict[str, Any]]:
    """Customer and bot turns with their times; the customer's with intent, confidence, entities and the
    mood the message showed (`emotion`: level and score); the slots each turn set. A button the customer
    tapped shows as its title (`tapped`: true), the widget's opening payload as `opened`, never as the
    payload; `offered` are the buttons (payload -> title) of the bot's message before `events`. An agent's
    message names the agent. Personal data in texts is masked. Language and emotion are not repeated as
    entities."""
    turns: List[Dict[str, Any]] = []
    buttons_offered: Dict[str, str] = dict(offered or {})
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            text = event.get("text") or ""
            turn: Dict[str, Any] = {
                "at": _iso(event.get("timestamp")), "who": "customer", "text": mask_pii(text),
                "intent": intent.get("name"), "confidence": round(float(intent.get("confidence") or 0.0), 2),
                "entities": [{"entity": e.get("entity"), "value": mask_pii(str(e.get("value")))}
                             for e in parse.get("entities") or [] if e.get("entity") not in SIGNAL_ENTITIES],
                "slots": {},
            }
            if _is_payload(text, intent):
                title = buttons_offered.get(text.strip())
                if title is not None:
                    turn.update(text=mask_pii(title), tapped=True)
                elif text.strip() == OPENING_PAYLOAD:
                    turn.update(text="", opened=True)
                else:  # a menu entry (WeChat's) or a button from longer ago
                    turn.update(text="", tapped=True)
            emotion = _emotion_of(parse)
            if emotion:
                turn["emotion"] = emotion
            turns.append(turn)
            buttons_offered = {}  # buttons count until the customer speaks (as in bot.rasa.message_guard)
        elif kind == "bot":
            text = event.get("text") or ""
            data = event.get("data") or {}
            offered_now = [b for b in data.get("buttons") or [] if isinstance(b, Mapping)]
            buttons_offered.update(buttons_of(event))
            metadata = event.get("metadata") or {}
            who = "agent" if metadata.get("agent") else "bot"
            turn = {"at": _iso(event.get("timestamp")), "who": who, "text": mask_pii(text),
                    "buttons": [b.get("title") for b in offered_now]}
            if who == "agent":
                turn["agent"] = metadata.get("agent")
            turns.append(turn)
        elif kind == "slot" and turns and turns[-1]["who"] == "customer":
            name = event.get("name")
            if name and name not in _HIDDEN_SLOTS and event.get("value") is not None:
                turns[-1]["slots"][name] = _shown(event.get("value"))
    return turns


def buttons_of(event: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    """The buttons (payload -> title) a stored bot event offered; empty for anything else."""
    if not event or event.get("event") != "bot":
        return {}
    buttons = (event.get("data") or {}).get("buttons") or []
    return {str(b.get("payload")).strip(): str(b.get("title") or "") for b in buttons
            if isinstance(b, Mapping) and b.get("payload")}


def offered_since_customer(newest_first: Iterable[Mapping[str, Any]]) -> Dict[str, str]:
    """The buttons (payload -> title) of the bot's messages since the customer last spoke, from stored
    events newest first."""
    offered: Dict[str, str] = {}
    for event in newest_first:
        if event.get("event") == "user":
            break
        offered = {**buttons_of(event), **offered}  # a newer title wins
    return offered


def _is_payload(text: str, intent: Mapping[str, Any]) -> bool:
    """Whether Rasa took the message as a payload ("/intent{…}": that intent, with certainty); a shortcut a
    customer typed is read as text (bot.rasa.message_guard), and is shown as they typed it."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return False
    named = stripped[1:].split("{", 1)[0].strip()
    return bool(named) and intent.get("name") == named and float(intent.get("confidence") or 0.0) >= 1.0


def _emotion_of(parse: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    entities = {e.get("entity"): e.get("value") for e in parse.get("entities") or [] if isinstance(e, Mapping)}
    if "emotion" not in entities:
        return None
    return {"level": level_of(entities["emotion"]), "score": round(score_of(entities.get("emotion_score")), 2)}


def is_real_message(turn: Mapping[str, Any]) -> bool:
    """Whether a customer turn says something about their problem: not a button or the chat opening, not
    a greeting or the request for a person, not an answer to a form's question for a detail (a phone, an
    order number), and not a bare number."""
    if turn.get("who") != "customer" or turn.get("tapped") or turn.get("opened"):
        return False
    text = str(turn.get("text") or "")
    if text.startswith("/") or turn.get("intent") in _NOT_THE_PROBLEM:
        return False
    for name, value in (turn.get("slots") or {}).items():  # what is left once the detail asked for is gone
        if name in _FORM_DETAILS and isinstance(value, str):
            text = text.replace(value, " ")
    text = _ORDER_OR_TICKET.sub(" ", text)
    return bool(_WORDLESS.sub("", text))


def _shown(value: Any) -> Any:
    return mask_pii(value) if isinstance(value, str) else value


def summarize(reason: str, customer: CustomerFacts, peak_emotion: str, last_question: Optional[str],
              tickets: Sequence[TicketFacts], kb: Sequence[KbAnswer],
              first_question: Optional[str] = None) -> Dict[str, str]:
    """One or two sentences per language: why the customer wants a person and what happened; what they
    asked first and what they said last (each once: not when the complaint quotes it already)."""
    unhelpful = sum(1 for a in kb if a.helpful is False) + sum(1 for a in kb if a.outcome == "unanswered")
    zh = [REASON_TEXT[reason]["zh"]]
    en = [REASON_TEXT[reason]["en"].capitalize()]
    if customer.tier == "vip" and reason != "vip":
        zh.append("VIP 客户")
        en.append("VIP customer")
    if not (reason == "angry" and peak_emotion == "angry"):  # "the customer is angry" says it already
        zh.append(f"情绪{EMOTION_TEXT.get(peak_emotion, EMOTION_TEXT['calm'])['zh']}")
        en.append(f"mood {EMOTION_TEXT.get(peak_emotion, EMOTION_TEXT['calm'])['en']}")
    if tickets:
        t = tickets[0]
        order = f"，订单 {t.order_number}" if t.order_number else ""
        order_en = f", order {t.order_number}" if t.order_number else ""
        zh.append(f"投诉 {t.number}{order}：{_cut(mask_pii(t.description), 60)}")
        en.append(f"complaint {t.number}{order_en}: {_cut(mask_pii(t.description), 60)}")
    if kb:
        zh.append(f"知识库回答 {len(kb)} 次，{unhelpful} 次没帮上")
        en.append(f"{len(kb)} knowledge-base answers, {unhelpful} did not help")
    quoted = {mask_pii(t.description).strip() for t in tickets[:1]}
    if first_question and first_question.strip() not in quoted and first_question != last_question:
        zh.append(f"问题：「{_cut(mask_pii(first_question), 60)}」")
        en.append(f"first asked: \"{_cut(mask_pii(first_question), 60)}\"")
    if last_question and last_question.strip() not in quoted:
        zh.append(f"最后一句：「{_cut(mask_pii(last_question), 80)}」")
        en.append(f"last message: \"{_cut(mask_pii(last_question), 80)}\"")
    zh_text, en_text = "；".join(zh), "; ".join(en)
    return {"zh": zh_text if zh_text.endswith("…") else zh_text + "。",
            "en": en_text if en_text.endswith(("…", "\"")) else en_text + "."}


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, with "…" when something was left out."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def build_context(
    reason: str,
    customer: CustomerFacts,
    events: Sequence[Mapping[str, Any]],
    slots: Mapping[str, Any],
    emotion_history: Sequence[Mapping[str, Any]],
    tickets: Sequence[TicketFacts],
    kb: Sequence[KbAnswer],
) -> HandoffContext:
    transcript = transcript_from_events(events)
    said = [t["text"] for t in transcript if is_real_message(t)]
    first_question, last_question = (said[0], said[-1]) if said else (None, None)
    peak = peak_level(None, emotion_history)  # over the whole history the agent is shown
    # The mood of each message, with its time (from the messages; the history when they carry none).
    moods = [{"at": t["at"], "level": t["emotion"]["level"], "score": t["emotion"]["score"]}
             for t in transcript if t.get("emotion")]
    if not moods:
        moods = [{"at": None, "level": level_of(h.get("level")), "score": score_of(h.get("score"))}
                 for h in emotion_history if isinstance(h, Mapping)]
    return HandoffContext(
        customer={"id": customer.customer_id, "name": customer.name, "tier": customer.tier,
                  "phone": mask_pii(customer.phone) if customer.phone else None,
                  "channel": customer.channel, "language": customer.language},
        reason=reason,
        summary=summarize(reason, customer, peak, last_question, tickets, kb, first_question),
        transcript=transcript,
        slots={k: _shown(v) for k, v in slots.items() if k not in _HIDDEN_SLOTS and v not in (None, "", [])},
        emotions=moods,
        tickets=[{"number": t.number, "category": t.category, "severity": t.severity, "status": t.status,
                  "order_number": t.order_number, "description": mask_pii(t.description),
                  "escalation_reason": t.escalation_reason} for t in tickets],
        kb_answers=[{"question": mask_pii(a.question), "outcome": a.outcome, "entry_id": a.entry_id,
                     "entry_title": dict(a.entry_title) if a.entry_title else None, "helpful": a.helpful}
                    for a in kb],
    )
