"""Handing the conversation to a person, waiting in the queue, leaving a message, and the
satisfaction survey afterwards. The logic lives in `bot.handoff`."""
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.rasa.domain_responses import response_text
from bot.concurrency import run_blocking
from bot.emotion.trajectory import level_of
from bot.handoff.desk import HandoffOutcome
from bot.handoff.request_builder import build_request
from bot.handoff.survey import is_rating
from bot.handoff.triggers import handoff_reason, misses_before_this_message
from bot.observability.masking import mask_id
from bot.services import get_services
from bot.settings import get_settings
from bot.storage.database import get_database
from bot.storage.models import utcnow

logger = logging.getLogger(__name__)


def _intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _when(outcome: HandoffOutcome) -> str:
    settings = get_settings()
    opening = outcome.availability.next_opening
    today = settings.local_time(utcnow()).date()
    return opening.strftime("%H:%M") if opening.date() == today else opening.strftime("%m-%d %H:%M")


def _entry_titles(entry_id: str) -> Optional[Dict[str, str]]:
    """A knowledge-base entry's question per language, so the agent reads a question, not an entry id."""
    try:
        entry = get_services().knowledge_base.entry(entry_id)
    except Exception:  # the knowledge base cannot be loaded: the agent sees the id
        logger.warning("knowledge base not available for the handoff context", exc_info=True)
        return None
    return dict(entry.question) if entry else None


def waiting_response(ahead: int, asked_again: bool) -> str:
    """While waiting: "you are next / N ahead" for a customer asking for a person again, else "passed on"."""
    if asked_again:
        return "utter_handoff_already_waiting" if ahead else "utter_handoff_already_waiting_next"
    return "utter_handoff_still_waiting" if ahead else "utter_handoff_still_waiting_next"


def tell_outcome(dispatcher: CollectingDispatcher, outcome: HandoffOutcome, again: bool = False,
                 asked_again: bool = False) -> List[EventType]:
    number = outcome.handoff.number
    if outcome.kind == "queued":
        if again:
            dispatcher.utter_message(response=waiting_response(outcome.ahead, asked_again),
                                     ahead=outcome.ahead, minutes=outcome.wait_minutes)
        elif outcome.ahead == 0:
            dispatcher.utter_message(response="utter_handoff_queued_next", minutes=outcome.wait_minutes)
        else:
            dispatcher.utter_message(response="utter_handoff_queued", ahead=outcome.ahead,
                                     minutes=outcome.wait_minutes)
        return [SlotSet("handoff_state", "queued"), SlotSet("handoff_number", number)]
    if outcome.kind == "claimed":
        return [SlotSet("handoff_state", "claimed"), SlotSet("handoff_number", number)]
    response = "utter_handoff_closed" if outcome.kind == "closed" else "utter_handoff_no_agent"
    dispatcher.utter_message(response=response, hours=outcome.availability.hours, next_open=_when(outcome),
                             handoff_number=number)
    return [SlotSet("handoff_state", "callback"), SlotSet("handoff_number", number)]


class ActionRequestHuman(Action):
    """Queues the conversation for a person with everything the agent needs to know."""

    def name(self) -> Text:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        settings = get_settings()
        slots = tracker.current_slot_values()
        reason = handoff_reason(
            _intent(tracker), slots.get("customer_tier"), level_of(slots.get("emotion")),
            misses_before_this_message(tracker.events), slots.get("handoff_reason"),
            settings.misunderstandings_before_handoff,
        ) or "explicit"
        database = get_database(settings)

        def request() -> HandoffOutcome:
            built = build_request(settings, database, tracker.sender_id, tracker.get_latest_input_channel(),
                                  slots, tracker.events, reason, _entry_titles)
            return get_services().handoff_desk.request(built)

        try:
            outcome = await run_blocking(request)
        except Exception:  # the database is down: be honest and give the hotline
            logger.exception("handoff not recorded for conversation %s", mask_id(tracker.sender_id))
            dispatcher.utter_message(response="utter_handoff_failed")
            return [SlotSet("handoff_reason", None)]
        logger.info("handoff %s (%s, %s) for conversation %s", outcome.handoff.number, reason, outcome.kind,
                    mask_id(tracker.sender_id))
        if reason == "misunderstood":
            dispatcher.utter_message(response="utter_handoff_after_misunderstanding")
        return tell_outcome(dispatcher, outcome) + [SlotSet("handoff_reason", None)]


