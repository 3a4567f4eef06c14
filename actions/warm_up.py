"""Loads the knowledge base before the first customer arrives.

Called once by the run command (`bot.runtime.assistant.warm_up`), never by the dialogue.
"""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.services import get_services


class ActionWarmUp(Action):
    def name(self) -> Text:
        return "action_warm_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        get_services().knowledge_base.search("退货 refund")
        return []
