"""Colloquial Chinese question words and English spelling variants reach the right entry (synonyms.yml)."""
from pathlib import Path

import pytest

from bot.kb.service import KnowledgeBaseService

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "knowledge_base"


@pytest.fixture(scope="module")
def service():
    return KnowledgeBaseService(KB, KB / "dictionary")


@pytest.mark.parametrize("question, language, expected", [
    ("咋退货", "zh", "return-policy"),
    ("啥时候发货", "zh", "delivery-dispatch-time"),
    ("为啥付款失败", "zh", "payment-failed"),
    ("会员咋升级", "zh", "membership-levels"),
    ("can I swap it for a different color", "en", "return-exchange"),
    ("I want to send it back", "en", "return-policy"),
    ("my order was canceled, when's my money back", "en", "refund-cancelled-order"),
])
def test_colloquial_wording_is_answered_by_the_right_entry(service, question, language, expected):
    decision = service.decide(question, language)
    assert decision.kind == "answer" and decision.entry.id == expected
