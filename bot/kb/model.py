"""What a knowledge-base entry is."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Entry:
    """One FAQ: a standard question and alternatives per language, an answer per language."""

    id: str
    category: str
    question: Dict[str, str]
    alternatives: Dict[str, Tuple[str, ...]]
    answer: Dict[str, str]
    tags: Tuple[str, ...] = ()
    related: Tuple[str, ...] = ()
    source: str = ""  # file the entry came from, for error messages

    def phrasings(self, language: Optional[str] = None) -> List[str]:
        """The standard question and its alternatives, in one language or both."""
        languages = (language,) if language else LANGUAGES
        found: List[str] = []
        for lang in languages:
            if lang in self.question:
                found.append(self.question[lang])
            found.extend(self.alternatives.get(lang, ()))
        return found

    @property
    def languages(self) -> Tuple[str, ...]:
        """The languages the entry is written in (a Chinese-only FAQ has just "zh")."""
        return tuple(lang for lang in LANGUAGES if lang in self.answer)

    def has_language(self, language: str) -> bool:
        return language in self.answer

    def answer_in(self, language: str) -> str:
        """The answer in `language`, or in the entry's own language when it has none in that one."""
        return self.answer.get(language) or self.answer.get("zh") or next(iter(self.answer.values()))

    def question_in(self, language: str) -> str:
        return self.question.get(language) or self.question.get("zh") or next(iter(self.question.values()))


@dataclass(frozen=True)
class Issue:
    """A problem found while loading: where it is and what is wrong."""

    file: str
    entry: str
    field: str
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = self.file + (f" · entry {self.entry}" if self.entry else "") + (f" · {self.field}" if self.field else "")
        return f"{self.severity.upper()}: {where}: {self.message}"


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Dict[str, Entry]
    synonyms: Tuple[Tuple[str, ...], ...] = ()
    warnings: Tuple[Issue, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.entries)

    def categories(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for entry in self.entries.values():
            counts[entry.category] = counts.get(entry.category, 0) + 1
        return counts
