"""Knowledge base: what customers asked, what the assistant could answer, and whether it helped."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.metrics.figures import Column, Section, figure, share, table
from bot.metrics.scope import Scope
from bot.observability.masking import mask_pii
from bot.storage.models import KbFeedback, KbQuery

Q = KbQuery.__table__
F = KbFeedback.__table__
TOP = 10

KB_QUESTIONS = figure(
    "kb_questions", "count", "Questions", "知识库提问数",
    "Questions put to the knowledge base: answered, offered choices or not answered (a choice the customer then "
    "picks is not a new question).",
    "向知识库提出的问题：直接回答、给出选项或没答上（客户随后选中的选项不算新问题）。")
KB_ANSWERED_RATE = figure(
    "kb_answered_rate", "share", "Answered", "直接回答率",
    "Questions answered with one entry / questions.", "直接用一个条目回答的问题 / 提问数。")
KB_CHOICES_RATE = figure(
    "kb_choices_rate", "share", "Offered choices", "给出选项率",
    "Questions answered with a few entries to choose from / questions.", "给出几个条目供选择的问题 / 提问数。")
KB_UNANSWERED_RATE = figure(
    "kb_unanswered_rate", "share", "No answer", "没答上率",
    "Questions no entry matched / questions.", "没有匹配条目的问题 / 提问数。")
KB_CHOSEN = figure(
    "kb_chosen", "count", "Choices picked", "选项被选中",
    "Times a customer picked one of the offered entries.", "客户从给出的选项中选中一个的次数。")
KB_FEEDBACK = figure(
    "kb_feedback", "count", "Feedback given", "反馈数",
    "Answers to \"was this helpful?\" (asked on the first answer and every third after, BOT_KB_FEEDBACK_EVERY).",
    "对“这个回答有帮助吗？”的回复（第一次回答及之后每第三次询问，BOT_KB_FEEDBACK_EVERY）。")
KB_HELPFUL_RATE = figure(
    "kb_helpful_rate", "share", "Helpful", "有帮助率",
    "\"Helpful\" / feedback given. Feedback counts for a language when the question it rates was asked in it.",
    "“有帮助” / 反馈数。按语言筛选时，看被评价的问题所用的语言。")
TOP_UNANSWERED = table(
    "kb_top_unanswered", "Top unanswered questions", "答不上的高频问题",
    "Questions without an answer, grouped when they differ only in case, spaces and punctuation; the gaps to fill "
    "first (`python -m bot kb gaps` lists them all).",
    "没答上的问题（仅大小写、空格、标点不同的合并），最该补充的知识缺口（`python -m bot kb gaps` 列出全部）。",
    [Column("question", "Question", "问题", "text"), Column("times", "Times", "次数")])
TOP_UNHELPFUL = table(
    "kb_top_unhelpful", "Top unhelpful answers", "没帮上的高频回答",
    "Entries most often rated \"not helpful\", with an example of the question they answered.",
    "最常被评为“没帮上”的条目，附一个它回答过的问题。",
    [Column("entry", "Entry", "条目", "text"), Column("question", "Example question", "问题示例", "text"),
     Column("unhelpful", "Not helpful", "没帮上"), Column("feedback", "Feedback", "反馈数"),
     Column("helpful_rate", "Helpful", "有帮助率", "share")])
TOP_ENTRIES = table(
    "kb_top_entries", "Entries asked most", "最常用的条目",
    "Entries given as the answer most often (answered directly or picked from choices), with their helpful rate.",
    "最常作为答案的条目（直接回答或从选项中选中），及其有帮助率。",
    [Column("entry", "Entry", "条目", "text"), Column("answers", "Answers", "回答次数"),
     Column("feedback", "Feedback", "反馈数"), Column("helpful_rate", "Helpful", "有帮助率", "share")])


def _queries(scope: Scope) -> Any:
    start, end = scope.period.utc_bounds()
    return sa.and_(Q.c.created_at >= start, Q.c.created_at < end,
                   scope.filters.clause(Q.c.conversation_id, Q.c.language))


def _feedback(scope: Scope) -> Any:
    start, end = scope.period.utc_bounds()
    clause = sa.and_(F.c.created_at >= start, F.c.created_at < end, scope.filters.clause(F.c.conversation_id))
    if scope.filters.language:
        asked = sa.select(Q.c.id).where(Q.c.conversation_id == F.c.conversation_id, Q.c.entry_id == F.c.entry_id,
                                        Q.c.language == scope.filters.language).exists()
        clause = sa.and_(clause, asked)
    return clause


def compute(connection: Connection, scope: Scope) -> Section:
    outcomes = dict(connection.execute(sa.select(Q.c.outcome, sa.func.count()).where(_queries(scope))
                                       .group_by(Q.c.outcome)).all())
    answered, choices, unanswered = (int(outcomes.get(k, 0)) for k in ("answered", "choices", "unanswered"))
    questions = answered + choices + unanswered
    helpful_sum = sa.func.sum(sa.case((F.c.helpful.is_(True), 1), else_=0))
    feedback, helpful = connection.execute(sa.select(sa.func.count(), helpful_sum).where(_feedback(scope))).one()
    feedback, helpful = int(feedback or 0), int(helpful or 0)
    section = Section("knowledge_base")
    section.figures.update({
        KB_QUESTIONS: questions, KB_ANSWERED_RATE: share(answered, questions),
        KB_CHOICES_RATE: share(choices, questions), KB_UNANSWERED_RATE: share(unanswered, questions),
        KB_CHOSEN: int(outcomes.get("chosen", 0)), KB_FEEDBACK: feedback, KB_HELPFUL_RATE: share(helpful, feedback),
    })
    section.tables[TOP_UNANSWERED] = [
        [mask_pii(question or ""), int(n)] for question, n in connection.execute(
            sa.select(sa.func.min(Q.c.question), sa.func.count()).where(_queries(scope), Q.c.outcome == "unanswered")
            .group_by(Q.c.normalized).order_by(sa.func.count().desc(), sa.func.min(Q.c.question)).limit(TOP))]
    per_entry = {entry: (int(n), int(h or 0), question) for entry, n, h, question in connection.execute(
        sa.select(F.c.entry_id, sa.func.count(), helpful_sum,
                  sa.func.min(sa.case((F.c.helpful.is_(False), F.c.question)))).where(_feedback(scope))
        .group_by(F.c.entry_id))}
    unhelpful = sorted(((entry, n - h, n, h, question) for entry, (n, h, question) in per_entry.items() if n > h),
                       key=lambda r: (-r[1], r[0]))[:TOP]
    section.tables[TOP_UNHELPFUL] = [[entry, mask_pii(question or ""), bad, n, share(h, n)]
                                     for entry, bad, n, h, question in unhelpful]
    section.tables[TOP_ENTRIES] = []
    for entry, n in connection.execute(
            sa.select(Q.c.entry_id, sa.func.count()).where(_queries(scope), Q.c.entry_id.is_not(None),
                                                           Q.c.outcome.in_(("answered", "chosen")))
            .group_by(Q.c.entry_id).order_by(sa.func.count().desc(), Q.c.entry_id).limit(TOP)):
        given, good, _question = per_entry.get(entry, (0, 0, None))
        section.tables[TOP_ENTRIES].append([entry, int(n), given, share(good, given)])
    return section
