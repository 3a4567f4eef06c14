"""Emotion benchmark, ours against SnowNLP in one run (`python -m benchmarks.emotion_bench` runs only this part):

(a) negative vs positive on ChnSentiCorp hotel reviews (never trained on): ours says negative when the level is
    not calm; SnowNLP when sentiments < 0.5;
(b) angry vs other on SMP2020-EWECT usual_eval_labeled (the eval split; never trained on; the test split is
    never read): ours says angry at the angry level; SnowNLP's negative counts as angry;
(c) the project's labelled set benchmarks/data/emotion_labelled.tsv (levels; never trained or tuned on);
plus the lexicon alone (the scorer before the model) on each, and the scoring latency per message.
The public sets come from `python -m benchmarks.datasets_emotion prepare`; a missing one is reported, not fatal."""
from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bot.emotion.lexicon import LexiconScorer
from bot.emotion.scorer import EmotionScorer
from bot.settings import Settings

LABELLED = Path("benchmarks/data/emotion_labelled.tsv")
HOTEL = Path("var/datasets/chnsenticorp_htl/ChnSentiCorp_htl_all.csv")
WEIBO_EVAL = Path("var/datasets/smp2020_ewect/usual_eval_labeled.txt")
LEVELS = ("calm", "upset", "angry")
HOTEL_SAMPLE = 2000  # reviews, stratified, fixed seed; --full reads all 7,766
SAMPLE_SEED = 12


