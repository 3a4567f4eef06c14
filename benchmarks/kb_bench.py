"""Knowledge-base benchmark: accuracy against Rasa's ResponseSelector, edit-to-served time, latency at scale."""
from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from benchmarks import response_selector
from benchmarks.synthetic_kb import synthetic_knowledge_base
from bot.kb.evaluation import EvaluationResult, evaluate, read_questions
from bot.kb.index import SearchIndex
from bot.kb.service import KnowledgeBaseService
from bot.kb.text import get_analyzer
from bot.settings import Settings

HELD_OUT = Path("benchmarks/data/kb_heldout.tsv")


def _progress(message: str) -> None:
    print(f"[bench:kb] {message}", flush=True)


def _accuracy_rows(name: str, result: EvaluationResult) -> List[List[str]]:
    rows = []
    for language in ("zh", "en"):
        scores = result.by_language.get(language)
        if scores:
            rows.append([name, language, str(scores.total), f"{scores.top1_rate:.1%}", f"{scores.top3_rate:.1%}"])
    overall = result.overall
    rows.append([name, "all", str(overall.total), f"{overall.top1_rate:.1%}", f"{overall.top3_rate:.1%}"])
    return rows


def _edit_to_served(settings: Settings, repeats: int = 5) -> List[float]:
    """Seconds from saving an edited answer to the next question being answered with it."""
    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "kb"
        shutil.copytree(settings.kb_dir, folder)
        service = KnowledgeBaseService(folder, settings.jieba_dictionary_dir)
        service.index()
        path = folder / "entries" / "delivery.yml"
        original = path.read_text(encoding="utf-8")
        for attempt in range(repeats):
            marker = f"满 {90 + attempt} 元包邮"
            path.write_text(original.replace("满 99 元包邮", marker, 1), encoding="utf-8")
            saved = time.perf_counter()
            decision = service.decide("满多少包邮", "zh")
            served = decision.entry is not None and marker in decision.entry.answer["zh"]
            timings.append(time.perf_counter() - saved if served else float("nan"))
    return timings


def _latency(index: SearchIndex, questions: List[str], rounds: int = 3) -> Dict[str, float]:
    samples = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            index.search(question, 5)
            samples.append((time.perf_counter() - started) * 1000)
    return {"p50": float(np.percentile(samples, 50)), "p95": float(np.percentile(samples, 95)), "n": len(samples)}


def run(settings: Settings, synthetic_size: int = 50_000, with_response_selector: bool = True) -> Dict:
    figures: Dict = {}
    service = KnowledgeBaseService(settings.kb_dir, settings.jieba_dictionary_dir)
    index = service.index()
    knowledge_base = index.knowledge_base
    questions = read_questions(settings.project_root / HELD_OUT, list(knowledge_base.entries))
    _progress(f"held-out questions: {len(questions)} on {len(knowledge_base)} entries")

    ours = evaluate(questions, lambda q: [h.entry.id for h in index.search(q, 3)])
    figures["ours"] = ours
    rows = _accuracy_rows("this knowledge base (BM25 + char n-grams + naive Bayes)", ours)

    rs: Optional[EvaluationResult] = None
    if with_response_selector:
        _progress("training Rasa's ResponseSelector on the same entries (a few minutes)…")
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / "rs"
            response_selector.write_project(knowledge_base, project, settings.jieba_dictionary_dir)
            run_ = response_selector.train(project, settings)
            _progress(f"ResponseSelector trained in {run_.train_seconds:.0f} s; ranking the questions…")
            load = response_selector.load_seconds(run_.model)
            ranked = response_selector.rank_all(run_.model, [q.text for q in questions])
            lookup = {q.text: r for q, r in zip(questions, ranked)}
            rs = evaluate(questions, lambda q: lookup[q])
            figures["rs_train_seconds"] = run_.train_seconds
            figures["rs_load_seconds"] = load
        figures["response_selector"] = rs
        rows += _accuracy_rows("Rasa ResponseSelector (retrieval intents)", rs)
    figures["accuracy_rows"] = rows

    _progress("edit-to-served time…")
    figures["edit_to_served"] = _edit_to_served(settings)

    texts = [q.text for q in questions]
    figures["latency_demo"] = _latency(index, texts)
    _progress(f"building a synthetic knowledge base of {synthetic_size} entries…")
    started = time.monotonic()
    big = synthetic_knowledge_base(knowledge_base, synthetic_size)
    big_index = SearchIndex(big, get_analyzer(big.synonyms, settings.jieba_dictionary_dir))
    figures["synthetic_build_seconds"] = time.monotonic() - started
    figures["synthetic_size"] = len(big)
    figures["latency_synthetic"] = _latency(big_index, texts, rounds=1)
    _progress("done")
    return figures


def markdown(figures: Dict) -> str:
    lines = ["## Knowledge base", ""]
    lines.append("Held-out set: `benchmarks/data/kb_heldout.tsv`, 300 customer questions (150 Chinese, 150 English) "
                 "written separately from the entries' phrasings, one per entry and language.")
    lines.append("")
    lines.append("| retriever | language | questions | top-1 | top-3 |")
    lines.append("|---|---|---|---|---|")
    for row in figures["accuracy_rows"]:
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    ours = figures["ours"].overall.top1_rate
    if figures.get("response_selector"):
        theirs = figures["response_selector"].overall.top1_rate
        lines.append(f"Top-1 difference, same run: {100 * (ours - theirs):+.1f} points for this knowledge base.")
        lines.append("")
    edit = [t for t in figures["edit_to_served"] if t == t]
    lines.append("| edit-to-served (save an edited answer → next question answered with it) | seconds |")
    lines.append("|---|---|")
    if edit:
        lines.append(f"| this knowledge base (reload on next question, median of {len(edit)}) | "
                     f"{statistics.median(edit):.2f} (max {max(edit):.2f}) |")
    else:
        lines.append("| this knowledge base | edit not served (see log) |")
    if "rs_train_seconds" in figures:
        total = figures["rs_train_seconds"] + figures["rs_load_seconds"]
        lines.append(f"| Rasa ResponseSelector (`rasa train nlu` {figures['rs_train_seconds']:.0f} s + model load "
                     f"{figures['rs_load_seconds']:.0f} s) | {total:.0f} |")
    lines.append("")
    demo, big = figures["latency_demo"], figures["latency_synthetic"]
    lines.append("| search latency | entries | p50 ms | p95 ms | searches |")
    lines.append("|---|---|---|---|---|")
    lines.append(f"| demo knowledge base | 150 | {demo['p50']:.1f} | {demo['p95']:.1f} | {demo['n']} |")
    lines.append(f"| synthetic (built in {figures['synthetic_build_seconds']:.0f} s) | {figures['synthetic_size']:,} | "
                 f"{big['p50']:.1f} | {big['p95']:.1f} | {big['n']} |")
    lines.append("")
    return "\n".join(lines)
