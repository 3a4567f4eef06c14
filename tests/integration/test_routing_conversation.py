"""The misroutes of issue #12, through the real servers, as the customer sees them: a policy question is
answered (not "好嘞", not the complaint form), garbled text is not taken for a yes, and "😡😡😡" after an answer
is met with an apology and the offer of a person instead of the same answer again."""
import shutil
import uuid

import pytest

from benchmarks.routing_bench import behaviour_of, response_patterns
from tests.support.processes import PROJECT_ROOT, AssistantProcess

PERSON = "/request_human"


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("routing-var")
    kb_dir = var_dir / "knowledge_base"
    shutil.copytree(PROJECT_ROOT / "knowledge_base", kb_dir)
    process = AssistantProcess(var_dir=var_dir, extra_env={"BOT_KB_DIR": str(kb_dir)})
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def patterns():
    return response_patterns(PROJECT_ROOT / "domain.yml")


def sender():
    return f"route-{uuid.uuid4().hex[:8]}"


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def payloads(messages):
    return [b.get("payload") for m in messages for b in m.get("buttons") or []]


def test_a_question_about_cancelling_is_answered_not_taken_for_a_yes(assistant, patterns):
    messages = assistant.say(sender(), "刚下的单能不能取消")
    assert "好嘞" not in texts(messages) and "还有什么可以帮您" not in texts(messages)
    assert behaviour_of(messages, patterns) == "answer"
    assert "取消" in texts(messages)


def test_a_price_protection_question_is_answered_not_turned_into_a_complaint(assistant, patterns):
    messages = assistant.say(sender(), "买完就降价了能补差价吗")
    assert behaviour_of(messages, patterns) == "answer"
    assert not any("complaint_category" in (p or "") for p in payloads(messages))
    assert "价" in texts(messages)


def test_a_real_complaint_still_opens_the_complaint_form(assistant, patterns):
    messages = assistant.say(sender(), "说好的价保结果不给补差价，太过分了，我要投诉")
    assert behaviour_of(messages, patterns) == "complaint"


@pytest.mark.parametrize("question", ["商品到手有划痕能换货吗", "I want to return my headphones, is that possible?",
                                      "运费怎么算？"])
def test_policy_questions_reach_the_knowledge_base(assistant, patterns, question):
    assert behaviour_of(assistant.say(sender(), question), patterns) == "answer"


def test_garbled_text_is_not_read_as_yes(assistant, patterns):
    messages = assistant.say(sender(), "屯屯屯锟斤拷")
    assert behaviour_of(messages, patterns) == "fallback"
    assert PERSON in payloads(messages)  # the customer can reach a person from there


def test_angry_emoji_after_an_answer_gets_empathy_and_a_person_not_the_answer_again(assistant, patterns):
    customer = sender()
    answer = assistant.say(customer, "退货运费谁出？")
    assert behaviour_of(answer, patterns) == "answer"
    reaction = assistant.say(customer, "😡😡😡")
    assert behaviour_of(reaction, patterns) == "feeling"
    assert texts(answer[:1]) not in texts(reaction)
    assert PERSON in payloads(reaction)
    assert any(word in texts(reaction) for word in ("抱歉", "不好意思", "明白", "理解"))  # empathy first


def test_question_marks_alone_ask_what_is_unclear_in_english_too(assistant, patterns):
    customer = sender()
    assistant.say(customer, "how long does a refund take?")
    reaction = assistant.say(customer, "???")
    assert behaviour_of(reaction, patterns) == "feeling"
    assert PERSON in payloads(reaction) and "person" in texts(reaction).lower()


def test_a_yes_after_was_it_helpful_is_still_a_yes(assistant, patterns):
    customer = sender()
    answer = assistant.say(customer, "退货运费谁出？")
    assert "/kb_helpful" in payloads(answer)
    reply = assistant.say(customer, "是的")
    assert behaviour_of(reply, patterns) != "answer"  # not searched as a question
    assert texts(answer[:1]) not in texts(reply)
