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
from bot.kb.evaluation import EvaluationResult, LabelledQuestion, evaluate, read_questions
from bot.kb.index import SearchIndex
from bot.kb.model import Entry, KnowledgeBase
from bot.kb.service import KnowledgeBaseService
from bot.kb.text import Analyzer, get_analyzer
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
            served = decision.entry is not None and marker in decision.entry.answer_in("zh")
            timings.append(time.perf_counter() - saved if served else float("nan"))
    return timings


def cluster_knowledge_base(clusters: List[List[str]], min_size: int = 3):
    """A Chinese-only knowledge base with one entry per paraphrase cluster, and one held-out question per entry:
    the cluster's question whose hash is smallest is asked, the others are the entry's phrasings."""
    import hashlib

    entries: Dict[str, Entry] = {}
    questions: List[LabelledQuestion] = []
    for number, cluster in enumerate(c for c in clusters if len(c) >= min_size):
        ordered = sorted(cluster, key=lambda q: hashlib.md5(q.encode("utf-8")).hexdigest())
        asked, phrasings = ordered[0], ordered[1:]
        entry_id = f"cluster-{number:05d}"
        entries[entry_id] = Entry(id=entry_id, category="paraphrase", question={"zh": phrasings[0]},
                                  alternatives={"zh": tuple(phrasings[1:])}, answer={"zh": f"答案 {number}"})
        questions.append(LabelledQuestion("zh", entry_id, asked))
    return KnowledgeBase(entries=entries), questions


class Bm25Baseline:
    """Plain BM25 (k1 1.2, b 0.75) over jieba words of each phrasing; an entry scores its best phrasing."""

    def __init__(self, knowledge_base: KnowledgeBase, analyzer: Analyzer) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        self._owners, texts = [], []
        for entry in knowledge_base.entries.values():
            for phrasing in entry.phrasings():
                self._owners.append(entry.id)
                texts.append(" ".join(analyzer.terms(phrasing)))
        self.analyzer = analyzer
        self._counts = CountVectorizer(analyzer=str.split)
        tf = self._counts.fit_transform(texts).tocsr().astype(np.float64)
        n = tf.shape[0]
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        norm = 1.2 * (1 - 0.75 + 0.75 * lengths / max(lengths.mean(), 1e-9))
        tf = tf.tocoo()
        weights = idf[tf.col] * tf.data * 2.2 / (tf.data + norm[tf.row])
        from scipy import sparse

        self._matrix = sparse.csc_matrix((weights, (tf.row, tf.col)), shape=tf.shape)

    def rank(self, question: str, limit: int = 3) -> List[str]:
        vocabulary = self._counts.vocabulary_
        columns = [vocabulary[t] for t in set(self.analyzer.terms(question)) if t in vocabulary]
        if not columns:
            return []
        scores = np.asarray(self._matrix[:, columns].sum(axis=1)).ravel()
        return _best_entries(scores, self._owners, limit)


class TfidfBaseline:
    """TF-IDF cosine over jieba words of each phrasing; an entry scores its best phrasing."""

    def __init__(self, knowledge_base: KnowledgeBase, analyzer: Analyzer) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._owners, texts = [], []
        for entry in knowledge_base.entries.values():
            for phrasing in entry.phrasings():
                self._owners.append(entry.id)
                texts.append(" ".join(analyzer.terms(phrasing)))
        self.analyzer = analyzer
        self._vectorizer = TfidfVectorizer(analyzer=str.split)
        self._matrix = self._vectorizer.fit_transform(texts).tocsr()

    def rank(self, question: str, limit: int = 3) -> List[str]:
        query = self._vectorizer.transform([" ".join(self.analyzer.terms(question))])
        if not query.nnz:
            return []
        scores = np.asarray((self._matrix @ query.T).todense()).ravel()
        return _best_entries(scores, self._owners, limit)


def _best_entries(scores: np.ndarray, owners: List[str], limit: int) -> List[str]:
    ranked: List[str] = []
    for doc in np.argsort(-scores):
        if scores[doc] <= 0:
            break
        if owners[doc] not in ranked:
            ranked.append(owners[doc])
            if len(ranked) == limit:
                break
    return ranked


def paraphrase_benchmark(settings: Settings, name: str, part: str = "benchmark",
                         semantic_weights: Optional[List[float]] = None) -> Optional[Dict]:
    """Top-1 on the paraphrase clusters of one data set's part: BM25, TF-IDF and this knowledge base's index
    (with the shipped semantic layer, or with each of `semantic_weights` when choosing the weight)."""
    from benchmarks.datasets_faq import clusters, dataset_file

    path = dataset_file(settings.project_root, name)
    if not path.exists():
        return None
    knowledge_base, questions = cluster_knowledge_base(clusters(path)[part])
    analyzer = get_analyzer((), None)
    results: Dict[str, EvaluationResult] = {}
    bm25 = Bm25Baseline(knowledge_base, analyzer)
    results["BM25 (jieba words)"] = evaluate(questions, bm25.rank)
    tfidf = TfidfBaseline(knowledge_base, analyzer)
    results["TF-IDF (jieba words)"] = evaluate(questions, tfidf.rank)
    if semantic_weights is None:
        index = SearchIndex(knowledge_base, analyzer)
        results["this knowledge base"] = evaluate(questions, lambda q: [h.entry.id for h in index.search(q, 3)])
        lexical = SearchIndex(knowledge_base, analyzer, semantic=None)
        results["this knowledge base, lexical only"] = evaluate(
            questions, lambda q: [h.entry.id for h in lexical.search(q, 3)])
    else:
        for weight in semantic_weights:
            index = SearchIndex(knowledge_base, analyzer, semantic_weight=weight)
            results[f"semantic weight {weight:.2f}"] = evaluate(
                questions, lambda q: [h.entry.id for h in index.search(q, 3)])
    return {"name": name, "part": part, "entries": len(knowledge_base), "results": results}


