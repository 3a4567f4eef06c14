"""Answers product and service questions from the knowledge base, and records feedback on answers."""
import asyncio
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.concurrency import run_blocking
from bot.handoff.triggers import misses_before_this_message, too_many_misunderstandings
from bot.kb.assistant import FaqReply
from bot.kb.text import looks_like_question
from bot.rasa.domain_responses import response_text
from bot.services import get_services


class ActionAnswerQuestion(Action):
    def name(self) -> Text:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        delay = get_services().settings.debug_answer_delay_s
        if delay:  # tests of WeChat's deadline only
            await asyncio.sleep(delay)
        return await answer_from_knowledge_base(dispatcher, tracker, domain, understood=True)


async def answer_from_knowledge_base(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any], understood: bool
) -> List[Dict[Text, Any]]:
    """Answers from the knowledge base. `understood` is False when NLU was unsure (the fallback):
    the knowledge base is still tried, and a miss is told as "I didn't understand" unless the
    message reads like a question, which is then admitted and recorded as unanswered."""
    text = (tracker.latest_message or {}).get("text") or ""
    question = "" if text.startswith("/") else text
    question_like = understood or looks_like_question(question)
    chosen: Optional[str] = next(tracker.get_latest_entity_values("kb_entry_id"), None)
    answers = int(tracker.get_slot("kb_answer_count") or 0)
    services = get_services()
    reply: FaqReply = await run_blocking(
        lambda: services.faq.reply(  # built on first use, off the event loop
            tracker.sender_id, question, tracker.get_slot("language"),
            previous_entry_id=tracker.get_slot("kb_last_entry"), chosen_entry_id=chosen,
            answers_so_far=answers, record_unanswered=question_like,
        ),
    )
    events: List[Dict[Text, Any]] = []
    if reply.language != tracker.get_slot("language"):
        events.append(SlotSet("language", reply.language))
    if reply.kind == "answer":
        if reply.note_response and response_text(domain, reply.note_response, reply.language):
            dispatcher.utter_message(response=reply.note_response)  # "our FAQ is in Chinese only"
        dispatcher.utter_message(text=reply.text)
        if reply.ask_feedback:
            dispatcher.utter_message(response="utter_kb_ask_feedback")
        return events + [
            SlotSet("kb_last_entry", reply.entry_id),
            SlotSet("kb_last_question", question or None),
            SlotSet("kb_answer_count", answers + 1),
        ]
    if reply.kind == "choose":
        buttons = [{"title": t, "payload": p} for t, p in reply.buttons]
        escape = response_text(domain, "utter_kb_button_none_of_these", reply.language)
        if escape:
            buttons.append({"title": escape, "payload": "/request_human"})
        dispatcher.utter_message(response="utter_kb_choose", buttons=buttons)
        return events
    misses = misses_before_this_message(tracker.events) + 1  # this message is one more
    if too_many_misunderstandings(misses, services.settings.misunderstandings_before_handoff):
        return events + [SlotSet("handoff_reason", "misunderstood"), FollowupAction("action_request_human")]
    dispatcher.utter_message(response="utter_kb_no_answer" if question_like else "utter_default")
    return events


class ActionRecordKbFeedback(Action):
    def name(self) -> Text:
        return "action_record_kb_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        entry_id = tracker.get_slot("kb_last_entry")
        helpful = (tracker.latest_message or {}).get("intent", {}).get("name") == "kb_helpful"
        if not entry_id:
            dispatcher.utter_message(response="utter_how_can_help")
            return []
        await run_blocking(
            get_services().kb_records.record_feedback,
            tracker.sender_id, entry_id, tracker.get_slot("kb_last_question"), helpful,
        )
        dispatcher.utter_message(response="utter_kb_thanks_helpful" if helpful else "utter_kb_sorry_unhelpful")
        return []
