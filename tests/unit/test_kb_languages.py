"""Knowledge bases in one language, and entries with few alternatives: they load with warnings and are answered."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.kb.assistant import LANGUAGE_NOTE_RESPONSE, FaqAssistant
from bot.kb.loader import KnowledgeBaseError, load_knowledge_base
from bot.kb.service import KnowledgeBaseService

ROOT = Path(__file__).resolve().parents[2]
ZH_ONLY = ROOT / "tests" / "data" / "kb_zh_only"
ZH_QUESTIONS = ROOT / "tests" / "data" / "kb_zh_only_questions.tsv"


def _write(folder: Path, entries) -> Path:
    (folder / "entries").mkdir(parents=True, exist_ok=True)
    (folder / "entries" / "faq.yml").write_text(
        yaml.safe_dump({"category": "testing", "entries": entries}, allow_unicode=True), encoding="utf-8")
    return folder


def test_a_chinese_only_knowledge_base_loads_with_a_warning_per_missing_language_and_thin_entry():
    knowledge_base = load_knowledge_base(ZH_ONLY)
    assert len(knowledge_base) == 4
    assert all(entry.languages == ("zh",) for entry in knowledge_base.entries.values())
    warnings = [(w.entry, w.field) for w in knowledge_base.warnings]
    assert all(w.severity == "warning" for w in knowledge_base.warnings)
    assert ("zh-invoice", "question") in warnings  # no English version
    assert ("zh-refund-time", "alternatives.zh") in warnings  # two alternatives only
    assert ("zh-invoice", "alternatives.zh") in warnings  # none at all


def test_an_english_only_entry_loads_too(tmp_path):
    _write(tmp_path, [{"id": "en-only", "question": {"en": "Do you ship abroad?"},
                      "answer": {"en": "We ship to mainland China only."}}])
    entry = load_knowledge_base(tmp_path).entries["en-only"]
    assert entry.languages == ("en",) and entry.answer_in("zh") == "We ship to mainland China only."


@pytest.mark.parametrize("broken, field", [
    ({"question": {"zh": "只有问题"}, "answer": {"zh": "答案", "en": "answer"}}, "question.en"),  # half a language
    ({"question": {}, "answer": {}}, "question"),  # no language at all
    ({"question": {"zh": "问题"}, "answer": {"zh": "答案"}, "alternatives": {"zh": "not a list"}}, "alternatives.zh"),
])
def test_a_language_half_written_is_still_an_error(tmp_path, broken, field):
    _write(tmp_path, [{"id": "broken-entry", **broken}])
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(tmp_path)
    assert any(i.field == field and i.severity == "error" for i in raised.value.issues), raised.value.issues


def test_chinese_only_entries_are_answered_in_chinese_with_a_note_for_an_english_question():
    faq = FaqAssistant(KnowledgeBaseService(ZH_ONLY), records=None)
    chinese = faq.reply("c1", "退款要几天才到账", None)
    assert chinese.kind == "answer" and chinese.entry_id == "zh-refund-time"
    assert chinese.text.startswith("退款审核通过后") and chinese.note_response is None
    english = faq.reply("c2", "", "en", chosen_entry_id="zh-shipping-fee")  # a button after "did you mean"
    assert english.kind == "answer" and english.language == "en"
    assert english.text.startswith("单笔满 99 元包邮") and english.answer_language == "zh"
    assert english.note_response == LANGUAGE_NOTE_RESPONSE


def test_kb_eval_runs_on_a_chinese_only_folder():
    completed = subprocess.run([sys.executable, "-m", "bot", "kb", "eval", str(ZH_ONLY), str(ZH_QUESTIONS)],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    rows = {line.split()[0]: line.split() for line in completed.stdout.splitlines() if line.strip()}
    assert rows["zh"][1] == "4" and "en" not in rows
    assert float(rows["all"][2].rstrip("%")) >= 75.0
