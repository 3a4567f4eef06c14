"""Picks response variations from domain.yml so a customer never reads the same one twice."""
from __future__ import annotations

import random
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple


def variations_for(responses: Mapping[str, Any], name: str, language: str) -> List[Tuple[str, str]]:
    """(key, text) of the variations of `name` for `language` (English ones carry a condition)."""
    found = []
    for index, variant in enumerate(responses.get(name) or []):
        conditions = variant.get("condition") or []
        wants = {c.get("value") for c in conditions if c.get("name") == "language"}
        variant_language = next(iter(wants)) if wants else "zh"
        if variant_language == language:
            found.append((f"{name}#{index}", variant.get("text", "")))
    return found


def pick(
    responses: Mapping[str, Any], name: str, language: str, used: Iterable[str], rng: Optional[random.Random] = None
) -> Tuple[Optional[str], Optional[str]]:
    """A variation not used yet in this conversation (or, when all were used, the least recent)."""
    options = variations_for(responses, name, language) or variations_for(responses, name, "zh")
    if not options:
        return None, None
    used = list(used)
    fresh = [option for option in options if option[0] not in used]
    if fresh:
        return (rng or random).choice(fresh)
    oldest = min(options, key=lambda option: used.index(option[0]) if option[0] in used else -1)
    return oldest


def fill(text: str, values: Dict[str, Any]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def joined(first: Optional[str], second: Optional[str], language: str) -> str:
    """Two sentences as one message: Chinese runs on after "。" without a space, English with one."""
    parts = [part.strip() for part in (first, second) if part and part.strip()]
    return ("" if language == "zh" else " ").join(parts)
