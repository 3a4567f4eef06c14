"""A learned term-translation model: how likely a customer's word is, given the words of an FAQ phrasing.

Trained offline from public paraphrase pairs (`python -m tools.faq_model train`, IBM-Model-1 style EM over
jieba words and Chinese character bigrams), shipped as bot/kb/model/translation.npz and loaded once, lazily.
At search time a phrasing d scores a question Q as a translation language model, on a 0-1 scale:

    P(q | d) = sum_t T'(q | t) P(t | d),  T' = SELF * [q == t] + (1 - SELF) * T
    score(Q, d) = sum_q log(1 + P(q | d) / (MU * P(q))) / sum_q log(1 + 1 / (MU * P(q)))

so "退款几天到账" finds "钱多久能退回来" through learned pairs (退款~退回, 几天~多久) that share no word.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy import sparse

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parent / "model" / "translation.npz"
SELF = 0.6  # weight of a word translating to itself
MU = 0.02  # smoothing: how much a word's background probability discounts a match
_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
# Bigrams touching these function characters carry style ("你们…吗"), not topic: they are left out.
_FUNCTION_CHARS = frozenset("你您我他她它们的了吗呢吧啊呀哦嘛么是这那就都也还和与及在给请个一下")


def model_tokens(terms: Sequence[str], normalized: str) -> List[str]:
    """The model's tokens for one text: its search terms and the character bigrams of its Chinese runs."""
    tokens = dict.fromkeys(terms)
    for run in _HAN_RUN.findall(normalized):
        for i in range(len(run) - 1):
            if run[i] not in _FUNCTION_CHARS and run[i + 1] not in _FUNCTION_CHARS:
                tokens.setdefault(run[i : i + 2])
    return list(tokens)


@dataclass(frozen=True)
class TranslationModel:
    vocabulary: Dict[str, int]
    table: sparse.csr_matrix  # rows q, columns t: T(q | t), learned translations only (no self)
    background: np.ndarray  # P(q) in the training text

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "TranslationModel":
        with np.load(path, allow_pickle=False) as data:
            words = [str(w) for w in data["vocabulary"]]
            table = sparse.csr_matrix(
                (data["values"].astype(np.float64), data["columns"], data["pointers"]), shape=(len(words), len(words))
            )
            background = data["background"].astype(np.float64)
        return cls({w: i for i, w in enumerate(words)}, table, background)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        words = sorted(self.vocabulary, key=self.vocabulary.get)
        table = self.table.tocsr()
        table.sort_indices()
        np.savez_compressed(
            path, vocabulary=np.asarray(words), values=table.data.astype(np.float16),
            columns=table.indices.astype(np.int32), pointers=table.indptr.astype(np.int64),
            background=self.background.astype(np.float32),
        )


_model: Optional[TranslationModel] = None
_model_lock = threading.Lock()


def shipped_model() -> Optional[TranslationModel]:
    """The shipped model, loaded on first use; None (lexical scores only) when the file is missing."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                if not MODEL_PATH.exists():
                    logger.warning("No FAQ translation model at %s: answering from lexical scores only", MODEL_PATH)
                    return None
                _model = TranslationModel.load(MODEL_PATH)
                logger.info("FAQ translation model loaded: %d words, %d translations",
                            len(_model.vocabulary), _model.table.nnz)
    return _model


class SemanticScorer:
    """Scores every phrasing of one index against a question with the translation model."""

    def __init__(self, model: TranslationModel, documents: Sequence[Sequence[str]]) -> None:
        self.model = model
        # Document words: the model's vocabulary, plus words only this knowledge base uses (self-translation only).
        local: Dict[str, int] = {}
        rows, cols, vals = [], [], []
        size = len(model.vocabulary)
        for row, tokens in enumerate(documents):
            if not tokens:
                continue
            weight = 1.0 / len(tokens)
            for token in tokens:
                column = model.vocabulary.get(token)
                if column is None:
                    column = size + local.setdefault(token, len(local))
                rows.append(row)
                cols.append(column)
                vals.append(weight)
        self._local = local
        self._docs = sparse.csc_matrix((vals, (rows, cols)), shape=(len(documents), size + len(local)))
        counts = np.bincount(np.asarray(cols, dtype=np.int64), minlength=size + len(local)).astype(np.float64)
        self._local_background = counts[size:] / max(1.0, counts.sum()) if local else np.zeros(0)
        self._floor = float(model.background[model.background > 0].min()) if model.background.size else 1e-7

    def _column(self, token: str) -> Optional[int]:
        column = self.model.vocabulary.get(token)
        if column is None and token in self._local:
            column = len(self.model.vocabulary) + self._local[token]
        return column

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """score(Q, d) for every phrasing d, on 0-1: one sparse product over the columns the question needs."""
        size = len(self.model.vocabulary)
        columns: List[int] = []
        weights: List[float] = []
        owners: List[int] = []
        discounts: List[float] = []
        ceiling = 0.0
        for token in tokens:
            column = self._column(token)
            if column is not None and column < size:
                background = max(self.model.background[column], self._floor)
            elif column is not None:
                background = max(self._local_background[column - size], self._floor)
            else:
                background = self._floor
            ceiling += float(np.log1p(1.0 / (MU * background)))
            if column is None:
                continue
            position = len(discounts)
            discounts.append(1.0 / (MU * background))
            columns.append(column)
            weights.append(SELF)
            owners.append(position)
            if column < size:
                start, end = self.model.table.indptr[column], self.model.table.indptr[column + 1]
                columns.extend(self.model.table.indices[start:end].tolist())
                weights.extend(((1 - SELF) * self.model.table.data[start:end]).tolist())
                owners.extend([position] * (end - start))
        n_docs = self._docs.shape[0]
        if not discounts or not ceiling:
            return np.zeros(n_docs)
        unique, inverse = np.unique(np.asarray(columns, dtype=np.int64), return_inverse=True)
        mapping = sparse.csr_matrix((weights, (inverse, owners)), shape=(len(unique), len(discounts)))
        probability = (self._docs[:, unique] @ mapping).tocoo()  # phrasings x question words: P(q | d)
        values = np.log1p(probability.data * np.asarray(discounts)[probability.col])
        total = np.bincount(probability.row, weights=values, minlength=n_docs)
        return total / ceiling
