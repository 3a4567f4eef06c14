"""Trains bot/kb/model/translation.npz: P(customer word | FAQ word) from paraphrase pairs, IBM Model 1 style.

Data: the *training* clusters of the LCQMC (and, when present, BQ) *train* splits, as split by
benchmarks/datasets_faq.py (`python -m benchmarks.datasets_faq prepare` first). Benchmark and validation clusters
are never read here. Each positive pair is used in both directions. EM: start from co-occurrence, then each
iteration shares every customer word's count among the FAQ words of its pair in proportion to T(q | t).
A few minutes on 2 cores; the result is pruned to the strongest translations so the file stays small.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse

from benchmarks.datasets_faq import dataset_file, training_pairs
from bot.kb.semantic import MODEL_PATH, TranslationModel, model_tokens
from bot.kb.text import Analyzer

MIN_COUNT = 3  # words seen fewer times are left out of the model
KEEP = 12  # translations kept per customer word
MIN_PROBABILITY = 0.01


def _progress(message: str) -> None:
    print(f"[faq_model] {message}", flush=True)


def tokenize(texts: Sequence[str], analyzer: Analyzer) -> Dict[str, List[str]]:
    return {text: model_tokens(analyzer.terms(text), analyzer.normalize(text)) for text in texts}


def train(pairs: Sequence[Tuple[str, str]], analyzer: Analyzer, iterations: int = 4,
          max_pairs: int = 200_000, seed: int = 13) -> TranslationModel:
    rng = np.random.default_rng(seed)
    pairs = list(pairs)
    if len(pairs) > max_pairs:
        pairs = [pairs[i] for i in rng.choice(len(pairs), max_pairs, replace=False)]
    texts = sorted({t for pair in pairs for t in pair})
    _progress(f"tokenizing {len(texts):,} questions…")
    tokens = tokenize(texts, analyzer)
    counts: Dict[str, int] = {}
    for text in texts:
        for token in tokens[text]:
            counts[token] = counts.get(token, 0) + 1
    words = sorted(w for w, c in counts.items() if c >= MIN_COUNT)
    vocabulary = {w: i for i, w in enumerate(words)}
    ids = {text: np.asarray([vocabulary[t] for t in tokens[text] if t in vocabulary], dtype=np.int64) for text in texts}
    total = np.zeros(len(words))
    for text in texts:
        np.add.at(total, ids[text], 1.0)
    background = total / total.sum()

    _progress(f"{len(pairs):,} pairs, {len(words):,} words; building alignments…")
    q_parts, t_parts, r_parts = [], [], []
    row = 0
    for a, b in pairs:
        for source, target in ((ids[a], ids[b]), (ids[b], ids[a])):  # both directions
            if not len(source) or not len(target):
                continue
            q_parts.append(np.repeat(source, len(target)))
            t_parts.append(np.tile(target, len(source)))
            r_parts.append(np.repeat(np.arange(row, row + len(source)), len(target)))
            row += len(source)
    q = np.concatenate(q_parts)
    t = np.concatenate(t_parts)
    r = np.concatenate(r_parts)
    del q_parts, t_parts, r_parts
    size = len(words)
    keys, link = np.unique(q * size + t, return_inverse=True)
    key_t = keys % size
    _progress(f"{len(q):,} alignments over {len(keys):,} word pairs; EM…")
    probability = np.ones(len(keys))
    for iteration in range(iterations):
        started = time.monotonic()
        values = probability[link]
        norm = np.bincount(r, weights=values, minlength=row)
        posterior = values / norm[r]
        expected = np.bincount(link, weights=posterior, minlength=len(keys))
        by_t = np.bincount(key_t, weights=expected, minlength=size)
        probability = expected / np.maximum(by_t[key_t], 1e-12)
        _progress(f"iteration {iteration + 1}: {time.monotonic() - started:.1f} s")
    key_q = keys // size
    keep = (key_q != key_t) & (probability >= MIN_PROBABILITY)
    table = sparse.csr_matrix((probability[keep], (key_q[keep], key_t[keep])), shape=(size, size))
    table = _top_per_row(table, KEEP)
    _progress(f"kept {table.nnz:,} translations")
    return TranslationModel(vocabulary, table, background)


def _top_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    matrix = matrix.tocsr()
    rows, cols, vals = [], [], []
    for i in range(matrix.shape[0]):
        start, end = matrix.indptr[i], matrix.indptr[i + 1]
        if start == end:
            continue
        data = matrix.data[start:end]
        order = np.argsort(-data)[:keep]
        rows.extend([i] * len(order))
        cols.extend(matrix.indices[start:end][order])
        vals.extend(data[order])
    return sparse.csr_matrix((vals, (rows, cols)), shape=matrix.shape)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.faq_model",
                                     description="train the knowledge base's term-translation model")
    parser.add_argument("command", choices=["train"])
    parser.add_argument("--out", default=str(MODEL_PATH))
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--max-pairs", type=int, default=200_000)
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[2]
    pairs: List[Tuple[str, str]] = []
    for name in ("lcqmc", "bq"):
        path = dataset_file(root, name)
        if not path.exists():
            _progress(f"{name}: {path} missing (python -m benchmarks.datasets_faq prepare); skipped")
            continue
        found = training_pairs(path)
        _progress(f"{name}: {len(found):,} positive pairs in training clusters")
        pairs += found
    if not pairs:
        print("No training data: run `python -m benchmarks.datasets_faq prepare` first.", file=sys.stderr)
        return 1
    started = time.monotonic()
    model = train(pairs, Analyzer(), args.iterations, args.max_pairs)
    out = Path(args.out)
    model.save(out)
    _progress(f"saved {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
