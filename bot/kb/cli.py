"""`python -m bot kb …`: the operator's knowledge-base commands."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import get_settings


def _service(folder: Path):
    from bot.kb.service import KnowledgeBaseService, Thresholds

    settings = get_settings()
    return KnowledgeBaseService(folder, settings.jieba_dictionary_dir, Thresholds.from_settings(settings))


def _folder(args: argparse.Namespace) -> Path:
    return Path(args.folder) if getattr(args, "folder", None) else get_settings().kb_dir


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.kb.loader import KnowledgeBaseError, load_knowledge_base

    folder = _folder(args)
    try:
        knowledge_base = load_knowledge_base(folder)
    except KnowledgeBaseError as error:
        for issue in error.issues:
            print(issue, file=sys.stderr)
        errors = sum(1 for i in error.issues if i.severity == "error")
        print(f"{folder}: {errors} error(s); nothing is served from an invalid knowledge base.", file=sys.stderr)
        return 1
    for warning in knowledge_base.warnings:
        print(warning)
    categories = ", ".join(f"{c} {n}" for c, n in sorted(knowledge_base.categories().items()))
    print(f"{folder}: {len(knowledge_base)} entries OK ({categories}); {len(knowledge_base.warnings)} warning(s)")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from bot.text.language import detect_language

    service = _service(_folder(args))
    question = " ".join(args.question)
    language = detect_language(question) or "zh"
    decision = service.decide(question, language)
    print(f"Question: {question}   (language {language}; decision: {decision.kind})")
    print(f"{'rank':<5}{'score':>7}{'lexical':>9}{'semantic':>9}{'learned':>9}  entry")
    for rank, hit in enumerate(service.search(question, args.limit), start=1):
        print(f"{rank:<5}{hit.score:>7.3f}{hit.lexical:>9.3f}{hit.semantic:>9.3f}{hit.learned:>9.3f}  "
              f"{hit.entry.id}: {hit.entry.question_in(language)}")
    return 0


def cmd_stats(_args: argparse.Namespace) -> int:
    from bot.kb.records import KbRecords
    from bot.storage.migrations import migrated_database

    settings = get_settings()
    knowledge_base = _service(settings.kb_dir).index().knowledge_base
    stats = KbRecords(migrated_database(settings)).stats()
    print(f"Knowledge base: {len(knowledge_base)} entries in {len(knowledge_base.categories())} categories")
    for category, count in sorted(knowledge_base.categories().items()):
        print(f"  {category:<12} {count}")
    print(f"Questions asked: {stats.queries}  " + "  ".join(f"{k} {v}" for k, v in sorted(stats.by_outcome.items())))
    print(f"Answered: {stats.answered_rate:.0%}   Feedback: {stats.feedback} ({stats.helpful_rate:.0%} helpful)")
    if stats.top_entries:
        print("Most answered entries:")
        for entry_id, count in stats.top_entries:
            print(f"  {count:>5}  {entry_id}")
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from bot.kb.records import KbRecords
    from bot.storage.migrations import migrated_database

    gaps = KbRecords(migrated_database(get_settings())).gaps(args.limit)
    if not gaps:
        print("No unanswered or unhelpful questions recorded yet.")
        return 0
    print(f"{'count':>5}  {'kind':<11} question")
    for gap in gaps:
        suffix = f"   (answered with {gap.entry_id})" if gap.entry_id else ""
        print(f"{gap.count:>5}  {gap.kind:<11} {gap.question}{suffix}")
    return 0


def _learning():
    from bot.kb.learning import KbLearning
    from bot.storage.migrations import migrated_database

    settings = get_settings()
    return KbLearning(migrated_database(settings)), load_files_only(settings.kb_dir)


def load_files_only(folder: Path):
    from bot.kb.loader import load_knowledge_base

    return load_knowledge_base(folder)


def cmd_suggestions(args: argparse.Namespace) -> int:
    learning, knowledge_base = _learning()
    suggestions = learning.suggestions(knowledge_base, args.limit)
    if not suggestions:
        print("No suggested alternatives: nothing in the records (helpful answers, choices, agent answers after a "
              "miss) that the knowledge base does not already have.")
        return 0
    print(f"{'id':<9} {'count':>5}  {'entry':<32} {'customer wording':<40} evidence")
    for s in suggestions:
        print(f"{s.id:<9} {s.count:>5}  {s.entry_id:<32} {s.question[:40]:<40} {s.evidence_text()}")
    print(f"\nAccept with `python -m bot kb accept ID…` (served on the next question), or `kb reject ID…`.")
    return 0


def _decide(args: argparse.Namespace, status: str) -> int:
    learning, knowledge_base = _learning()
    done, unknown = learning.decide(knowledge_base, args.ids, status, args.by)
    for s in done:
        print(f"{status}: {s.id}  {s.entry_id} ← {s.question!r} ({s.evidence_text()})")
    for raw in unknown:
        print(f"Error: no pending suggestion {raw!r} (see `python -m bot kb suggestions`)", file=sys.stderr)
    return 1 if unknown else 0


def cmd_accept(args: argparse.Namespace) -> int:
    return _decide(args, "accepted")


def cmd_reject(args: argparse.Namespace) -> int:
    return _decide(args, "rejected")


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.kb.evaluation import EvaluationFileError, evaluate, read_questions

    service = _service(Path(args.folder))
    index = service.index()
    try:
        questions = read_questions(Path(args.questions), list(index.knowledge_base.entries))
    except (EvaluationFileError, OSError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"Evaluating {len(questions)} questions against {len(index)} entries…", flush=True)
    result = evaluate(questions, lambda q: [h.entry.id for h in index.search(q, 3)])
    print(f"{'language':<10}{'questions':>10}{'top-1':>9}{'top-3':>9}")
    for language, scores in sorted(result.by_language.items()):
        print(f"{language:<10}{scores.total:>10}{scores.top1_rate:>9.1%}{scores.top3_rate:>9.1%}")
    overall = result.overall
    print(f"{'all':<10}{overall.total:>10}{overall.top1_rate:>9.1%}{overall.top3_rate:>9.1%}")
    print(f"latency per question: p50 {result.percentile(50):.1f} ms, p95 {result.percentile(95):.1f} ms")
    if args.show_misses:
        for language, scores in sorted(result.by_language.items()):
            for text, expected, ranked in scores.misses:
                print(f"  MISS [{language}] {text!r}: expected {expected}, got {', '.join(ranked)}")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    kb = commands.add_parser("kb", help="knowledge-base operator commands")
    sub = kb.add_subparsers(dest="kb_command", required=True)
    validate = sub.add_parser("validate", help="check the knowledge base files")
    validate.add_argument("folder", nargs="?", help="knowledge-base folder (default: the configured one)")
    validate.set_defaults(func=cmd_validate)
    search = sub.add_parser("search", help="show the ranked entries and scores for a question")
    search.add_argument("question", nargs="+")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--folder")
    search.set_defaults(func=cmd_search)
    sub.add_parser("stats", help="entries, questions asked, answer and helpful rates").set_defaults(func=cmd_stats)
    gaps = sub.add_parser("gaps", help="unanswered and unhelpful questions, most frequent first")
    gaps.add_argument("--limit", type=int, default=20)
    gaps.set_defaults(func=cmd_gaps)
    suggestions = sub.add_parser("suggestions", help="customers' wordings suggested as alternatives, with evidence")
    suggestions.add_argument("--limit", type=int, default=50)
    suggestions.set_defaults(func=cmd_suggestions)
    for name, func, what in (("accept", cmd_accept, "add suggested alternatives (served on the next question)"),
                             ("reject", cmd_reject, "never suggest these again")):
        decide = sub.add_parser(name, help=what)
        decide.add_argument("ids", nargs="+", help="ids from `kb suggestions`")
        decide.add_argument("--by", default="operator", help="who decided (kept with the decision)")
        decide.set_defaults(func=func)
    evaluation = sub.add_parser("eval", help="top-1/top-3 accuracy and latency on labelled questions")
    evaluation.add_argument("folder", help="a knowledge-base folder in this format")
    evaluation.add_argument("questions", help="TSV: language<TAB>expected_entry_id<TAB>question")
    evaluation.add_argument("--show-misses", action="store_true")
    evaluation.set_defaults(func=cmd_eval)
