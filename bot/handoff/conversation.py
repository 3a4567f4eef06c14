"""What the assistant does with a customer's message while a handoff is under way.

The slot ``handoff_state`` says where the customer is:
- ``queued``: waiting for an agent. Every message is kept for the agent and acknowledged with the
  place in the queue; "cancel" takes the customer back to the bot.
- ``callback``: nobody is available; the next message is the one the customer leaves for us.
- ``comment``: the customer rated the service; the next message is an optional comment.
- ``claimed``: an agent owns the conversation. Rasa's ``ConversationPaused`` keeps the bot silent,
  so this module is not even asked.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from bot.settings import Settings

STATES = ("queued", "callback", "comment", "claimed")

# Actions after which the assistant waits for the customer (the policy answers action_listen).
HANDOFF_ACTIONS = frozenset({
    "action_request_human", "action_handoff_waiting", "action_cancel_handoff", "action_leave_message",
    "action_record_survey_comment",
})
_LEAVE_STATE_INTENTS = frozenset({"restart", "session_start"})
CANCEL_INTENTS = frozenset({"cancel"})


@dataclass(frozen=True)
class CancelThresholds:
    """A message left for an agent often contains "不行" or "not": only a short, clear "cancel" leaves
    the queue. `min_confidence` also applies to a clear request for something else. The defaults are
    the settings' defaults (BOT_HANDOFF_CANCEL_MAX_CHARS, BOT_HANDOFF_CANCEL_MIN_CONFIDENCE)."""

    max_chars: int = 16
    min_confidence: float = 0.8

    @classmethod
    def from_settings(cls, settings: "Settings") -> "CancelThresholds":
        return cls(max_chars=settings.handoff_cancel_max_chars,
                   min_confidence=settings.handoff_cancel_min_confidence)


DEFAULT_CANCEL = CancelThresholds()


def is_cancel(intent: Optional[str], confidence: float, text: str,
              thresholds: CancelThresholds = DEFAULT_CANCEL) -> bool:
    if intent not in CANCEL_INTENTS:
        return False
    if text.startswith("/"):  # the button
        return True
    return confidence >= thresholds.min_confidence and len(text.strip()) <= thresholds.max_chars


# A clear request for something else ends "the next message is the one you leave / your comment".
LEAVE_STATE = "leave_state"
# (A survey comment often says thank you or complains: that is the comment, so fewer ways out there.)
_OTHER_REQUESTS = {
    "callback": frozenset({"check_ticket_status", "complain", "greet", "goodbye", "thanks"}),
    "comment": frozenset({"check_ticket_status", "request_human"}),
}


def next_action(state: Optional[str], intent: Optional[str], latest_action: Optional[str],
                confidence: float = 1.0, text: str = "",
                thresholds: CancelThresholds = DEFAULT_CANCEL) -> Optional[str]:
    """The action to run now; None to let the other policies decide; LEAVE_STATE to clear the state
    and let them decide."""
    if latest_action in HANDOFF_ACTIONS:
        return "action_listen"
    if latest_action != "action_listen" or state not in ("queued", "callback", "comment"):
        return None
    if intent in _LEAVE_STATE_INTENTS:
        return None
    if intent in _OTHER_REQUESTS.get(state, ()) and confidence >= thresholds.min_confidence:
        return LEAVE_STATE
    cancel = is_cancel(intent, confidence, text or "/", thresholds)
    if state == "queued":
        return "action_cancel_handoff" if cancel else "action_handoff_waiting"
    if state == "callback":
        return "action_cancel_handoff" if cancel else "action_leave_message"
    if intent == "rate_service" and (text or "/").startswith("/"):  # a second tap on the rating buttons
        return None
    return "action_record_survey_comment"
