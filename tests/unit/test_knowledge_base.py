import shutil
import time
from pathlib import Path

import pytest
import yaml

from bot.kb.assistant import FaqAssistant
from bot.kb.evaluation import EvaluationFileError, evaluate, read_questions
from bot.kb.loader import KnowledgeBaseError, load_knowledge_base
from bot.kb.records import KbRecords
from bot.kb.service import KnowledgeBaseService, Thresholds
from bot.kb.text import Synonyms, _stem
from bot.storage.database import create_database
from bot.storage.migrations import migrate

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "knowledge_base"
DICTIONARY = KB / "dictionary"


@pytest.fixture(scope="module")
def service():
    return KnowledgeBaseService(KB, DICTIONARY)


def entry(entry_id="test-entry", **overrides):
    data = {
        "id": entry_id,
        "question": {"zh": "测试问题怎么办？", "en": "How does the test work?"},
        "alternatives": {"zh": ["测试一", "测试二", "测试三"], "en": ["test one", "test two", "test three"]},
        "answer": {"zh": "这是答案。", "en": "This is the answer."},
        "tags": ["测试"],
    }
    data.update(overrides)
    return data


def write_kb(folder: Path, entries, category="testing", synonyms=None):
    (folder / "entries").mkdir(parents=True, exist_ok=True)
    (folder / "entries" / "test.yml").write_text(
        yaml.safe_dump({"category": category, "entries": entries}, allow_unicode=True), encoding="utf-8"
    )
    if synonyms is not None:
        (folder / "synonyms.yml").write_text(yaml.safe_dump({"groups": synonyms}, allow_unicode=True), encoding="utf-8")
    return folder


# Loading and validation ----------------------------------------------------------------


def test_the_demo_knowledge_base_loads_with_150_entries_in_both_languages():
    knowledge_base = load_knowledge_base(KB)
    assert len(knowledge_base) >= 150
    for item in knowledge_base.entries.values():
        assert set(item.question) == set(item.answer) == {"zh", "en"}
        assert len(item.alternatives["zh"]) >= 3 and len(item.alternatives["en"]) >= 3
    assert not [w for w in knowledge_base.warnings if w.severity == "error"]


@pytest.mark.parametrize(
    "broken, field, message",
    [
        ({"id": "Bad Id"}, "id", "lowercase"),
        ({"question": {"zh": "只有中文"}}, "question.en", "non-empty"),
        ({"answer": {"zh": "", "en": "x"}}, "answer.zh", "non-empty"),
        ({"alternatives": {"zh": "一", "en": ["a", "b", "c"]}}, "alternatives.zh", "list of phrasings"),
        ({"tags": "not-a-list"}, "tags", "list"),
        ({"related": ["no-such-entry"]}, "related", "unknown entry id"),
        ({"colour": "blue"}, "colour", "unknown field"),
    ],
)
def test_each_validation_error_names_file_entry_and_field(tmp_path, broken, field, message):
    write_kb(tmp_path, [entry(**broken)])
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(tmp_path)
    issues = [i for i in raised.value.issues if i.field == field]
    assert issues, raised.value.issues
    assert message in issues[0].message
    assert issues[0].file.endswith("test.yml")


def test_duplicate_ids_are_errors_and_near_duplicates_warnings(tmp_path):
    write_kb(tmp_path, [entry("same-id"), entry("same-id")])
    with pytest.raises(KnowledgeBaseError, match="duplicate id"):
        load_knowledge_base(tmp_path)
    twin = entry("twin-entry", alternatives={"zh": ["别的一", "别的二", "别的三"], "en": ["x one", "x two", "x three"]})
    write_kb(tmp_path, [entry("first-entry"), twin])
    warnings = load_knowledge_base(tmp_path).warnings
    assert any(w.entry == "twin-entry" and "first-entry" in w.message for w in warnings)