class ActionHandoffWaiting(Action):
    """A message while waiting: it is already in the transcript the agent reads; say where they are."""

    def name(self) -> Text:
        return "action_handoff_waiting"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        services = get_services()
        await run_blocking(self._refresh, services, tracker)
        outcome = await run_blocking(services.handoff_desk.place, tracker.sender_id)
        if outcome is None:  # the request was closed meanwhile: back to the bot
            dispatcher.utter_message(response="utter_how_can_help")
            return [SlotSet("handoff_state", None), SlotSet("handoff_number", None)]
        return tell_outcome(dispatcher, outcome, again=True, asked_again=_intent(tracker) == "request_human")

    @staticmethod
    def _refresh(services: Any, tracker: Tracker) -> None:
        """The agent's view follows what the customer writes while waiting: the mood, the priority, the summary."""
        desk = services.handoff_desk
        handoff = desk.queue.open_for(tracker.sender_id)
        if handoff is None:
            return
        try:
            built = build_request(services.settings, services.database, tracker.sender_id,
                                  tracker.get_latest_input_channel(), tracker.current_slot_values(), tracker.events,
                                  handoff.reason, _entry_titles)
            desk.queue.refresh(handoff.id, built)
        except Exception:  # the agent's view stays as it was; the customer still hears where they are
            logger.exception("handoff %s: context not refreshed", handoff.number)


class ActionAgentJoined(Action):
    """The agent's first words, in the agent's name: the chat shows who is speaking from now on."""

    def name(self) -> Text:
        return "action_agent_joined"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        agent = tracker.get_slot("handoff_agent") or ""
        dispatcher.utter_message(response="utter_handoff_agent_joined", **({"agent": agent} if agent else {}))
        return []


class ActionCancelHandoff(Action):
    def name(self) -> Text:
        return "action_cancel_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        await run_blocking(get_services().handoff_desk.queue.cancel_by_customer, tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_cancelled")
        return [SlotSet("handoff_state", None), SlotSet("handoff_number", None)]


class ActionLeaveMessage(Action):
    """With nobody available: the customer's message goes on their callback request."""

    def name(self) -> Text:
        return "action_leave_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        desk = get_services().handoff_desk
        handoff = await run_blocking(desk.queue.attach_callback_message, tracker.sender_id, text)
        if handoff is None:
            dispatcher.utter_message(response="utter_how_can_help")
        else:
            availability = await run_blocking(desk.availability)
            if availability.open_now:  # open but nobody free: no time we could not keep
                dispatcher.utter_message(response="utter_handoff_message_taken_open", handoff_number=handoff.number)
            else:
                dispatcher.utter_message(response="utter_handoff_message_taken", handoff_number=handoff.number,
                                         next_open=_when(HandoffOutcome(handoff, "closed", availability)))
        return [SlotSet("handoff_state", None)]


RATINGS = (5, 4, 3, 2, 1)


class ActionAskSatisfaction(Action):
    """After an agent resolved the conversation: a 1-5 rating with one button per score."""

    def name(self) -> Text:
        return "action_ask_satisfaction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        language = tracker.get_slot("language") or get_settings().default_language
        titles = (response_text(domain, "utter_button_ratings", language) or "5|4|3|2|1").split("|")
        buttons = [{"title": title.strip(), "payload": f'/rate_service{{"satisfaction_score":"{score}"}}'}
                   for score, title in zip(RATINGS, titles)]
        dispatcher.utter_message(response="utter_ask_satisfaction", buttons=buttons)
        return []


class ActionRecordSatisfaction(Action):
    def name(self) -> Text:
        return "action_record_satisfaction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        raw = next(tracker.get_latest_entity_values("satisfaction_score"), None)
        try:
            score = int(float(raw))
        except (TypeError, ValueError, OverflowError):
            score = 0
        if not is_rating(score):
            dispatcher.utter_message(response="utter_ask_satisfaction")
            return []
        await run_blocking(get_services().handoff_desk.survey.record_rating, tracker.sender_id, score)
        dispatcher.utter_message(response="utter_survey_thanks_good" if score >= 4 else "utter_survey_thanks_poor")
        return [SlotSet("handoff_state", "comment")]


class ActionRecordSurveyComment(Action):
    def name(self) -> Text:
        return "action_record_survey_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        if _intent(tracker) in ("deny", "cancel") or text.startswith("/"):
            dispatcher.utter_message(response="utter_survey_no_comment")
        else:
            await run_blocking(get_services().handoff_desk.survey.record_comment, tracker.sender_id, text)
            dispatcher.utter_message(response="utter_survey_comment_thanks")
        return [SlotSet("handoff_state", None)]


class ActionHandleMisunderstanding(Action):
    """NLU was unsure (or no policy was): try the knowledge base; if it has nothing either, ask to
    rephrase, and the second time in a row bring in a person."""

    def name(self) -> Text:
        return "action_handle_misunderstanding"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        from actions.knowledge_base import answer_from_knowledge_base

        return await answer_from_knowledge_base(dispatcher, tracker, domain, understood=False)
