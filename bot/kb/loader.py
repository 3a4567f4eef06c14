"""Loads and validates a knowledge-base folder; errors name the file, the entry and the field.

Layout: `<folder>/entries/*.yml` (one file per category) and `<folder>/synonyms.yml`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from bot.kb.model import LANGUAGES, Entry, Issue, KnowledgeBase

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
MIN_ALTERNATIVES = 3
NEAR_DUPLICATE_SIMILARITY = 0.92


class KnowledgeBaseError(ValueError):
    """The knowledge base has errors; `issues` lists each one."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        errors = [i for i in self.issues if i.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the knowledge base:\n" + "\n".join(str(i) for i in errors))


def entry_files(folder: Path) -> List[Path]:
    return sorted((folder / "entries").glob("*.yml")) + sorted((folder / "entries").glob("*.yaml"))


def watched_files(folder: Path) -> List[Path]:
    return entry_files(folder) + [folder / "synonyms.yml"]


def load_knowledge_base(folder: Path) -> KnowledgeBase:
    """The validated knowledge base, or KnowledgeBaseError listing every error found."""
    issues: List[Issue] = []
    entries: Dict[str, Entry] = {}
    files = entry_files(folder)
    if not files:
        raise KnowledgeBaseError([Issue(str(folder / "entries"), "", "", "no entry files (*.yml) found")])
    for path in files:
        for entry in _load_file(path, issues):
            if entry.id in entries:
                issues.append(
                    Issue(str(path), entry.id, "id", f"duplicate id, already used in {entries[entry.id].source}")
                )
                continue
            entries[entry.id] = entry
    for entry in entries.values():
        for related in entry.related:
            if related not in entries:
                issues.append(Issue(entry.source, entry.id, "related", f"unknown entry id {related!r}"))
    synonyms = _load_synonyms(folder / "synonyms.yml", issues)
    issues.extend(_near_duplicates(list(entries.values())))
    if any(i.severity == "error" for i in issues):
        raise KnowledgeBaseError(issues)
    return KnowledgeBase(entries=entries, synonyms=synonyms, warnings=tuple(issues))


def _load_file(path: Path, issues: List[Issue]) -> List[Entry]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        issues.append(Issue(str(path), "", "", f"not valid YAML{line}: {getattr(error, 'problem', error)}"))
        return []
    except (OSError, UnicodeDecodeError) as error:
        issues.append(Issue(str(path), "", "", f"cannot read: {error}"))
        return []
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        issues.append(Issue(str(path), "", "entries", "the file must have a list under 'entries'"))
        return []
    default_category = document.get("category")
    loaded = []
    for index, raw in enumerate(document["entries"]):
        entry = _parse_entry(raw, index, default_category, str(path), issues)
        if entry:
            loaded.append(entry)
    return loaded


def _text(raw: Any, where: Tuple[str, str, str], issues: List[Issue]) -> Optional[str]:
    if not isinstance(raw, str) or not raw.strip():
        issues.append(Issue(*where, "must be a non-empty text"))
        return None
    return raw.strip()


