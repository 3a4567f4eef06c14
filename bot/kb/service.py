"""Answers customers' questions from the knowledge base, reloading it when its files change."""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from bot.kb.index import Hit, SearchIndex
from bot.kb.loader import KnowledgeBaseError, load_knowledge_base, watched_files
from bot.kb.model import Entry
from bot.kb.text import get_analyzer
from bot.settings import Settings

logger = logging.getLogger(__name__)

# A follow-up leans on the previous answer's topic: "那要多久?", "how much is it?"
_ANAPHORA = re.compile(r"(那|这|它|该)|\b(that|it|this|those|these|they|them)\b", re.IGNORECASE)
_FOLLOW_UP_START = re.compile(r"^(那|那么|如果|还有|另外|要是|and|so|what about|how about|what if|also|then)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Thresholds:
    """Score levels (0-1) that decide between answering, offering choices and admitting no answer.
    The defaults are the settings' defaults (BOT_KB_CONFIDENT, BOT_KB_MARGIN, BOT_KB_CERTAIN, BOT_KB_AMBIGUOUS).
    A best match is answered when it is certain, or confident and ahead of the runner-up by the margin;
    otherwise the matches within the margin of it are offered as choices."""

    confident: float = 0.5
    margin: float = 0.15
    certain: float = 0.8
    ambiguous: float = 0.3
    choices: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> "Thresholds":
        return cls(confident=settings.kb_confident, margin=settings.kb_margin, certain=settings.kb_certain,
                   ambiguous=settings.kb_ambiguous)


@dataclass(frozen=True)
class Decision:
    """What to do with a question: `answer`, `choose` (offer `hits` as buttons) or `none`."""

    kind: str
    hits: Tuple[Hit, ...]
    language: str
    used_context: bool = False

    @property
    def entry(self) -> Optional[Entry]:
        return self.hits[0].entry if self.hits else None

    @property
    def score(self) -> float:
        return self.hits[0].score if self.hits else 0.0


@dataclass
class _Loaded:
    index: SearchIndex
    signature: Tuple[Tuple[str, int, int], ...]
    loaded_at: float = field(default_factory=time.time)


class KnowledgeBaseService:
    """Serves the latest valid version of a knowledge-base folder.

    Every question first checks the files' modification times (a few `stat` calls); when
    they changed, the folder is loaded and indexed again. A broken edit is reported in
    `last_error` and the previous version keeps serving.
    """

    def __init__(
        self, folder: Path, dictionary_dir: Optional[Path] = None, thresholds: Thresholds = Thresholds()
    ) -> None:
        self.folder = folder
        self.dictionary_dir = dictionary_dir
        self.thresholds = thresholds
        self.last_error: Optional[KnowledgeBaseError] = None
        self._loaded: Optional[_Loaded] = None
        self._failed_signature: Optional[Tuple[Tuple[str, int, int], ...]] = None
        self._lock = threading.Lock()

    def _signature(self) -> Tuple[Tuple[str, int, int], ...]:
        signature = []
        for path in watched_files(self.folder):
            try:
                stat = path.stat()
                signature.append((str(path), stat.st_mtime_ns, stat.st_size))
            except FileNotFoundError:
                continue
        return tuple(signature)

    def index(self) -> SearchIndex:
        """The index of the newest valid version (loading or reloading it if needed)."""
        signature = self._signature()
        loaded = self._loaded
        if loaded and loaded.signature == signature:
            return loaded.index
        if loaded and signature == self._failed_signature:
            return loaded.index
        with self._lock:
            if self._loaded and self._loaded.signature == signature:
                return self._loaded.index
            try:
                knowledge_base = load_knowledge_base(self.folder)
            except KnowledgeBaseError as error:
                self.last_error = error
                self._failed_signature = signature
                if self._loaded is None:
                    raise
                logger.error("Knowledge base edit rejected, still serving the previous version:\n%s", error)
                return self._loaded.index
            analyzer = get_analyzer(knowledge_base.synonyms, self.dictionary_dir)
            index = SearchIndex(knowledge_base, analyzer)
            self._loaded = _Loaded(index=index, signature=signature)
            self.last_error = None
            self._failed_signature = None
            logger.info("Knowledge base loaded: %d entries from %s", len(index), self.folder)
            return index

    def entry(self, entry_id: str) -> Optional[Entry]:
        return self.index().knowledge_base.entries.get(entry_id)

    def search(self, question: str, limit: int = 5) -> List[Hit]:
        return self.index().search(question, limit)

    def decide(self, question: str, language: str, previous_entry_id: Optional[str] = None) -> Decision:
        """Answer, offer choices, or admit there is no answer; uses the previous topic for vague follow-ups."""
        index = self.index()
        decision = self._classify(index.search(question), language)
        previous = index.knowledge_base.entries.get(previous_entry_id) if previous_entry_id else None
        if previous is None:
            return decision
        vague = self._is_vague(question)
        if vague or decision.kind != "answer":
            contextual = self._classify(
                index.search(f"{previous.question_in(language)} {question}"), language, used_context=True
            )
            if contextual.kind == "answer" and (vague or decision.kind != "answer"):
                return contextual
        return decision

    def _is_vague(self, question: str) -> bool:
        """Short, or leaning on "that"/"那" for its subject: it needs the previous topic."""
        terms = self.index().analyzer.terms(question)
        stripped = question.strip()
        if len(terms) <= 2 or _FOLLOW_UP_START.search(stripped):
            return True
        return len(terms) <= 5 and bool(_ANAPHORA.search(stripped))

    def _classify(self, hits: List[Hit], language: str, used_context: bool = False) -> Decision:
        t = self.thresholds
        if not hits or hits[0].score < t.ambiguous:
            return Decision("none", tuple(hits[:1]), language, used_context)
        top = hits[0].score
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        if top >= t.certain or (top >= t.confident and top - runner_up >= t.margin):
            return Decision("answer", tuple(hits), language, used_context)
        close = [h for h in hits if h.score >= max(t.ambiguous, top - t.margin)][: t.choices]
        if len(close) == 1 and top >= t.confident:
            return Decision("answer", tuple(hits), language, used_context)
        return Decision("choose", tuple(close), language, used_context)


_services: dict = {}


def get_knowledge_base(settings: Settings) -> KnowledgeBaseService:
    """The process's knowledge-base service for these settings (created on first use)."""
    thresholds = Thresholds.from_settings(settings)
    key = (str(settings.kb_dir), thresholds)
    if key not in _services:
        _services[key] = KnowledgeBaseService(settings.kb_dir, settings.jieba_dictionary_dir, thresholds)
    return _services[key]
