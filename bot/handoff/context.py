"""What the agent sees when a conversation arrives: who the customer is, everything said so far,
how they felt, their open tickets, what the knowledge base answered and a short summary of why
they want a person. Built from plain data so it can be tested without Rasa."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from bot.emotion.customer_signals import SIGNAL_ENTITIES
from bot.emotion.trajectory import peak_level
from bot.observability.masking import mask_pii

# Slots that are the assistant's bookkeeping rather than facts about the customer.
_HIDDEN_SLOTS = {"complaint_used_variations", "requested_slot", "session_started_metadata",
                 "handoff_state", "handoff_number", "kb_last_entry", "kb_choices"}

# Messages that say nothing about the customer's problem (the request for a person itself, a hello).
_NOT_THE_PROBLEM = {"request_human", "greet", "goodbye", "thanks", "affirm", "deny", "cancel"}

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


def transcript_from_events(events: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Customer and bot turns with their times; the customer's with intent, confidence and entities;
    the slots each turn set. Personal data in texts is masked. Language and emotion are shown as the
    slots they set and in the mood trajectory, not repeated as entities."""
    turns: List[Dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            turns.append({
                "at": _iso(event.get("timestamp")), "who": "customer", "text": mask_pii(event.get("text") or ""),
                "intent": intent.get("name"), "confidence": round(float(intent.get("confidence") or 0.0), 2),
                "entities": [{"entity": e.get("entity"), "value": mask_pii(str(e.get("value")))}
                             for e in parse.get("entities") or [] if e.get("entity") not in SIGNAL_ENTITIES],
                "slots": {},
            })
        elif kind == "bot":
            text = event.get("text") or ""
            data = event.get("data") or {}
            buttons = [b.get("title") for b in data.get("buttons") or [] if isinstance(b, dict)]
            metadata = event.get("metadata") or {}
            who = "agent" if metadata.get("agent") else "bot"
            turn = {"at": _iso(event.get("timestamp")), "who": who, "text": mask_pii(text), "buttons": buttons}
            if who == "agent":
                turn["agent"] = metadata.get("agent")
            turns.append(turn)
        elif kind == "slot" and turns and turns[-1]["who"] == "customer":
            name = event.get("name")
            if name and name not in _HIDDEN_SLOTS and event.get("value") is not None:
                turns[-1]["slots"][name] = _shown(event.get("value"))
    return turns


def _shown(value: Any) -> Any:
    return mask_pii(value) if isinstance(value, str) else value


def summarize(reason: str, customer: CustomerFacts, peak_emotion: str, last_question: Optional[str],
              tickets: Sequence[TicketFacts], kb: Sequence[KbAnswer]) -> Dict[str, str]:
    """One or two sentences per language: why the customer wants a person and what happened."""
    unhelpful = sum(1 for a in kb if a.helpful is False) + sum(1 for a in kb if a.outcome == "unanswered")
    zh = [REASON_TEXT[reason]["zh"]]
    en = [REASON_TEXT[reason]["en"].capitalize()]
    if customer.tier == "vip" and reason != "vip":
        zh.append("VIP 客户")
        en.append("VIP customer")
    zh.append(f"情绪{EMOTION_TEXT.get(peak_emotion, EMOTION_TEXT['calm'])['zh']}")
    en.append(f"mood {EMOTION_TEXT.get(peak_emotion, EMOTION_TEXT['calm'])['en']}")
    if tickets:
        t = tickets[0]
        order = f"，订单 {t.order_number}" if t.order_number else ""
        order_en = f", order {t.order_number}" if t.order_number else ""
        zh.append(f"投诉 {t.number}{order}：{mask_pii(t.description)[:60]}")
        en.append(f"complaint {t.number}{order_en}: {mask_pii(t.description)[:60]}")
    if kb:
        zh.append(f"知识库回答 {len(kb)} 次，{unhelpful} 次没帮上")
        en.append(f"{len(kb)} knowledge-base answers, {unhelpful} did not help")
    if last_question:
        zh.append(f"最后一句：「{mask_pii(last_question)[:80]}」")
        en.append(f"last message: \"{mask_pii(last_question)[:80]}\"")
    return {"zh": "；".join(zh) + "。", "en": "; ".join(en) + "."}


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
    last_question = next((t["text"] for t in reversed(transcript)
                          if t["who"] == "customer" and not t["text"].startswith("/")
                          and t.get("intent") not in _NOT_THE_PROBLEM), None)
    peak = peak_level(None, emotion_history)  # over the whole history the agent is shown
    return HandoffContext(
        customer={"id": customer.customer_id, "name": customer.name, "tier": customer.tier,
                  "phone": mask_pii(customer.phone) if customer.phone else None,
                  "channel": customer.channel, "language": customer.language},
        reason=reason,
        summary=summarize(reason, customer, peak, last_question, tickets, kb),
        transcript=transcript,
        slots={k: _shown(v) for k, v in slots.items() if k not in _HIDDEN_SLOTS and v not in (None, "", [])},
        emotions=[{"level": h.get("level"), "score": h.get("score")} for h in emotion_history
                  if isinstance(h, Mapping)],
        tickets=[{"number": t.number, "category": t.category, "severity": t.severity, "status": t.status,
                  "order_number": t.order_number, "description": mask_pii(t.description),
                  "escalation_reason": t.escalation_reason} for t in tickets],
        kb_answers=[{"question": mask_pii(a.question), "outcome": a.outcome, "entry_id": a.entry_id,
                     "helpful": a.helpful} for a in kb],
    )
