"""Trains the emotion classifier and writes bot/emotion/model/ (weights.npz + model.json).

Reproducible: fixed seeds, fixed held-out slices (15% of each public source, 30% of the seed), the
regularisation, the in-domain weight and the score knots chosen on those held-out slices only (the in-domain
slices weighing as much as all public ones together). The benchmark sets are never read."""
from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy import sparse

from bot.emotion.features import FeatureConfig, hashed
from bot.emotion.lexicon import LexiconScorer
from bot.emotion.model import CLASSES, MODEL_DIR, Knots, score_from_probabilities
from tools.emotion_model.data import HELD_OUT_SHARE, SEED_HELD_OUT_SHARE, Example, load_all, split

SEED = 20261130
# The in-domain lines (seed, project questions) are few: each counts as this many public examples.
SEED_WEIGHTS = (8.0, 20.0, 40.0, 80.0)
# The assistant's own domain is customer service: the in-domain held-out slices (seed, project questions) count as
# much as all the public ones together when choosing the in-domain weight, the regularisation and the knots.
IN_DOMAIN = ("seed", "project_calm")
IN_DOMAIN_SHARE = 0.5
ALPHAS = (3e-6, 1e-5)
# Held-out slices that cannot judge the three levels: positive/negative only, or calm only.
ONE_LEVEL_OR_TWO = ("weibo_senti_100k", "project_calm")
# As recorded in docs/datasets/emotion.md (no licence file in the other repositories; nothing of them is committed).
LICENCES = {"monologg/GoEmotions-pytorch": "Apache-2.0 (GoEmotions, Google Research)"}


def matrix(examples: Sequence[Example], config: FeatureConfig, lexicon: LexiconScorer) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for row, example in enumerate(examples):
        reading = lexicon.reading(example.text)
        indices, values = hashed(example.text, config, (reading.raw, reading.hits))
        rows += [row] * len(indices)
        cols += indices
        vals += values
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(examples), config.buckets), dtype=np.float32)


def sample_weights(examples: Sequence[Example], seed_weight: float) -> np.ndarray:
    """Each language weighs the same in total; within it, each level does too (so angry is not drowned)."""
    weights = np.array([e.weight * (seed_weight if e.source in ("seed", "project_calm") else 1.0)
                        for e in examples])
    for language in {e.language for e in examples}:
        in_language = np.array([e.language == language for e in examples])
        for level in CLASSES:
            mask = in_language & np.array([e.level == level for e in examples])
            if mask.any():
                weights[mask] *= 1.0 / weights[mask].sum()
    return weights * len(examples) / weights.sum()


def _f1(gold: Sequence[str], predicted: Sequence[str], level: str) -> float:
    tp = sum(1 for g, p in zip(gold, predicted) if g == level and p == level)
    fp = sum(1 for g, p in zip(gold, predicted) if g != level and p == level)
    fn = sum(1 for g, p in zip(gold, predicted) if g == level and p != level)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def levels_of(probabilities: np.ndarray, knots: Knots, upset_at: float = 0.15, angry_at: float = 0.6) -> List[str]:
    scores = [score_from_probabilities(p, knots) for p in probabilities]
    return ["angry" if s >= angry_at else "upset" if s >= upset_at else "calm" for s in scores]


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(_f1(gold, predicted, level) for level in CLASSES) / len(CLASSES)


def domain_mean(values: Dict[str, float]) -> float:
    """IN_DOMAIN_SHARE times the mean over the in-domain sources plus the rest times the mean over the public ones."""
    inside = [v for name, v in values.items() if name in IN_DOMAIN]
    outside = [v for name, v in values.items() if name not in IN_DOMAIN]
    if not inside or not outside:
        return float(np.mean(inside or outside))
    return IN_DOMAIN_SHARE * float(np.mean(inside)) + (1 - IN_DOMAIN_SHARE) * float(np.mean(outside))


def choose_knots(held: Dict[str, Tuple[List[str], np.ndarray]]) -> Tuple[Knots, float]:
    """The knots that maximise the held-out macro-F1 of the three levels, averaged by `domain_mean`."""
    best = (Knots(0.3, 0.6), -1.0)
    grid = [round(x, 3) for x in np.arange(0.05, 0.951, 0.025)]
    for upset in grid:
        for angry in grid:
            if angry <= upset:
                continue
            knots = Knots(upset, angry)
            value = domain_mean({name: macro_f1(gold, levels_of(p, knots)) for name, (gold, p) in held.items()})
            if value > best[1]:
                best = (knots, value)
    return best


