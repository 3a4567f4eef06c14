"""Fills the `language` slot on every customer message (Rasa runs this after each message)."""
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from bot.emotion.scorer import get_scorer
from bot.nlu.language import detect_language
from bot.settings import get_settings

HISTORY_LENGTH = 20



class ValidateSlotMappings(ValidationAction):
    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        text = (tracker.latest_message or {}).get("text") or ""
        language = None if text.startswith("/") else detect_language(text)
        if language and language != tracker.get_slot("language"):
            events.append(SlotSet("language", language))
        if text and not text.startswith("/"):
            settings = get_settings()
            emotion = get_scorer(settings.emotion_upset_at, settings.emotion_angry_at).score(text)
            history = list(tracker.get_slot("emotion_history") or [])[-(HISTORY_LENGTH - 1):]
            history.append({"level": emotion.level, "score": emotion.score})
            events += [
                SlotSet("emotion", emotion.level),
                SlotSet("emotion_score", emotion.score),
                SlotSet("emotion_history", history),
            ]
        return events
