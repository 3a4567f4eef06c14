"""The message guard's rules (payload shortcuts, length, rate) and its adapter on Rasa's objects."""
import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.message_guard import (
    MessageGuard, accepts_payload, as_plain_text, checked_entities, is_payload, offered_payloads,
    standing_payloads, too_long_parse_data,
)
from bot.settings import load_settings

CATEGORY = '/inform{"complaint_category":"delivery"}'


def test_only_the_buttons_since_the_customer_last_spoke_are_offered():
    newest_first = [
        {"event": "action", "name": "action_listen"},
        {"event": "bot", "data": {"buttons": [{"title": "物流", "payload": CATEGORY}]}},
        {"event": "bot", "data": {"buttons": [{"title": "转人工", "payload": "/request_human"}]}},
        {"event": "user"},
        {"event": "bot", "data": {"buttons": [{"title": "5", "payload": '/rate_service{"satisfaction_score":"5"}'}]}},
    ]
    assert offered_payloads(newest_first) == {CATEGORY, "/request_human"}
    assert offered_payloads([{"event": "user"}, newest_first[1]]) == set()


def test_a_typed_shortcut_is_accepted_only_when_offered_or_standing():
    offered = {CATEGORY}
    assert accepts_payload(f"  {CATEGORY} ", offered)
    assert accepts_payload("/greet", offered)  # the web chat's start
    assert not accepts_payload('/request_human{"emotion": "angry"}', offered)
    assert not accepts_payload('/inform{"complaint_category":"safety"}', offered)
    assert is_payload(" /x") and not is_payload("运费怎么算") and not is_payload("")


def test_the_wechat_menus_shortcuts_are_standing(tmp_path):
    menu = tmp_path / "wechat_menu.yml"
    menu.write_text("menu:\n  HUMAN: /request_human\n  FAQ: 运费怎么算？\n", encoding="utf-8")
    assert standing_payloads(menu) == {"/greet", "/unsupported_message", "/request_human"}
    assert standing_payloads(tmp_path / "missing.yml") == {"/greet", "/unsupported_message"}


def test_a_refused_shortcut_is_read_without_its_entities():
    assert as_plain_text('/request_human{"emotion": "angry"}') == "request_human"
    assert as_plain_text("/help I am lost") == "help I am lost"
    assert as_plain_text("/") == "?"


@pytest.mark.parametrize("entity, kept", [
    ({"entity": "emotion", "value": "angry"}, {"entity": "emotion", "value": "angry"}),
    ({"entity": "emotion", "value": 'x" onmouseover="alert(1)'}, None),
    ({"entity": "emotion", "value": ["angry"]}, None),
    ({"entity": "emotion_score", "value": "0.5"}, {"entity": "emotion_score", "value": 0.5}),
    ({"entity": "emotion_score", "value": 7}, None),
    ({"entity": "emotion_score", "value": "nan"}, None),
    ({"entity": "emotion_score", "value": "high"}, None),
    ({"entity": "satisfaction_score", "value": "5"}, {"entity": "satisfaction_score", "value": "5"}),
    ({"entity": "satisfaction_score", "value": "6"}, None),
    ({"entity": "satisfaction_score", "value": 2.5}, None),
    ({"entity": "satisfaction_score", "value": True}, None),
    ({"entity": "complaint_category", "value": "delivery"}, {"entity": "complaint_category", "value": "delivery"}),
])
def test_entities_of_a_shortcut_are_checked(entity, kept):
    assert checked_entities([entity]) == ([kept] if kept else [])


def test_a_message_too_long_is_not_read_and_capped():
    data = too_long_parse_data("I need help with my order. " * 400, 1000)
    assert data["intent"] == {"name": "message_too_long", "confidence": 1.0}
    assert len(data["text"]) == 1000
    assert [e["entity"] for e in data["entities"]] == ["language"] and data["entities"][0]["value"] == "en"


# -- the adapter on Rasa's objects ------------------------------------------------------------------------

@pytest.fixture
def guard(tmp_path):
    return MessageGuard(load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_MAX_MESSAGE_CHARS": "50",
                                       "BOT_RATE_PER_SENDER": "3"}))


class Reader:
    """Stands in for Rasa's parse_message: records the text it was asked to read."""

    def __init__(self):
        self.read = []

    async def __call__(self, processor, message, tracker, only_output_properties=True):
        self.read.append(message.text)
        if message.text.startswith("/"):
            return {"text": message.text, "intent": {"name": "inform", "confidence": 1.0},
                    "entities": [{"entity": "emotion", "value": "furious"},
                                 {"entity": "complaint_category", "value": "delivery"}]}
        return {"text": message.text, "intent": {"name": "nlu_fallback", "confidence": 0.4}, "entities": []}


def tracker_with(*events):
    return DialogueStateTracker.from_events("c1", [ActionExecuted("action_listen"), *events])


def test_the_guard_reads_an_offered_shortcut_and_checks_its_entities(guard):
    reader = Reader()
    tracker = tracker_with(UserUttered("我要投诉"), BotUttered("哪一类？", data={"buttons": [
        {"title": "物流", "payload": CATEGORY}]}), ActionExecuted("action_listen"))
    message = UserMessage(CATEGORY, sender_id="c1")
    data = asyncio.run(guard.parse(reader, None, message, tracker))
    assert reader.read == [CATEGORY]
    assert data["entities"] == [{"entity": "complaint_category", "value": "delivery"}]  # the bad emotion dropped


def test_the_guard_reads_a_typed_shortcut_as_text_and_stores_what_was_typed(guard):
    reader = Reader()
    typed = '/request_human{"emotion": "angry"}'
    message = UserMessage(typed, sender_id="c1")
    data = asyncio.run(guard.parse(reader, None, message, tracker_with(UserUttered("你好"))))
    assert reader.read == ["request_human"]
    assert data["intent"]["name"] == "nlu_fallback" and data["entities"] == []
    assert data["text"] == typed and message.text == typed


def test_the_guard_caps_a_long_message_without_reading_it(guard):
    reader = Reader()
    message = UserMessage("很" * 500, sender_id="c1")
    data = asyncio.run(guard.parse(reader, None, message, tracker_with()))
    assert reader.read == []
    assert data["intent"]["name"] == "message_too_long" and message.text == "很" * 50


class Store:
    def __init__(self, tracker):
        self.tracker = tracker

    async def retrieve(self, sender_id):
        return self.tracker


class Agent:
    def __init__(self, tracker):
        self.tracker_store = Store(tracker)
        self.handled = []


async def handle(agent, message):
    agent.handled.append(message.text)
    await message.output_channel.send_text_message(message.sender_id, "answer")
    return message.output_channel.messages


def test_a_fast_sender_is_asked_to_slow_down_in_their_language_and_others_are_served(guard):
    agent = Agent(tracker_with(SlotSet("language", "en")))

    async def burst():
        replies = []
        for n in range(5):
            channel = CollectingOutputChannel()
            replies.append(await guard.handle(handle, agent, UserMessage(f"m{n}", channel, sender_id="fast")))
        other = await guard.handle(handle, agent, UserMessage("hi", CollectingOutputChannel(), sender_id="calm"))
        return replies, other

    replies, other = asyncio.run(burst())
    assert agent.handled == ["m0", "m1", "m2", "hi"]
    assert [r[0]["text"] for r in replies[:3]] == ["answer"] * 3
    for reply in replies[3:]:
        assert len(reply) == 1 and reply[0]["text"] != "answer" and "moment" in reply[0]["text"]
    assert other[0]["text"] == "answer"
