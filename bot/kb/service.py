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
from bot.kb.learning import KbLearning, with_alternatives
from bot.kb.loader import KnowledgeBaseError, load_knowledge_base, watched_files
from bot.kb.model import Entry
from bot.kb.text import get_analyzer
from bot.settings import Settings

logger = logging.getLogger(__name__)

# A follow-up leans on the previous answer's topic: "那要多久?", "how much is it?"
_ANAPHORA = re.compile(r"(那|这|它|该)|\b(that|it|this|those|these|they|them)\b", re.IGNORECASE)
_FOLLOW_UP_START = re.compile(r"^(那|那么|如果|还有|另外|要是|and|so|what about|how about|what if|also|then)\b", re.IGNORECASE)
# The customer asks for the same answer again: then (and only then) it is repeated word for word.
_ASK_AGAIN = re.compile(r"再说一(遍|次)|再讲一(遍|次)|重复一(遍|下)|没看(清|懂|明白)|刚才(说|讲)的|say (that|it) again|"
                        r"repeat (that|it)|come again|once more|didn'?t (get|catch) (that|it)", re.IGNORECASE)


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


Signature = Tuple[Tuple[str, int, int], ...]


@dataclass
class _Loaded:
    index: SearchIndex
    signature: Signature
    loaded_at: float = field(default_factory=time.time)


class KnowledgeBaseService:
    """Serves the latest valid version of a knowledge-base folder.

    Every question first checks the files' modification times (a few `stat` calls); when
    they changed, the folder is loaded and indexed again. A broken edit is reported in
    `last_error` and the previous version keeps serving.
    """

    def __init__(
        self, folder: Path, dictionary_dir: Optional[Path] = None, thresholds: Thresholds = Thresholds(),
        learning: Optional[KbLearning] = None,
    ) -> None:
        """`learning`: where operator-accepted alternatives are read from (the database); None for files only."""
        self.folder = folder
        self.dictionary_dir = dictionary_dir
        self.thresholds = thresholds
        self.learning = learning
        self.last_error: Optional[KnowledgeBaseError] = None
        self._loaded: Optional[_Loaded] = None
        self._failed_signature: Optional[Tuple[Tuple[str, int, int], ...]] = None
        self._lock = threading.Lock()

    def _signature(self) -> Signature:
        """The files' modification times and sizes, and the count of operator decisions on alternatives
        (one indexed read): a change in either means the index is rebuilt on this question."""
        signature = []
        for path in watched_files(self.folder):
            try:
                stat = path.stat()
                signature.append((str(path), stat.st_mtime_ns, stat.st_size))
            except FileNotFoundError:
                continue
        if self.learning is not None:
            signature.append(("kb_learned_alternatives", self.learning.version(), 0))
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
            if self.learning is not None:
                knowledge_base = with_alternatives(knowledge_base, self.learning.accepted())
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
        """Answer, offer choices, or admit there is no answer.

        A vague follow-up ("那要多久到账") is also read together with the previous topic, and that reading wins
        when it finds an answer the question alone does not, or a different entry. It never brings back the
        answer just given: that is repeated only when the question alone asks for it, or asks to hear it again."""
        index = self.index()
        decision = self._classify(index.search(question), language, question=question)
        previous = index.knowledge_base.entries.get(previous_entry_id) if previous_entry_id else None
        if previous is None:
            return decision
        asks_elsewhere = decision.kind == "answer" and decision.entry is not None and decision.entry.id != previous.id
        if _ASK_AGAIN.search(question) and not asks_elsewhere:
            # "再说一遍" / "没看懂": the answer again, unless the question itself asks about something else
            # ("没看懂，那发票怎么开？").
            return Decision("answer", (self._hit_for(previous, index),), language, used_context=True)
        vague = self._is_vague(question)
        if not (vague or decision.kind != "answer"):
            return decision
        contextual_hits = [h for h in index.search(f"{previous.question_in(language)} {question}")
                           if h.entry.id != previous.id]
        contextual = self._classify(contextual_hits, language, used_context=True)
        if contextual.kind == "answer" and (decision.kind != "answer" or (
                vague and contextual.entry.id != decision.entry.id and contextual.score >= decision.score)):
            return contextual
        return decision

    @staticmethod
    def _hit_for(entry: Entry, index: SearchIndex) -> Hit:
        return Hit(entry=entry, score=1.0, lexical=1.0, learned=1.0, matched=entry.question_in(entry.languages[0]))

    def _is_vague(self, question: str) -> bool:
        """Short, or leaning on "that"/"那" for its subject: it needs the previous topic."""
        terms = self.index().analyzer.terms(question)
        stripped = question.strip()
        if len(terms) <= 2 or _FOLLOW_UP_START.search(stripped):
            return True
        return len(terms) <= 5 and bool(_ANAPHORA.search(stripped))

    def _classify(self, hits: List[Hit], language: str, used_context: bool = False,
                  question: str = "") -> Decision:
        t = self.thresholds
        if not hits or hits[0].score < t.ambiguous:
            return Decision("none", tuple(hits[:1]), language, used_context)
        top = hits[0].score
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        if top >= t.certain or (top >= t.confident and top - runner_up >= t.margin):
            return Decision("answer", tuple(hits), language, used_context)
        # Far ahead of every other entry (twice the margin): one entry clearly fits, even at a modest score, as in
        # knowledge bases with few phrasings an entry, where the naive Bayes does not lift the score.
        if top - runner_up >= DECISIVE_MARGIN_FACTOR * t.margin:
            return Decision("answer", tuple(hits), language, used_context)
        # Asked (almost) word for word as one entry's phrasing, and as no other's: that entry is meant.
        if question and top >= t.confident and _verbatim(question, hits[0].matched) and not (
                len(hits) > 1 and _verbatim(question, hits[1].matched)):
            return Decision("answer", tuple(hits), language, used_context)
        close = [h for h in hits if h.score >= max(t.ambiguous, top - t.margin)][: t.choices]
        if len(close) == 1 and top >= t.confident:
            return Decision("answer", tuple(hits), language, used_context)
        return Decision("choose", tuple(close), language, used_context)


_PUNCTUATION = re.compile(r"[\s\W_]+")
VERBATIM_SIMILARITY = 0.85
DECISIVE_MARGIN_FACTOR = 2.0  # difflib ratio of the texts without spaces and punctuation


def _verbatim(question: str, phrasing: str) -> bool:
    from difflib import SequenceMatcher

    a, b = _PUNCTUATION.sub("", question.lower()), _PUNCTUATION.sub("", phrasing.lower())
    return bool(a and b) and SequenceMatcher(None, a, b).ratio() >= VERBATIM_SIMILARITY


_services: dict = {}


def get_knowledge_base(settings: Settings) -> KnowledgeBaseService:
    """The process's knowledge-base service for these settings (created on first use)."""
    thresholds = Thresholds.from_settings(settings)
    key = (str(settings.kb_dir), thresholds)
    if key not in _services:
        from bot.storage.database import get_database

        _services[key] = KnowledgeBaseService(settings.kb_dir, settings.jieba_dictionary_dir, thresholds,
                                              learning=KbLearning(get_database(settings)))
    return _services[key]
