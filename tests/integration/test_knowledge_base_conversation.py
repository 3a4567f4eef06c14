"""FAQ conversations over REST against the real servers and the real knowledge base."""
import re
import shutil
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.processes import PROJECT_ROOT, AssistantProcess

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("kb-var")
    kb_dir = var_dir / "knowledge_base"
    shutil.copytree(PROJECT_ROOT / "knowledge_base", kb_dir)
    process = AssistantProcess(var_dir=var_dir, extra_env={"BOT_KB_DIR": str(kb_dir)})
    process.start()
    yield process
    process.stop()


def sender():
    return f"kb-{uuid.uuid4().hex[:8]}"


def db_rows(assistant, sql):
    engine = create_engine(f"sqlite:///{assistant.var_dir / 'assistant.db'}")
    with engine.connect() as connection:
        return connection.execute(text(sql)).all()


def test_chinese_faq_is_answered_from_the_knowledge_base_with_feedback_buttons(assistant):
    messages = assistant.say(sender(), "请问退货的运费是谁出？")
    assert "运费" in messages[0]["text"] and "运费险" in messages[0]["text"]
    assert [b["payload"] for b in messages[1]["buttons"]] == ["/kb_helpful", "/kb_not_helpful"]


def test_english_faq_is_answered_in_english(assistant):
    messages = assistant.say(sender(), "How long does a refund take to reach my account?")
    assert "working days" in messages[0]["text"] and not HAN.search(messages[0]["text"])


def test_ambiguous_question_offers_choices_and_a_choice_is_answered(assistant):
    customer = sender()
    choose = assistant.say(customer, "积分的问题")[0]
    assert "哪" in choose["text"]
    payloads = [b["payload"] for b in choose["buttons"]]
    assert payloads[-1] == "/request_human"  # "none of these" always leads to a person
    assert 2 <= len(payloads) <= 4
    picked = choose["buttons"][0]
    answer = assistant.say(customer, picked["payload"])
    assert "积分" in answer[0]["text"]


def test_unknown_question_is_admitted_recorded_and_a_person_offered(assistant):
    customer = sender()
    reply = assistant.say(customer, "请问你们卖无人机吗？")[0]
    assert "记" in reply["text"]
    assert "/request_human" in [b["payload"] for b in reply["buttons"]]
    conversation = assistant.conversation_id(customer)
    rows = db_rows(assistant, f"select outcome from kb_queries where conversation_id = '{conversation}'")
    assert rows == [("unanswered",)]


def test_vague_follow_up_uses_the_previous_answer(assistant):
    customer = sender()
    first = assistant.say(customer, "怎么申请维修")
    assert "维修" in first[0]["text"]
    follow_up = assistant.say(customer, "那要多久？")
    assert "工作日" in follow_up[0]["text"] and "检测" in follow_up[0]["text"]


def test_feedback_is_stored(assistant):
    customer = sender()
    assistant.say(customer, "退货运费谁出")
    thanks = assistant.say(customer, "/kb_not_helpful")
    assert "/request_human" in [b["payload"] for b in thanks[0]["buttons"]]
    conversation = assistant.conversation_id(customer)
    rows = db_rows(assistant, f"select entry_id, helpful from kb_feedback where conversation_id = '{conversation}'")
    assert rows == [("return-shipping-fee", 0)]


def test_an_edited_answer_is_served_without_retraining_or_restart(assistant):
    path = Path(assistant.extra_env["BOT_KB_DIR"]) / "entries" / "delivery.yml"
    original = path.read_text(encoding="utf-8")
    assert "单笔订单满 99 元包邮" in original
    path.write_text(original.replace("单笔订单满 99 元包邮", "单笔订单满 88 元包邮"), encoding="utf-8")
    time.sleep(0.05)
    reply = assistant.say(sender(), "请问满多少包邮？")
    assert "满 88 元包邮" in reply[0]["text"]


def test_a_vague_follow_up_does_not_get_the_answer_just_given_again(assistant):
    customer = sender()
    first = assistant.say(customer, "退货运费谁出？")
    follow_up = assistant.say(customer, "那要多久到账")
    assert follow_up[0]["text"] != first[0]["text"]
    assert "工作日" in follow_up[0]["text"]


def test_an_accepted_suggestion_is_served_on_the_next_question_without_restart(assistant):
    from bot.kb.learning import KbLearning
    from bot.kb.loader import load_knowledge_base
    from bot.kb.records import KbRecords
    from bot.storage.database import create_database

    slang = "货到了发现是坏的咋整"
    database = create_database(f"sqlite:///{assistant.var_dir / 'assistant.db'}")
    knowledge_base = load_knowledge_base(Path(assistant.extra_env["BOT_KB_DIR"]))
    KbRecords(database).record_feedback("kb-learning", "return-quality-issue", slang, helpful=True)
    learning = KbLearning(database)
    suggestion = next(s for s in learning.suggestions(knowledge_base) if s.question == slang)
    learning.decide(knowledge_base, [suggestion.id], "accepted")
    reply = assistant.say(sender(), slang)
    assert reply[0]["text"] == knowledge_base.entries["return-quality-issue"].answer["zh"]
    database.engine.dispose()