def test_broken_yaml_is_reported_with_its_line(tmp_path):
    (tmp_path / "entries").mkdir()
    (tmp_path / "entries" / "bad.yml").write_text("entries:\n  - id: x\n    question: {zh: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"bad.yml.*not valid YAML \(line"):
        load_knowledge_base(tmp_path)


# Text analysis ---------------------------------------------------------------------------


def test_synonyms_rewrite_variants_to_the_canonical_word():
    synonyms = Synonyms([["快递", "物流", "配送"], ["退款", "退钱"], ["refund", "money back"]])
    assert synonyms.apply("我的物流到哪了") == "我的快递到哪了"
    assert synonyms.apply("退钱要多久") == "退款要多久"
    assert synonyms.apply("i want my money back") == "i want my refund"
    assert synonyms.apply("moneyback") == "moneyback"  # whole words only


@pytest.mark.parametrize(
    "a, b", [("returns", "return"), ("returned", "returning"), ("packages", "package"), ("shipped", "ship")]
)
def test_english_forms_meet(a, b):
    assert _stem(a) == _stem(b)


# Ranking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, expected",
    [
        ("退货的运费是谁承担", "return-shipping-fee"),
        ("钱什么时候能退回来", "refund-time"),
        ("我的包裹三天没动静了", "delivery-no-update"),
        ("发票抬头写错了怎么重开", "invoice-change-title"),
        ("how long does the refund take", "refund-time"),
        ("do you deliver to hong kong", "delivery-international"),
        ("can i pay in instalments", "payment-installments"),
        ("forgot my password", "account-reset-password"),
    ],
)
def test_known_questions_rank_their_entry_first(service, question, expected):
    assert service.search(question)[0].entry.id == expected


def test_synonyms_from_the_file_are_used(service):
    # 退钱 is only in the synonyms file, not in any entry.
    assert service.search("退钱要几天")[0].entry.id == "refund-time"


def test_scores_are_on_a_fixed_scale(service):
    for question in ("怎么退货", "how do I return an item", "你们卖无人机吗"):
        for hit in service.search(question):
            assert 0.0 <= hit.score <= 1.0


def test_thresholds_decide_answer_choices_or_none(service):
    assert service.decide("退货运费谁出", "zh").kind == "answer"
    choices = service.decide("积分", "zh")
    assert choices.kind == "choose" and 1 <= len(choices.hits) <= 3
    assert all(h.entry.category == "membership" for h in choices.hits)
    assert service.decide("你们卖无人机吗", "zh").kind == "none"
    strict = KnowledgeBaseService(KB, DICTIONARY, Thresholds(confident=0.99, certain=0.999, ambiguous=0.98))
    assert strict.decide("退货运费谁出", "zh").kind == "none"


def test_a_vague_follow_up_uses_the_previous_topic(service):
    assert service.decide("那要多久？", "zh", previous_entry_id="repair-send-in").entry.id == "repair-time"
    assert service.decide("how long does that take", "en", previous_entry_id="return-exchange").entry.id == (
        "return-exchange-time"
    )


# Hot reload ------------------------------------------------------------------------------


def test_edits_are_served_without_restart_and_broken_edits_keep_the_last_good_version(tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(KB, folder)
    live = KnowledgeBaseService(folder, DICTIONARY)
    assert "48 小时" in live.entry("return-refuse-delivery").answer["zh"]

    path = folder / "entries" / "returns.yml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("系统会在 48 小时内自动退款", "系统会在 24 小时内自动退款"), encoding="utf-8")
    time.sleep(0.01)
    assert "24 小时内自动退款" in live.entry("return-refuse-delivery").answer["zh"]

    added = entry("test-new-entry", question={"zh": "你们的吉祥物叫什么名字？", "en": "What is your mascot called?"},
                  alternatives={"zh": ["吉祥物是谁", "你们有吉祥物吗", "吉祥物的名字"],
                                "en": ["who is your mascot", "do you have a mascot", "mascot name"]},
                  answer={"zh": "我们的吉祥物叫星星。", "en": "Our mascot is called Xingxing."})
    extra = folder / "entries" / "extra.yml"
    extra.write_text(yaml.safe_dump({"category": "fun", "entries": [added]}, allow_unicode=True), encoding="utf-8")
    assert live.search("你们的吉祥物叫什么")[0].entry.id == "test-new-entry"

    extra.write_text("entries:\n  - id: BROKEN\n", encoding="utf-8")
    assert live.search("你们的吉祥物叫什么")[0].entry.id == "test-new-entry"  # last good version serves
    assert live.last_error is not None and "extra.yml" in str(live.last_error)

    extra.unlink()
    assert live.entry("test-new-entry") is None and live.last_error is None


# Conversation service and records ----------------------------------------------------------


@pytest.fixture
def records(tmp_settings):
    database = create_database(tmp_settings.database_url)
    migrate(database.engine)
    return KbRecords(database)


def test_assistant_answers_in_the_question_language_and_asks_feedback_now_and_then(service, records):
    faq = FaqAssistant(service, records, feedback_every=3)
    zh = faq.reply("c1", "退货运费谁出", "en", answers_so_far=0)
    assert zh.kind == "answer" and zh.language == "zh" and "运费" in zh.text and zh.ask_feedback
    en = faq.reply("c1", "who pays for return shipping", "zh", answers_so_far=1)
    assert en.language == "en" and "shipping" in en.text and not en.ask_feedback
    assert faq.reply("c1", "退货运费谁出", "zh", answers_so_far=3).ask_feedback


def test_choices_become_buttons_that_answer_when_chosen(service, records):
    faq = FaqAssistant(service, records)
    choose = faq.reply("c2", "积分", "zh")
    assert choose.kind == "choose" and choose.response == "utter_kb_choose"
    title, payload = choose.buttons[0]
    assert payload.startswith('/ask_question{"kb_entry_id":"')
    chosen_id = payload.split('"')[3]
    answer = faq.reply("c2", "", "zh", chosen_entry_id=chosen_id)
    assert answer.kind == "answer" and answer.entry_id == chosen_id


def test_unanswered_and_unhelpful_questions_are_listed_most_frequent_first(service, records):
    faq = FaqAssistant(service, records)
    for conversation in ("a", "b", "c"):
        assert faq.reply(conversation, "你们卖无人机吗", "zh").kind == "none"
    faq.reply("d", "你们卖无人机吗?", "zh")  # same question, other punctuation
    faq.reply("e", "你们有没有卖游艇", "zh")
    records.record_feedback("f", "refund-time", "钱什么时候退", helpful=False)
    gaps = records.gaps()
    assert gaps[0].kind == "unanswered" and gaps[0].count == 4 and "无人机" in gaps[0].question
    assert any(g.kind == "unhelpful" and g.entry_id == "refund-time" for g in gaps)
    stats = records.stats()
    assert stats.by_outcome["unanswered"] >= 5 and stats.feedback == 1 and stats.helpful == 0


def test_eval_reads_any_tsv_and_reports_per_language(tmp_path, service):
    questions = tmp_path / "q.tsv"
    questions.write_text("# comment\nzh\trefund-time\t退款几天到账\nen\trefund-time\twhen is my refund coming\n",
                         encoding="utf-8")
    loaded = read_questions(questions, list(service.index().knowledge_base.entries))
    result = evaluate(loaded, lambda q: [h.entry.id for h in service.search(q, 3)])
    assert result.by_language["zh"].top1 == 1 and result.by_language["en"].total == 1
    questions.write_text("zh\tno-such-entry\t问题\n", encoding="utf-8")
    with pytest.raises(EvaluationFileError, match="q.tsv:1: unknown entry id"):
        read_questions(questions, list(service.index().knowledge_base.entries))


@pytest.mark.parametrize("text,expected", [
    ("请问你们卖无人机吗？", True), ("运费多少", True), ("退货怎么弄", True), ("how do I return it", True),
    ("is it waterproof", True), ("嘁哩喀喳乒乒乓乓", False), ("asdkjh qwe zxc", False), ("好的", False), ("", False),
])
def test_questions_are_told_apart_from_garble(text, expected):
    from bot.kb.text import looks_like_question

    assert looks_like_question(text) is expected
