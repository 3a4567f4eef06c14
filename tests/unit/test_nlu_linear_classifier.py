"""The linear intent classifier's arithmetic (bot/rasa/linear_intent_classifier.py) and the SMP2017 split."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from benchmarks.datasets_nlu import split_rows
from bot.rasa.linear_intent_classifier import _scores, fit_svm, fit_temperature, softmax, tf_idf


def test_tf_idf_rows_have_unit_length_and_rare_terms_weigh_more():
    counts = sp.csr_matrix(np.array([[3, 1, 0], [1, 0, 0], [1, 0, 2]], dtype=float))
    idf = np.array([1.0, 2.0, 2.0])
    weighted = tf_idf(counts, idf).toarray()
    assert np.allclose(np.linalg.norm(weighted, axis=1), 1.0)
    assert weighted[0, 1] > 0 and weighted[0, 0] < weighted[0, 0] * 2  # finite, sublinear
    empty = tf_idf(sp.csr_matrix((1, 3)), idf).toarray()
    assert not empty.any()  # a message with no known feature stays all zero, no division by zero


def test_softmax_sums_to_one_and_temperature_sharpens():
    scores = np.array([[1.0, 0.0, -1.0]])
    soft, sharp = softmax(scores, 1.0), softmax(scores, 10.0)
    assert np.allclose(soft.sum(), 1.0) and np.allclose(sharp.sum(), 1.0)
    assert sharp[0, 0] > soft[0, 0]


def _toy(n_per_class: int = 12):
    rng = np.random.default_rng(0)
    rows, labels = [], []
    for label, column in (("a", 0), ("b", 1), ("c", 2)):
        for _ in range(n_per_class):
            row = rng.integers(0, 2, 6).astype(float)
            row[column] += 3
            rows.append(row)
            labels.append(label)
    return sp.csr_matrix(np.array(rows)), np.array(labels)


def test_a_separable_toy_problem_is_learned_with_confident_calibrated_scores():
    x, y = _toy()
    classes = np.unique(y)
    coef, intercept = fit_svm(x, y, 1.0, 42)
    predicted = classes[np.argmax(_scores(x, coef, intercept), axis=1)]
    assert (predicted == y).mean() == 1.0
    temperature = fit_temperature(x, y, classes, 1.0, 42, 3)
    confidences = softmax(_scores(x, coef, intercept), temperature)
    assert confidences.max(axis=1).mean() > 0.6


def test_two_classes_give_two_scores():
    x, y = _toy()
    keep = y != "c"
    coef, intercept = fit_svm(x[keep], y[keep], 1.0, 42)
    assert _scores(x[keep], coef, intercept).shape == (keep.sum(), 2)


def test_smp2017_rows_split_where_the_labels_start_over():
    rows = [("打开相机", "app"), ("去北京的车", "bus"), ("你好", "chat"), ("开QQ", "app"), ("到上海的车", "bus")]
    train, dev = split_rows(rows)
    assert [e.text for e in train] == ["打开相机", "去北京的车", "你好"]
    assert [e.label for e in dev] == ["app", "bus"]
