"""Ranks knowledge-base entries for a question.

Two views of each question, both built from the knowledge base alone:

* lexical: BM25 over words plus character n-gram cosine against every phrasing. BM25 is
  divided by the best score the question's terms could reach (an unknown word counts as the
  rarest word), so the lexical score is on a fixed 0-1 scale;
* learned: a naive Bayes model trained on the phrasings and answers, giving P(entry | question).

The entry score is a weighted sum of the two, on a 0-1 scale that means the same for every
question, so one set of thresholds decides between answering, offering choices and "no answer".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.kb.learned import SparseNaiveBayes
from bot.kb.model import Entry, KnowledgeBase
from bot.kb.semantic import SemanticScorer, TranslationModel, model_tokens, shipped_model
from bot.kb.text import Analyzer

K1 = 1.2
B = 0.75
BM25_WEIGHT = 0.6  # within the lexical score, against character n-grams
LEXICAL_WEIGHT = 0.3  # within the entry score, against the learned model
# The learned model is confident even about questions that share little with any entry;
# its probability counts in full only where the lexical score shows real overlap.
LEXICAL_EVIDENCE = 0.25
# Naive Bayes trained on a handful of examples an entry is noise: its share grows from nothing at
# NB_MIN_DOCS training texts per entry (phrasings and answers) to full at NB_FULL_DOCS. Measured on the
# validation clusters of LCQMC (about 3.7 texts an entry: naive Bayes cost 5 points of top-1 there).
NB_MIN_DOCS = 4.0
NB_FULL_DOCS = 8.0
# Within a phrasing's score, the learned translation model (bot/kb/semantic.py) against the lexical score;
# chosen on the validation clusters of LCQMC (python -m tools.faq_model tune), never on a reported set.
SEMANTIC_WEIGHT = 0.3
_SHIPPED = object()


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    lexical: float
    learned: float
    matched: str  # the phrasing that matched best
    semantic: float = 0.0


class SearchIndex:
    """An immutable index over one version of the knowledge base."""

    def __init__(self, knowledge_base: KnowledgeBase, analyzer: Analyzer, semantic: object = _SHIPPED,
                 semantic_weight: float = SEMANTIC_WEIGHT) -> None:
        """`semantic`: a TranslationModel, None for lexical scores only, or (default) the shipped model."""
        self.knowledge_base = knowledge_base
        self.analyzer = analyzer
        self._entries: List[Entry] = list(knowledge_base.entries.values())
        texts: List[str] = []
        owners: List[int] = []
        for position, entry in enumerate(self._entries):
            for phrasing in entry.phrasings():
                texts.append(phrasing)
                owners.append(position)
        self._texts = texts
        self._owners = np.asarray(owners, dtype=np.int64)
        # Documents are grouped by entry, so each entry's documents form one contiguous run.
        self._starts = np.flatnonzero(np.r_[True, self._owners[1:] != self._owners[:-1]])
        term_lists = [analyzer.terms(t) for t in texts]
        self._build_bm25(term_lists)
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=False)
        # Column-major: a question touches few n-grams, so only their columns are read.
        self._char_matrix = self._chars.fit_transform([" ".join(terms) for terms in term_lists]).tocsc()
        self._train_learned(term_lists)
        model = shipped_model() if semantic is _SHIPPED else semantic
        self.semantic_weight = semantic_weight if model is not None else 0.0
        self._semantic = (
            SemanticScorer(model, [model_tokens(terms, analyzer.normalize(text)) for terms, text in zip(term_lists, texts)])
            if isinstance(model, TranslationModel) else None
        )

    def _train_learned(self, term_lists: Sequence[Sequence[str]]) -> None:
        documents = [" ".join(terms) for terms in term_lists]
        labels = list(self._owners)
        for position, entry in enumerate(self._entries):  # answers describe the topic too
            for language in entry.languages:
                documents.append(" ".join(self.analyzer.terms(entry.answer[language])))
                labels.append(position)
        self._learned_chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=False
        )
        self._learned_words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, lowercase=False)
        features = sparse.hstack(
            [self._learned_chars.fit_transform(documents), self._learned_words.fit_transform(documents)]
        ).tocsr()
        self._learned = SparseNaiveBayes().fit(features, labels, len(self._entries))
        per_entry = len(documents) / max(1, len(self._entries))
        self.learned_share = float(np.clip((per_entry - NB_MIN_DOCS) / (NB_FULL_DOCS - NB_MIN_DOCS), 0.0, 1.0))

    def _learned_posterior(self, text: str) -> np.ndarray:
        features = sparse.hstack(
            [self._learned_chars.transform([text]), self._learned_words.transform([text])]
        ).tocsr()
        return self._learned.posterior(features)

    def _build_bm25(self, term_lists: Sequence[Sequence[str]]) -> None:
        vocabulary: Dict[str, int] = {}
        rows, cols, values = [], [], []
        for row, terms in enumerate(term_lists):
            counts: Dict[int, int] = {}
            for term in terms:
                column = vocabulary.setdefault(term, len(vocabulary))
                counts[column] = counts.get(column, 0) + 1
            for column, count in counts.items():
                rows.append(row)
                cols.append(column)
                values.append(count)
        n_docs = len(term_lists)
        lengths = np.asarray([max(1, len(t)) for t in term_lists], dtype=np.float64)
        tf = sparse.csr_matrix((values, (rows, cols)), shape=(n_docs, len(vocabulary)), dtype=np.float64)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocabulary))
        self._idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        self._max_idf = math.log(1.0 + (n_docs + 0.5) / 0.5)
        norm = K1 * (1 - B + B * lengths / lengths.mean())
        tf = tf.tocoo()
        weights = self._idf[tf.col] * tf.data * (K1 + 1) / (tf.data + norm[tf.row])
        self._bm25 = sparse.csc_matrix((weights, (tf.row, tf.col)), shape=tf.shape)
        self._vocabulary = vocabulary

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, question: str, limit: int = 5) -> List[Hit]:
        terms = list(dict.fromkeys(self.analyzer.terms(question)))
        if not terms or not self._entries:
            return []
        columns = [self._vocabulary[t] for t in terms if t in self._vocabulary]
        ceiling = sum(self._idf[self._vocabulary[t]] if t in self._vocabulary else self._max_idf for t in terms) * (K1 + 1)
        if columns:
            lexical = np.asarray(self._bm25[:, columns].sum(axis=1)).ravel() / ceiling
        else:
            lexical = np.zeros(len(self._texts))
        text = " ".join(terms)
        query = self._chars.transform([text]).tocsr()
        characters = np.asarray(self._char_matrix[:, query.indices] @ query.data).ravel()
        doc_scores = BM25_WEIGHT * lexical + (1 - BM25_WEIGHT) * characters
        semantic_best = np.zeros(len(self._entries))
        if self._semantic is not None and self.semantic_weight > 0:
            semantic = self._semantic.scores(model_tokens(terms, self.analyzer.normalize(question)))
            semantic_best = np.maximum.reduceat(semantic, self._starts)
            doc_scores = (1 - self.semantic_weight) * doc_scores + self.semantic_weight * semantic
        lexical_best = np.maximum.reduceat(doc_scores, self._starts)
        learned = self._learned_posterior(text)
        evidence = np.clip(lexical_best / LEXICAL_EVIDENCE, 0.0, 1.0)
        learned_weight = (1 - LEXICAL_WEIGHT) * self.learned_share
        best = (1 - learned_weight) * lexical_best + learned_weight * learned * evidence
        order = np.argsort(-best)[:limit]
        hits = []
        for position in order:
            if best[position] <= 0:
                break
            start = self._starts[position]
            end = self._starts[position + 1] if position + 1 < len(self._starts) else len(doc_scores)
            doc = start + int(np.argmax(doc_scores[start:end]))
            hits.append(
                Hit(
                    entry=self._entries[position], score=round(float(best[position]), 4),
                    lexical=round(float(lexical_best[position]), 4), learned=round(float(learned[position]), 4),
                    matched=self._texts[doc], semantic=round(float(semantic_best[position]), 4),
                )
            )
        return hits


def top_ids(hits: Sequence[Hit]) -> Tuple[str, ...]:
    return tuple(h.entry.id for h in hits)