def read_labelled(path: Path) -> List[Tuple[str, str, str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] not in LEVELS:
            raise ValueError(f"{path}:{number}: expected language<TAB>calm|upset|angry<TAB>message")
        rows.append((parts[0], parts[1], parts[2]))
    return rows


def _snownlp() -> Optional[Callable[[str], float]]:
    try:
        from snownlp import SnowNLP
    except ImportError:
        return None

    def positive(text: str) -> float:
        return float(SnowNLP(text).sentiments) if text.strip() else 0.5

    return positive


def _binary(gold: Sequence[bool], predicted: Sequence[bool]) -> Dict[str, float]:
    tp = sum(1 for g, p in zip(gold, predicted) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted) if not g and p)
    fn = sum(1 for g, p in zip(gold, predicted) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"accuracy": sum(1 for g, p in zip(gold, predicted) if g == p) / len(gold) if gold else 0.0,
            "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0, "n": len(gold)}


def _hotel(root: Path, full: bool) -> Optional[List[Tuple[str, bool]]]:
    path = root / HOTEL
    if not path.exists():
        return None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [(r["review"], r["label"] == "0") for r in csv.DictReader(handle) if (r.get("review") or "").strip()]
    if full:
        return rows
    rng = random.Random(SAMPLE_SEED)
    negative = [r for r in rows if r[1]]
    positive = [r for r in rows if not r[1]]
    share = HOTEL_SAMPLE / len(rows)
    return rng.sample(negative, round(len(negative) * share)) + rng.sample(positive, round(len(positive) * share))


def _weibo(root: Path) -> Optional[List[Tuple[str, bool]]]:
    path = root / WEIBO_EVAL
    if not path.exists():
        return None
    return [(r["content"], r["label"] == "angry") for r in json.loads(path.read_text(encoding="utf-8"))]


def run(settings: Settings, full: bool = False) -> Dict:
    root = settings.project_root
    ours = EmotionScorer(settings.emotion_upset_at, settings.emotion_angry_at)
    lexicon = LexiconScorer(settings.emotion_upset_at, settings.emotion_angry_at)
    snow = _snownlp()
    ours.score("预热 warm-up")  # the model and jieba load once, outside the timings
    lexicon.score("预热 warm-up")
    timings: List[float] = []

    def ours_level(text: str) -> str:
        started = time.perf_counter()
        level = ours.score(text).level
        timings.append(time.perf_counter() - started)
        return level

    results: Dict = {"missing": [], "thresholds": (settings.emotion_upset_at, settings.emotion_angry_at)}
    hotel = _hotel(root, full)
    if hotel is None:
        results["missing"].append(f"{HOTEL} (run `python -m benchmarks.datasets_emotion prepare`)")
    else:
        gold = [negative for _, negative in hotel]
        results["hotel"] = {
            "ours": _binary(gold, [ours_level(t) != "calm" for t, _ in hotel]),
            "lexicon": _binary(gold, [lexicon.score(t).level != "calm" for t, _ in hotel]),
            "snownlp": _binary(gold, [snow(t) < 0.5 for t, _ in hotel]) if snow else None,
            "full": full,
        }
    weibo = _weibo(root)
    if weibo is None:
        results["missing"].append(f"{WEIBO_EVAL} (run `python -m benchmarks.datasets_emotion prepare`)")
    else:
        gold = [angry for _, angry in weibo]
        results["weibo_angry"] = {
            "ours": _binary(gold, [ours_level(t) == "angry" for t, _ in weibo]),
            "lexicon": _binary(gold, [lexicon.score(t).level == "angry" for t, _ in weibo]),
            "snownlp": _binary(gold, [snow(t) < 0.5 for t, _ in weibo]) if snow else None,
        }
    rows = read_labelled(root / LABELLED)
    own: Dict[str, Dict] = {}
    for subset, chosen in (("odd lines", [r for i, r in enumerate(rows) if i % 2 == 1]), ("all", rows)):
        for language in ("zh", "en"):
            pairs = [(gold, text) for lang, gold, text in chosen if lang == language]
            ours_pred = [ours_level(text) for _, text in pairs]
            lexicon_pred = [lexicon.score(text).level for _, text in pairs]
            gold = [g for g, _ in pairs]
            entry = {"n": len(pairs), "ours": _levels(gold, ours_pred), "lexicon": _levels(gold, lexicon_pred)}
            if snow and language == "zh":  # SnowNLP reads Chinese only; negative as upset, very negative as angry
                entry["snownlp"] = _levels(gold, [_snow_level(snow(text)) for _, text in pairs])
            own[f"{subset}/{language}"] = entry
    results["own"] = own
    ordered = sorted(timings)
    results["latency_ms"] = {
        "n": len(ordered),
        "p50": 1000 * ordered[len(ordered) // 2] if ordered else 0.0,
        "p95": 1000 * ordered[int(len(ordered) * 0.95)] if ordered else 0.0,
    }
    return results


def _snow_level(positive: float) -> str:
    return "angry" if positive < 0.1 else "upset" if positive < 0.5 else "calm"


def _levels(gold: Sequence[str], predicted: Sequence[str]) -> Dict:
    classes = {}
    for level in LEVELS:
        classes[level] = _binary([g == level for g in gold], [p == level for p in predicted])
        classes[level]["support"] = sum(1 for g in gold if g == level)
    return {"accuracy": sum(1 for g, p in zip(gold, predicted) if g == p) / len(gold) if gold else 0.0,
            "classes": classes}


def _pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.1%}"


def markdown(results: Dict) -> str:
    upset_at, angry_at = results["thresholds"]
    lines = ["## Emotion", "",
             "Scorer: `bot/emotion/` — a linear model over hashed character/word n-grams and the lexicon's reading, "
             "trained on public data (`python -m tools.emotion_model train`; SMP2020-EWECT usual train (less any post "
             "also in usual eval) and virus train+eval, "
             "weibo_senti_100k, GoEmotions train+dev, a customer-service seed and the project's own FAQ and "
             "small-talk questions), with the lexicon's overrides (safety words, insults, anger emoji, negated "
             f"complaints); levels at upset ≥ {upset_at}, angry ≥ {angry_at}. None of the sets below was trained "
             "or tuned on (settings were chosen on held-out slices of the training data). *Lexicon* is the scorer before the model, in the same run; SnowNLP 0.12.3 is the "
             "baseline. Data sets and licences: `docs/datasets/emotion.md`.", ""]
    for missing in results["missing"]:
        lines.append(f"- not run, data missing: {missing}")
    if results["missing"]:
        lines.append("")
    lines += ["| task | data | metric | ours | lexicon (before) | SnowNLP | target |", "|---|---|---|---|---|---|---|"]
    hotel = results.get("hotel")
    if hotel:
        size = "all" if hotel["full"] else f"stratified sample of {HOTEL_SAMPLE}"
        snow = hotel["snownlp"]
        lines.append(f"| negative vs positive | ChnSentiCorp_htl_all ({size}, n={hotel['ours']['n']}) | accuracy | "
                     f"{_pct(hotel['ours']['accuracy'])} | {_pct(hotel['lexicon']['accuracy'])} | "
                     f"{_pct(snow['accuracy'] if snow else None)} | above SnowNLP |")
    weibo = results.get("weibo_angry")
    if weibo:
        snow = weibo["snownlp"]
        for metric in ("f1", "precision", "recall"):
            lines.append(f"| angry vs other | SMP2020-EWECT usual_eval_labeled (n={weibo['ours']['n']}) | angry "
                         f"{metric} | {_pct(weibo['ours'][metric])} | {_pct(weibo['lexicon'][metric])} | "
                         f"{_pct(snow[metric] if snow else None)} | {'≥ 60%' if metric == 'f1' else ''} |")
    for name, entry in results["own"].items():
        snow = entry.get("snownlp")
        lines.append(f"| levels (calm/upset/angry) | emotion_labelled.tsv, {name} (n={entry['n']}) | accuracy | "
                     f"{_pct(entry['ours']['accuracy'])} | {_pct(entry['lexicon']['accuracy'])} | "
                     f"{_pct(snow['accuracy'] if snow else None)} | ≥ 85% |")
    latency = results["latency_ms"]
    lines += [f"| scoring latency | every message above, one at a time (n={latency['n']}) | p50 / p95 | "
              f"{latency['p50']:.2f} / {latency['p95']:.2f} ms | | | p95 < 5 ms |", ""]
    lines += ["Per level on the labelled set's odd lines (ours):", "",
              "| language | level | precision | recall | messages |", "|---|---|---|---|---|"]
    for language in ("zh", "en"):
        entry = results["own"].get(f"odd lines/{language}")
        if not entry:
            continue
        for level, scores in entry["ours"]["classes"].items():
            lines.append(f"| {language} | {level} | {_pct(scores['precision'])} | {_pct(scores['recall'])} | "
                         f"{scores['support']} |")
    lines += ["", "SnowNLP on the labelled set: Chinese only, sentiments < 0.5 as upset and < 0.1 as angry.", ""]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    from bot.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m benchmarks.emotion_bench",
                                     description="the emotion benchmark alone (ours, the lexicon, SnowNLP)")
    parser.add_argument("--full", action="store_true", help="all 7,766 hotel reviews instead of a 2,000 sample")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    results = run(get_settings(), full=args.full)
    print(markdown(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
