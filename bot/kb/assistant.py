"""Turns a customer's question into what the assistant says, using the knowledge base."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from bot.kb.records import KbRecords
from bot.kb.service import KnowledgeBaseService
from bot.text.language import detect_language


@dataclass(frozen=True)
class FaqReply:
    """`kind` is answer, choose or none. `text` is the answer itself (from the knowledge base);
    `response` names a domain.yml response to send; `buttons` are (title, payload) pairs.
    `note_response`, when set, names a short note to send first in the customer's language: the entry is not
    written in it (a Chinese-only knowledge base asked in English), so `text` is in `answer_language`."""

    kind: str
    language: str
    entry_id: Optional[str] = None
    text: Optional[str] = None
    response: Optional[str] = None
    buttons: Tuple[Tuple[str, str], ...] = ()
    ask_feedback: bool = False
    note_response: Optional[str] = None
    answer_language: Optional[str] = None

# Sent before an answer that exists only in the other language (the response lives in domain.yml).
LANGUAGE_NOTE_RESPONSE = "utter_kb_answer_language_note"


class FaqAssistant:
    def __init__(self, service: KnowledgeBaseService, records: Optional[KbRecords], feedback_every: int = 3) -> None:
        self.service = service
        self.records = records
        self.feedback_every = feedback_every

    def reply(
        self,
        conversation_id: str,
        question: str,
        language: Optional[str],
        previous_entry_id: Optional[str] = None,
        chosen_entry_id: Optional[str] = None,
        answers_so_far: int = 0,
        record_unanswered: bool = True,
    ) -> FaqReply:
        """What to say to `question`; records the outcome so gaps can be found later (a miss only
        with `record_unanswered`: a garbled message is not a question the knowledge base lacks)."""
        language = detect_language(question) or language or "zh"
        if language not in ("zh", "en"):
            language = "zh"
        if chosen_entry_id:
            entry = self.service.entry(chosen_entry_id)
            if entry:
                self._record(conversation_id, entry.question_in(language), language, "chosen", entry.id, None)
                return self._answer(entry.id, language, answers_so_far)
        decision = self.service.decide(question, language, previous_entry_id)
        if decision.kind == "answer":
            self._record(conversation_id, question, language, "answered", decision.entry.id, decision.score)
            return self._answer(decision.entry.id, language, answers_so_far)
        if decision.kind == "choose":
            self._record(conversation_id, question, language, "choices", decision.entry.id, decision.score)
            buttons = tuple(
                (hit.entry.question_in(language), f'/ask_question{{"kb_entry_id":"{hit.entry.id}"}}')
                for hit in decision.hits
            )
            return FaqReply("choose", language, response="utter_kb_choose", buttons=buttons)
        top = decision.hits[0] if decision.hits else None
        if record_unanswered:
            self._record(conversation_id, question, language, "unanswered", top.entry.id if top else None,
                         top.score if top else None)
        return FaqReply("none", language, response="utter_kb_no_answer")

    def _answer(self, entry_id: str, language: str, answers_so_far: int) -> FaqReply:
        entry = self.service.entry(entry_id)
        assert entry is not None
        # Ask "was this helpful?" on the first answer and then every `feedback_every` answers.
        ask = answers_so_far % self.feedback_every == 0
        # An entry written in one language only is answered in that language, after a note in the customer's.
        answer_language = language if entry.has_language(language) else entry.languages[0]
        return FaqReply(
            "answer", language, entry_id=entry.id, text=entry.answer_in(answer_language), ask_feedback=ask,
            note_response=None if answer_language == language else LANGUAGE_NOTE_RESPONSE,
            answer_language=answer_language,
        )

    def _record(self, conversation_id: str, question: str, language: str, outcome: str,
                entry_id: Optional[str], score: Optional[float]) -> None:
        if self.records is not None:
            self.records.record_query(conversation_id, question, language, outcome, entry_id, score)
