"""Follow-ups and the questions customers asked in issue #12, through FaqAssistant as the action calls it."""
from pathlib import Path

import pytest

from bot.kb.assistant import FaqAssistant
from bot.kb.service import KnowledgeBaseService

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "knowledge_base"


@pytest.fixture(scope="module")
def faq():
    return FaqAssistant(KnowledgeBaseService(KB, KB / "dictionary"), records=None)


@pytest.mark.parametrize("question, expected", [
    ("运费怎么算？", "delivery-fee"),
    ("I want to return my headphones, is that possible?", "return-policy"),
    ("商品到手有划痕能换货吗", "return-quality-issue"),
    ("刚下的单能不能取消", "order-cancel"),
    ("买完就降价了能补差价吗", "refund-price-difference"),
])
def test_a_clear_best_match_is_answered_not_offered_as_choices(faq, question, expected):
    reply = faq.reply("c", question, None)
    assert reply.kind == "answer" and reply.entry_id == expected
    assert reply.text == KnowledgeBaseService(KB).entry(expected).answer_in(reply.language)


def test_a_vague_follow_up_gets_its_own_answer_not_the_previous_one_again(faq):
    first = faq.reply("c", "退货运费谁出？", None)
    assert first.entry_id == "return-shipping-fee"
    follow_up = faq.reply("c", "那要多久到账", "zh", previous_entry_id=first.entry_id)
    assert follow_up.kind == "answer" and follow_up.entry_id == "refund-time"
    assert follow_up.text != first.text


def test_the_previous_topic_still_helps_a_follow_up_that_needs_it(faq):
    reply = faq.reply("c", "那要多久？", "zh", previous_entry_id="repair-send-in")
    assert reply.entry_id == "repair-time"
    english = faq.reply("c", "how long does that take", "en", previous_entry_id="return-exchange")
    assert english.entry_id == "return-exchange-time"


def test_context_never_brings_back_the_answer_just_given(faq):
    for question in ("那呢", "还有呢", "and then?"):
        reply = faq.reply("c", question, None, previous_entry_id="return-shipping-fee")
        assert reply.entry_id != "return-shipping-fee", question


def test_the_same_answer_is_repeated_when_the_customer_asks_for_it(faq):
    again = faq.reply("c", "刚才说的没看明白，再说一遍", "zh", previous_entry_id="return-shipping-fee")
    assert again.kind == "answer" and again.entry_id == "return-shipping-fee"
    asked_alone = faq.reply("c", "退货的运费谁来出", "zh", previous_entry_id="return-shipping-fee")
    assert asked_alone.entry_id == "return-shipping-fee"  # asked again in full: answered again


@pytest.mark.parametrize("follow_up, expected", [
    ("你刚才说的退款多久到账？", "refund-time"),
    ("没看懂，那发票怎么开？", "invoice-how"),
])
def test_asking_again_about_something_else_gets_that_answer_not_the_last_one(faq, follow_up, expected):
    reply = faq.reply("c", follow_up, "zh", previous_entry_id="return-shipping-fee")
    assert reply.kind == "answer" and reply.entry_id == expected
