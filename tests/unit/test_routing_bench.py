"""How the routing check reads what the bot did from what the customer saw (benchmarks/routing_bench.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.routing_bench import BEHAVIOURS, behaviour_of, load_cases, response_patterns

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def patterns():
    return response_patterns(ROOT / "domain.yml")


def first_text(name: str, english: bool = False) -> str:
    variations = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][name]
    return next(v["text"] for v in variations if bool(v.get("condition")) == english)


def test_a_knowledge_base_answer_is_an_answer(patterns):
    messages = [{"text": "单笔订单满 99 元包邮。"}, {"text": first_text("utter_kb_ask_feedback"),
                                                    "buttons": [{"payload": "/kb_helpful"}]}]
    assert behaviour_of(messages, patterns) == "answer"


def test_the_complaint_form_is_a_complaint(patterns):
    messages = [{"text": first_text("utter_complaint_empathy_calm")},
                {"text": "请问是哪方面的问题呢？点选一下就好：",
                 "buttons": [{"payload": '/inform{"complaint_category":"delivery"}'}]}]
    assert behaviour_of(messages, patterns) == "complaint"


def test_small_talk_fallback_and_feelings(patterns):
    assert behaviour_of([{"text": first_text("utter_how_can_help")}], patterns) == "small_talk"
    assert behaviour_of([{"text": first_text("utter_default", english=True)}], patterns) == "fallback"
    assert behaviour_of([{"text": first_text("utter_chitchat")}], patterns) == "small_talk"


def test_a_handoff_with_filled_in_numbers_is_a_person(patterns):
    template = first_text("utter_handoff_queued")
    text = template.replace("{ahead}", "3").replace("{minutes}", "6")
    assert behaviour_of([{"text": text}], patterns) == "person"


def test_the_check_has_200_labelled_messages_in_both_languages():
    cases = load_cases()
    assert len(cases) >= 200
    assert {c.language for c in cases} == {"zh", "en"}
    assert all(set(c.expected) <= set(BEHAVIOURS) for c in cases)
    assert len({c.message for c in cases}) == len(cases)


def test_the_check_is_apart_from_the_training_data():
    training = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            training |= {line.strip().lstrip("- ").lower() for line in (block.get("examples") or "").splitlines()}
    assert not {c.message.lower() for c in load_cases()} & training