def _latency(index: SearchIndex, questions: List[str], rounds: int = 3) -> Dict[str, float]:
    samples = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            index.search(question, 5)
            samples.append((time.perf_counter() - started) * 1000)
    return {"p50": float(np.percentile(samples, 50)), "p95": float(np.percentile(samples, 95)), "n": len(samples)}


def run(settings: Settings, synthetic_size: int = 50_000, with_response_selector: bool = True,
        with_paraphrase: Optional[bool] = None) -> Dict:
    """`with_paraphrase` None: the public paraphrase clusters run in full-size runs only (not in the smoke test)."""
    figures: Dict = {}
    if with_paraphrase is None:
        with_paraphrase = synthetic_size >= 10_000
    service = KnowledgeBaseService(settings.kb_dir, settings.jieba_dictionary_dir)
    index = service.index()
    knowledge_base = index.knowledge_base
    questions = read_questions(settings.project_root / HELD_OUT, list(knowledge_base.entries))
    _progress(f"held-out questions: {len(questions)} on {len(knowledge_base)} entries")

    ours = evaluate(questions, lambda q: [h.entry.id for h in index.search(q, 3)])
    figures["ours"] = ours
    rows = _accuracy_rows("this knowledge base (BM25 + char n-grams + translation model + naive Bayes)", ours)

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

    figures["paraphrase"] = []
    if with_paraphrase:
        for name in ("lcqmc", "bq"):
            _progress(f"paraphrase clusters of {name} (benchmark part)…")
            result = paraphrase_benchmark(settings, name)
            if result is None:
                _progress(f"{name}: no data (python -m benchmarks.datasets_faq prepare); skipped")
                figures["paraphrase"].append({"name": name, "missing": True})
            else:
                figures["paraphrase"].append(result)

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
    if synthetic_size > 10_000:
        _progress("building a synthetic knowledge base of 10,000 entries…")
        ten = synthetic_knowledge_base(knowledge_base, 10_000)
        ten_index = SearchIndex(ten, get_analyzer(ten.synonyms, settings.jieba_dictionary_dir))
        figures["latency_10k"] = _latency(ten_index, texts, rounds=1)
    elif synthetic_size == 10_000:
        figures["latency_10k"] = figures["latency_synthetic"]
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
    if "latency_10k" in figures and figures["synthetic_size"] > 10_000:
        ten = figures["latency_10k"]
        lines.append(f"| synthetic | 10,000 | {ten['p50']:.1f} | {ten['p95']:.1f} | {ten['n']} |")
    lines.append("")
    lines += paraphrase_markdown(figures.get("paraphrase", []))
    return "\n".join(lines)


def paraphrase_markdown(results: List[Dict]) -> List[str]:
    if not results:
        return []
    lines = ["### Paraphrase clusters (public data, held out from training and tuning)", "",
             "Clusters of questions joined by positive pairs of each data set's *train* split (connected "
             "components); a cluster's part is fixed by a hash of its smallest question: 10% benchmark (below), "
             "10% validation (chose the semantic weight), 80% training (the translation model's only data). "
             "Each benchmark cluster of 3+ questions is one entry; one of its questions is asked, the others are "
             "the entry's phrasings. The dev and test splits are never read.", "",
             "| data set | entries | retriever | top-1 | top-3 | p95 ms |", "|---|---|---|---|---|---|"]
    for result in results:
        if result.get("missing"):
            lines.append(f"| {result['name']} | – | not run: train split missing (see docs/datasets/faq.md) | | | |")
            continue
        for retriever, scores in result["results"].items():
            lines.append(f"| {result['name']} | {result['entries']:,} | {retriever} | {scores.overall.top1_rate:.1%} | "
                         f"{scores.overall.top3_rate:.1%} | {scores.percentile(95):.1f} |")
    lines.append("")
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m benchmarks.kb_bench`: only the knowledge-base part, printed as Markdown."""
    import argparse

    from bot.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m benchmarks.kb_bench", description=main.__doc__)
    parser.add_argument("--synthetic-size", type=int, default=10_000)
    parser.add_argument("--skip-response-selector", action="store_true")
    parser.add_argument("--skip-paraphrase", action="store_true")
    parser.add_argument("--out", help="also write the Markdown here")
    args = parser.parse_args(argv)
    figures = run(get_settings(), args.synthetic_size, not args.skip_response_selector, not args.skip_paraphrase)
    text = markdown(figures)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