def _commits(datasets: Path) -> List[Dict[str, str]]:
    from benchmarks.datasets_emotion import SOURCES

    return [{"name": s.name, "repository": f"https://github.com/{s.repo}", "commit": s.commit, "path": s.path,
             "licence": LICENCES.get(s.repo, "none stated (see docs/datasets/emotion.md)")}
            for s in SOURCES if s.use == "training"]


def train(project_root: Path, out: Path = MODEL_DIR, config: FeatureConfig = FeatureConfig()) -> Dict:
    from sklearn.linear_model import SGDClassifier

    started = time.monotonic()
    datasets = project_root / "var" / "datasets"
    sources = load_all(datasets, project_root)
    train_set: List[Example] = []
    held: Dict[str, List[Example]] = {}
    for number, (name, examples) in enumerate(sorted(sources.items())):
        share = SEED_HELD_OUT_SHARE if name in ("seed", "project_calm") else HELD_OUT_SHARE
        part_train, part_held = split(examples, share, SEED + number)
        train_set += part_train
        held[name] = part_held
    lexicon = LexiconScorer()
    x_train = matrix(train_set, config, lexicon)
    y_train = np.array([CLASSES.index(e.level) for e in train_set])
    held_x = {name: matrix(examples, config, lexicon) for name, examples in held.items()}

    def fit(alpha: float, seed_weight: float) -> "SGDClassifier":
        model = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=50, tol=1e-4, random_state=SEED,
                              average=True)
        model.fit(x_train, y_train, sample_weight=sample_weights(train_set, seed_weight))
        return model

    # Regularisation and the in-domain weight: the best held-out log loss, averaged by `domain_mean`.
    best = None
    for alpha, seed_weight in [(a, w) for a in ALPHAS for w in SEED_WEIGHTS]:
        model = fit(alpha, seed_weight)
        losses = {}
        for name, examples in held.items():
            p = np.clip(model.predict_proba(held_x[name]), 1e-7, 1)
            losses[name] = float(-np.mean(np.log(p[np.arange(len(examples)), [CLASSES.index(e.level)
                                                                                for e in examples]])))
        loss = domain_mean(losses)
        print(f"alpha {alpha:g}, in-domain weight {seed_weight:g}: held-out log loss {loss:.4f}", flush=True)
        if best is None or loss < best[1]:
            best = (alpha, loss, model, seed_weight)
    alpha, loss, model, seed_weight = best
    held_p = {name: ([e.level for e in examples], model.predict_proba(held_x[name]))
              for name, examples in held.items()}
    # weibo_senti_100k knows only positive/negative: it cannot judge the upset/angry knot.
    knots, objective = choose_knots({k: v for k, v in held_p.items() if k not in ONE_LEVEL_OR_TWO})
    evaluation = {}
    for name, (gold, p) in held_p.items():
        predicted = levels_of(p, knots)
        evaluation[name] = {"n": len(gold), "accuracy": round(sum(g == q for g, q in zip(gold, predicted))
                                                                / len(gold), 4),
                            "macro_f1": round(macro_f1(gold, predicted), 4),
                            "angry_f1": round(_f1(gold, predicted, "angry"), 4)}
    weights = model.coef_.T.astype(np.float16)  # buckets x classes
    bias = model.intercept_.astype(np.float32)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "weights.npz", weights=weights, bias=bias)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=project_root, capture_output=True,
                            text=True).stdout.strip()
    metadata = {
        "classes": list(CLASSES),
        "features": config.as_dict(),
        "knots": {"upset": knots.upset, "angry": knots.angry, "index": "P(angry) + 0.5 P(upset)"},
        "model": {"kind": "SGDClassifier(log_loss, averaged): one-vs-rest logistic outputs, normalised",
                  "alpha": alpha, "seed": SEED, "in_domain_weight": seed_weight, "weights_dtype": "float16"},
        "training": {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "project_commit": commit,
                     "examples": len(train_set),
                     "by_source": {name: len(examples) for name, examples in sources.items()},
                     "held_out_share": {"public": HELD_OUT_SHARE, "in_domain": SEED_HELD_OUT_SHARE},
                     "seconds": round(time.monotonic() - started, 1)},
        "held_out": {"log_loss": round(loss, 4), "averaging": f"{IN_DOMAIN_SHARE:g} x mean over {list(IN_DOMAIN)} "
                     f"+ {1 - IN_DOMAIN_SHARE:g} x mean over the public sources",
                     "knot_objective_macro_f1": round(objective, 4),
                     "by_source": evaluation},
        "data_sources": _commits(datasets) + [{"name": "customer_service_seed",
                                              "path": "tools/emotion_model/customer_service_seed.tsv",
                                              "licence": "written for this project"}],
    }
    (out / "model.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return metadata
