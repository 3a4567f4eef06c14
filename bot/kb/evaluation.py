"""Measures retrieval on questions with known answers: `python -m bot kb eval FOLDER FILE.tsv`.

The TSV has `language<TAB>expected_entry_id<TAB>question` per line; lines starting with # are skipped.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np


class EvaluationFileError(ValueError):
    """A line of the questions file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class LabelledQuestion:
    language: str
    expected: str
    text: str


@dataclass
class LanguageResult:
    total: int = 0
    top1: int = 0
    top3: int = 0
    misses: List[Tuple[str, str, List[str]]] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.total if self.total else 0.0


@dataclass
class EvaluationResult:
    by_language: Dict[str, LanguageResult]
    latencies_ms: List[float]

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else 0.0

    @property
    def overall(self) -> LanguageResult:
        total = LanguageResult()
        for result in self.by_language.values():
            total.total += result.total
            total.top1 += result.top1
            total.top3 += result.top3
        return total


def read_questions(path: Path, known_ids: Sequence[str] = ()) -> List[LabelledQuestion]:
    questions = []
    known = set(known_ids)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise EvaluationFileError(f"{path}:{number}: expected language<TAB>entry_id<TAB>question")
        language, expected, text = (p.strip() for p in parts)
        if known and expected not in known:
            raise EvaluationFileError(f"{path}:{number}: unknown entry id {expected!r}")
        questions.append(LabelledQuestion(language, expected, text))
    return questions


def evaluate(questions: Sequence[LabelledQuestion], rank: Callable[[str], List[str]]) -> EvaluationResult:
    """Runs `rank` (question -> entry ids, best first) on every question and scores it."""
    by_language: Dict[str, LanguageResult] = {}
    latencies = []
    for question in questions:
        started = time.perf_counter()
        ranked = rank(question.text)
        latencies.append((time.perf_counter() - started) * 1000)
        result = by_language.setdefault(question.language, LanguageResult())
        result.total += 1
        if ranked[:1] == [question.expected]:
            result.top1 += 1
        else:
            result.misses.append((question.text, question.expected, ranked[:3]))
        if question.expected in ranked[:3]:
            result.top3 += 1
    return EvaluationResult(by_language=by_language, latencies_ms=latencies)