def _parse_entry(raw: Any, index: int, default_category: Any, source: str, issues: List[Issue]) -> Optional[Entry]:
    if not isinstance(raw, dict):
        issues.append(Issue(source, f"#{index + 1}", "", "an entry must be a mapping"))
        return None
    entry_id = raw.get("id")
    label = str(entry_id) if entry_id else f"#{index + 1}"
    before = len(issues)
    if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
        issues.append(Issue(source, label, "id", "must be 3-64 lowercase letters, digits or dashes"))
    category = raw.get("category", default_category)
    if not isinstance(category, str) or not category:
        issues.append(Issue(source, label, "category", "missing (set it on the entry or at the top of the file)"))
    known = {"id", "category", "question", "alternatives", "answer", "tags", "related"}
    for key in sorted(set(raw) - known):
        issues.append(Issue(source, label, key, f"unknown field (expected one of {', '.join(sorted(known))})"))
    question: Dict[str, str] = {}
    answer: Dict[str, str] = {}
    alternatives: Dict[str, Tuple[str, ...]] = {}
    raw_question, raw_answer = raw.get("question"), raw.get("answer")
    for field_name, value in (("question", raw_question), ("answer", raw_answer)):
        if not isinstance(value, dict) or not any(lang in value for lang in LANGUAGES):
            issues.append(Issue(source, label, field_name, "must map zh and/or en to a text"))
    if not isinstance(raw_question, dict) or not isinstance(raw_answer, dict):
        return None
    # An entry may be written in one language only; a language it uses needs both a question and an answer.
    languages = [lang for lang in LANGUAGES if lang in raw_question or lang in raw_answer]
    for lang in languages:
        for field_name, value, target in (("question", raw_question, question), ("answer", raw_answer, answer)):
            text = _text(value.get(lang), (source, label, f"{field_name}.{lang}"), issues)
            if text:
                target[lang] = text
    missing = [lang for lang in LANGUAGES if lang not in languages]
    if missing and len(issues) == before:
        issues.append(Issue(source, label, "question", f"no {' or '.join(missing)} version: answered in "
                            f"{' and '.join(languages)} only", "warning"))
    raw_alternatives = raw.get("alternatives", {})
    if raw_alternatives is None:
        raw_alternatives = {}
    if not isinstance(raw_alternatives, dict):
        issues.append(Issue(source, label, "alternatives", "must map zh and en to lists of phrasings"))
    else:
        for lang in sorted(set(raw_alternatives) - set(LANGUAGES)):
            issues.append(Issue(source, label, f"alternatives.{lang}", "unknown language (expected zh or en)"))
        for lang in languages:
            values = raw_alternatives.get(lang) or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                issues.append(Issue(source, label, f"alternatives.{lang}", "must be a list of phrasings"))
                continue
            alternatives[lang] = tuple(v.strip() for v in values if v.strip())
            if len(alternatives[lang]) < MIN_ALTERNATIVES:
                issues.append(Issue(source, label, f"alternatives.{lang}",
                                    f"only {len(alternatives[lang])} phrasing(s); at least {MIN_ALTERNATIVES} "
                                    "help customers' own wordings find it", "warning"))
    tags = raw.get("tags", [])
    related = raw.get("related", [])
    for name, value in (("tags", tags), ("related", related)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            issues.append(Issue(source, label, name, "must be a list of texts"))
    if any(i.severity == "error" for i in issues[before:]):
        return None
    return Entry(
        id=entry_id, category=category, question=question, alternatives=alternatives, answer=answer,
        tags=tuple(tags), related=tuple(related), source=source,
    )


def _load_synonyms(path: Path, issues: List[Issue]) -> Tuple[Tuple[str, ...], ...]:
    if not path.exists():
        return ()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        issues.append(Issue(str(path), "", "", f"not valid YAML: {error}"))
        return ()
    groups = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(groups, list):
        issues.append(Issue(str(path), "", "groups", "must be a list of lists of words"))
        return ()
    parsed = []
    for index, group in enumerate(groups):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) and w.strip() for w in group):
            issues.append(Issue(str(path), f"group #{index + 1}", "groups", "each group lists two or more words"))
            continue
        parsed.append(tuple(w.strip().lower() for w in group))
    return tuple(parsed)


def _near_duplicates(entries: List[Entry]) -> List[Issue]:
    """Warns about phrasings of different entries that are (almost) the same text."""
    from difflib import SequenceMatcher

    seen: Dict[str, str] = {}
    issues: List[Issue] = []
    normalized: List[Tuple[str, str]] = []
    for entry in entries:
        for phrasing in entry.phrasings():
            key = re.sub(r"[\s\W_]+", "", phrasing.lower())
            other = seen.get(key)
            if other and other != entry.id:
                issues.append(
                    Issue(entry.source, entry.id, "question", f"{phrasing!r} duplicates a phrasing of {other}", "warning")
                )
            seen.setdefault(key, entry.id)
            normalized.append((key, entry.id))
    # Near duplicates: compare standard questions pairwise (cheap: one per entry and language).
    standard = [(re.sub(r"[\s\W_]+", "", e.question[lang].lower()), e)
                for e in entries for lang in LANGUAGES if lang in e.question]
    for i, (a, entry_a) in enumerate(standard):
        for b, entry_b in standard[i + 1 :]:
            if entry_a.id == entry_b.id or abs(len(a) - len(b)) > max(len(a), len(b)) * 0.2:
                continue
            if SequenceMatcher(None, a, b).ratio() >= NEAR_DUPLICATE_SIMILARITY:
                issues.append(
                    Issue(entry_b.source, entry_b.id, "question",
                          f"standard question is nearly the same as {entry_a.id}'s", "warning")
                )
    return issues
