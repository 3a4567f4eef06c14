"""Learning from the store's own traffic: suggestions from helpful answers, "did you mean" choices and agent
answers after a miss; an operator accepts or rejects them; accepted ones are served on the next question."""
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.kb.assistant import FaqAssistant
from bot.kb.learning import KbLearning
from bot.kb.records import KbRecords
from bot.kb.service import KnowledgeBaseService
from bot.storage.database import create_database
from bot.storage.migrations import migrate
from bot.storage.models import Agent, AgentReply, Handoff

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "knowledge_base"
DICTIONARY = KB / "dictionary"
# A wording no phrasing of the knowledge base has, and that it cannot answer by itself.
SLANG = "货到了发现是坏的咋整"


def _agent_answers_after_a_miss(database, conversation: str, reply: str) -> None:
    with database.session() as session, session.begin():
        agent = Agent(username=f"agent-{conversation}", display_name="Lin", password_hash="x")
        session.add(agent)
        session.flush()
        handoff = Handoff(number=f"H{conversation}"[:16], conversation_id=conversation, channel="rest",
                          reason="misunderstood", summary="", status="resolved", context_json="{}",
                          created_at=datetime.utcnow() + timedelta(seconds=1))
        session.add(handoff)
        session.flush()
        session.add(AgentReply(handoff_id=handoff.id, agent_id=agent.id, text=reply))


def _round_trip(database, folder: Path) -> None:
    learning = KbLearning(database)
    records = KbRecords(database)
    service = KnowledgeBaseService(folder, DICTIONARY, learning=learning)
    faq = FaqAssistant(service, records)
    knowledge_base = service.index().knowledge_base
    assert faq.reply("warm-up", SLANG, "zh").entry_id != "return-quality-issue"

    # Evidence of three kinds.
    records.record_feedback("c-helpful", "refund-time", "退的钱啥时候能回到卡里", helpful=True)
    records.record_feedback("c-helpful-2", "refund-time", "退的钱啥时候能回到卡里！", helpful=True)
    records.record_feedback("c-unhelpful", "refund-time", "这个答案没用", helpful=False)
    records.record_query("c-choice", "积分咋弄", "zh", "choices", "membership-points-earn", 0.4)
    faq.reply("c-choice", "", "zh", chosen_entry_id="membership-points-use")
    records.record_query("c-miss", SLANG, "zh", "unanswered", None, None)
    quality = knowledge_base.entries["return-quality-issue"].answer["zh"]
    _agent_answers_after_a_miss(database, "c-miss", "您好，" + quality)

    suggestions = {s.entry_id: s for s in learning.suggestions(knowledge_base)}
    assert set(suggestions) == {"refund-time", "membership-points-use", "return-quality-issue"}
    assert suggestions["refund-time"].count == 2 and suggestions["refund-time"].evidence == {"helpful": 2}
    assert suggestions["membership-points-use"].question == "积分咋弄"
    assert suggestions["return-quality-issue"].question == SLANG
    assert suggestions["return-quality-issue"].evidence_text() == "agent ×1"

    # Accepted: served on the next question, by the same service, without a restart.
    done, unknown = learning.decide(knowledge_base, [suggestions["return-quality-issue"].id, "nosuchid"], "accepted")
    assert [s.entry_id for s in done] == ["return-quality-issue"] and unknown == ["nosuchid"]
    answer = faq.reply("c-next", SLANG, "zh")
    assert answer.kind == "answer" and answer.entry_id == "return-quality-issue"
    # Rejected: not suggested again; decided ones leave the list.
    learning.decide(knowledge_base, [suggestions["membership-points-use"].id], "rejected", decided_by="lin")
    left = [s.entry_id for s in learning.suggestions(service.index().knowledge_base)]
    assert left == ["refund-time"]
    assert learning.version() == 2
    assert ("return-quality-issue", "zh", SLANG) in learning.accepted()


def test_suggestions_accept_and_reject_round_trip_on_sqlite(database, tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(KB, folder)
    _round_trip(database, folder)


def test_suggestions_accept_and_reject_round_trip_on_postgresql(tmp_path):
    from tests.support.services import fresh_postgres_database

    folder = tmp_path / "kb"
    shutil.copytree(KB, folder)
    with fresh_postgres_database() as url:
        database = create_database(url)
        try:
            migrate(database.engine)
            _round_trip(database, folder)
        finally:
            database.engine.dispose()


def test_without_the_learning_tables_the_files_still_serve(tmp_path):
    database = create_database(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    service = KnowledgeBaseService(KB, DICTIONARY, learning=KbLearning(database))
    assert service.decide("退货运费谁出", "zh").entry.id == "return-shipping-fee"
