"""Where a message goes when NLU's reading alone would misroute it (bot/routing): the misroutes of issue #12
and everyday messages that must keep their reading."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.routing.decision import ANSWER, FALLBACK, FEELING_RESPONSES, Turn, is_policy_question, route
from bot.routing.feeling import CONFUSED, PLEASED, UPSET, read_feeling
from bot.routing.garbled import is_garbled
from bot.routing.yes_no import YES_NO_RESPONSES, asked_yes_no, is_bare_reply

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", ["屯屯屯锟斤拷", "锟斤拷锟斤拷", "烫烫烫烫烫", "浣犲ソ锛屾垜鎯抽€€璐", "asdfghjkl", "jkljkljkljkl",
                                  "qwertyu", "sdfsdfsdfsdf", "zzzzzzz", "ÃÂ©Ã¨", "�����", "噢噢噢好好好卡卡卡卡卡"])
def test_garbled_text_is_recognised(text):
    assert is_garbled(text)


@pytest.mark.parametrize("text", ["刚下的单能不能取消", "哈哈哈哈哈哈", "666666", "GD2611180002", "好好好好好", "hhhhhh",
                                  "how long does a refund take?", "iPhone 16 Pro Max", "嗯嗯嗯嗯嗯", "😡😡😡😡😡",
                                  "？？？？？", "my order GD2611180002 hasn't arrived", "rhythm", "strengths"])
def test_real_messages_are_not_garbled(text):
    assert not is_garbled(text)


@pytest.mark.parametrize("text, feeling", [
    ("😡😡😡", UPSET), ("🙄", UPSET), ("!!!", UPSET), ("唉…", UPSET), ("无语", UPSET), ("。。。", UPSET), ("ugh", UPSET),
    ("???", CONFUSED), ("？？", CONFUSED), ("🤔", CONFUSED), ("啥？", CONFUSED), ("what?", CONFUSED), ("嗯？", CONFUSED),
    ("👍", PLEASED), ("哈哈哈", PLEASED), ("😊😊", PLEASED), ("lol", PLEASED),
])
def test_a_feeling_alone_is_read_as_that_feeling(text, feeling):
    assert read_feeling(text) == feeling


@pytest.mark.parametrize("text", ["嗯", "嗯嗯", "好的", "不用了", "ok", "退货运费谁出？", "运费怎么算？",
                                  "what is your return policy?", "😡 快递三天了还没到", "GD2611180002", "谢谢"])
def test_a_message_that_says_something_is_not_a_bare_feeling(text):
    assert read_feeling(text) is None


@pytest.mark.parametrize("text", ["好的", "好的好的", "嗯嗯", "是的", "不用了，谢谢", "不需要", "可以啊", "yes", "yes please",
                                  "no thanks", "nope", "ok", "sure, go ahead", "不用了谢谢啦"])
def test_bare_yes_and_no(text):
    assert is_bare_reply(text)


@pytest.mark.parametrize("text", ["刚下的单能不能取消", "好的，那退货运费谁出", "可以开发票吗", "不是这个，我问的是换货",
                                  "yes but how long will the refund take", "no I want to return it", "是吗？"])
def test_more_than_a_yes_or_no(text):
    assert not is_bare_reply(text)


def test_which_bot_messages_ask_yes_or_no():
    assert asked_yes_no("utter_kb_ask_feedback")
    assert asked_yes_no("utter_default")
    assert asked_yes_no(None, ["/request_human", "/affirm"])
    assert not asked_yes_no("utter_welcome")
    assert not asked_yes_no(None, ["/request_human"])
    assert not asked_yes_no(None)


def test_every_yes_no_response_and_feeling_response_is_in_the_domain():
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    assert YES_NO_RESPONSES <= set(responses)
    for name in FEELING_RESPONSES.values():
        variations = responses[name]
        chinese = [v for v in variations if not v.get("condition")]
        english = [v for v in variations if v.get("condition")]
        assert len(chinese) >= 3 and len(english) >= 3, name


@pytest.mark.parametrize("text, intent, expected", [
    ("刚下的单能不能取消", "affirm", ANSWER),  # issue #12: was answered "好嘞"
    ("I want to return my headphones, is that possible?", "affirm", ANSWER),
    ("那退货运费谁出", "deny", ANSWER),
    ("我上周买的", "affirm", FALLBACK),  # not a question, not a yes: say so instead of "好嘞"
    ("好的", "affirm", None),  # a stray yes: the rules answer "anything else?"
    ("不用了", "deny", None),
])
def test_yes_and_no_count_only_after_a_yes_no_question(text, intent, expected):
    assert route(Turn(text, intent, "calm", bot_asked_yes_no=False)) == expected


@pytest.mark.parametrize("text, intent", [("好的", "affirm"), ("是的", "affirm"), ("不用了", "deny"), ("不是", "deny"),
                                          ("yes", "affirm"), ("可以的", "affirm")])
def test_after_a_yes_no_question_a_yes_or_no_is_one(text, intent):
    assert route(Turn(text, intent, "calm", bot_asked_yes_no=True)) is None


def test_after_a_yes_no_question_a_new_question_is_still_answered():
    assert route(Turn("好的，那换货需要多久呢？", "affirm", "calm", bot_asked_yes_no=True)) == ANSWER


@pytest.mark.parametrize("text", ["屯屯屯锟斤拷", "asdfghjkl", "锟斤拷烫烫烫"])
def test_garbled_text_falls_back_whatever_nlu_read(text):
    for intent in ("affirm", "deny", "greet", "ask_question", None):
        assert route(Turn(text, intent, "calm")) == FALLBACK


@pytest.mark.parametrize("text, response", [("😡😡😡", "utter_feeling_upset"), ("???", "utter_feeling_confused"),
                                            ("唉…", "utter_feeling_upset"), ("🙄", "utter_feeling_upset"),
                                            ("!!!", "utter_feeling_upset")])
def test_a_feeling_gets_an_acknowledgement_not_a_search(text, response):
    for intent in ("ask_question", "nlu_fallback", "chitchat", "affirm"):
        assert route(Turn(text, intent, "angry")) == response


def test_a_thumbs_up_after_was_it_helpful_keeps_nlu_s_reading():
    assert route(Turn("👍", "kb_helpful", "calm", bot_asked_yes_no=True)) is None
    assert route(Turn("👍", "ask_question", "calm")) == "utter_feeling_pleased"


@pytest.mark.parametrize("text", ["买完就降价了能补差价吗", "商品到手有划痕能换货吗", "下单后多久内可以取消？",
                                  "can I get a refund of the difference if the price drops?"])
def test_a_calm_policy_question_read_as_a_complaint_is_answered(text):
    assert is_policy_question(text, "calm")
    assert route(Turn(text, "complain", "calm")) == ANSWER


@pytest.mark.parametrize("text, emotion", [
    ("说好的价保不给退差价", "upset"),  # a grievance, not a question
    ("你们怎么还没发货？", "calm"),  # "还没": it already went wrong
    ("我要投诉，降价了为什么不给补差价？", "calm"),
    ("买完就降价了能补差价吗", "angry"),  # the same question, asked angrily, is a complaint
    ("why haven't you refunded me yet?", "calm"),
])
def test_a_complaint_stays_a_complaint(text, emotion):
    assert route(Turn(text, "complain", emotion)) is None


def test_nothing_is_rerouted_while_a_form_or_handoff_is_under_way():
    assert route(Turn("😡😡😡", "ask_question", "angry", busy=True)) is None
    assert route(Turn("刚下的单能不能取消", "affirm", "calm", busy=True)) is None


def test_button_payloads_keep_their_intent():
    assert route(Turn("/affirm", "affirm", None)) is None


@pytest.mark.parametrize("text", ["刚下的单能不能取消", "订单怎么取消？", "can I cancel my order?"])
def test_a_question_about_cancelling_read_as_cancel_is_answered(text):
    assert route(Turn(text, "cancel", "calm")) == ANSWER
    assert route(Turn("算了，不用了", "cancel", "calm")) is None


def test_cancel_inside_a_form_is_left_to_the_form():
    assert route(Turn("不投诉了，能取消吗", "cancel", "calm", busy=True)) is None
