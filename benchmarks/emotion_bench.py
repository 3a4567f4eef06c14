"""Emotion benchmark: per-class precision and recall on a held-out labelled set."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

from bot.emotion.scorer import EmotionScorer
from bot.settings import Settings

LABELLED = Path("benchmarks/data/emotion_labelled.tsv")
LEVELS = ("calm", "upset", "angry")


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


def run(settings: Settings) -> Dict:
    scorer = EmotionScorer(settings.emotion_upset_at, settings.emotion_angry_at)
    # Even lines chose the thresholds (BOT_EMOTION_UPSET_AT/ANGRY_AT defaults); odd lines are the test.
    rows = [row for index, row in enumerate(read_labelled(settings.project_root / LABELLED)) if index % 2 == 1]
    results: Dict[str, Dict] = {}
    for language in ("zh", "en"):
        pairs = [(gold, scorer.score(text).level) for lang, gold, text in rows if lang == language]
        per_class = {}
        for level in LEVELS:
            tp = sum(1 for g, p in pairs if g == level and p == level)
            predicted = sum(1 for _, p in pairs if p == level)
            actual = sum(1 for g, _ in pairs if g == level)
            per_class[level] = {
                "precision": tp / predicted if predicted else 0.0,
                "recall": tp / actual if actual else 0.0,
                "support": actual,
            }
        accuracy = sum(1 for g, p in pairs if g == p) / len(pairs) if pairs else 0.0
        results[language] = {"classes": per_class, "accuracy": accuracy, "n": len(pairs)}
    return results


def markdown(results: Dict) -> str:
    lines = ["## Emotion", "",
             "Labelled set: `benchmarks/data/emotion_labelled.tsv`, 200 messages per language labelled calm, upset "
             "or angry. Its even lines were used to choose the level thresholds (upset ≥ 0.15, angry ≥ 0.6); the "
             "figures below are on the odd lines only (100 per language), which tuned nothing. Scorer: "
             "`bot/emotion/` (lexicon with negation, degree words and intensifiers).", "",
             "| language | level | precision | recall | messages |", "|---|---|---|---|---|"]
    for language, result in results.items():
        for level, scores in result["classes"].items():
            lines.append(f"| {language} | {level} | {scores['precision']:.1%} | {scores['recall']:.1%} | "
                         f"{scores['support']} |")
        lines.append(f"| {language} | **accuracy** | | {result['accuracy']:.1%} | {result['n']} |")
    lines.append("")
    return "\n".join(lines)
