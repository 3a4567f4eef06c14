"""A multinomial naive Bayes over sparse features, trained from the knowledge base itself.

scikit-learn's MultinomialNB keeps a dense classes-by-features matrix, which does not fit in
memory for tens of thousands of entries; this keeps only the non-zero counts. Training
takes well under a second for the demo knowledge base, so it is retrained on every reload.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import sparse


class SparseNaiveBayes:
    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha

    def fit(self, features: sparse.csr_matrix, labels: Sequence[int], n_classes: int) -> "SparseNaiveBayes":
        labels = np.asarray(labels)
        membership = sparse.csr_matrix(
            (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(n_classes, len(labels))
        )
        counts = (membership @ features).tocsc()  # classes x features
        n_features = features.shape[1]
        totals = np.asarray(counts.sum(axis=1)).ravel()
        # log(count + a) = log a + log1p(count / a): only the second term is sparse.
        self._log_boost = counts.copy()
        self._log_boost.data = np.log1p(self._log_boost.data / self.alpha)
        self._log_alpha = np.log(self.alpha)
        self._log_norm = np.log(totals + self.alpha * n_features)
        class_sizes = np.bincount(labels, minlength=n_classes).astype(np.float64)
        self._log_prior = np.log((class_sizes + 1.0) / (class_sizes.sum() + n_classes))
        return self

    def posterior(self, query: sparse.csr_matrix) -> np.ndarray:
        """P(entry | query) for one query row, over all entries."""
        query = query.tocsr()
        columns, weights = query.indices, query.data
        mass = weights.sum()
        joint = np.asarray(self._log_boost[:, columns] @ weights).ravel()
        joint += mass * self._log_alpha - mass * self._log_norm + self._log_prior
        joint -= joint.max()
        probabilities = np.exp(joint)
        return probabilities / probabilities.sum()
