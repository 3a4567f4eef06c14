"""The responses of domain.yml for custom actions, without Rasa sending the domain on every call.

Rasa posts its whole domain (all responses, both languages) with each action call unless the
action endpoint has `enable_selective_domain` (endpoints.yml); serialising and parsing it was a
visible share of every FAQ answer and complaint step under load. With it, only `validate_*`
actions receive the domain, and the others read the same file here, once per change of the file."""
from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import yaml

from bot.complaints.wording import variations_for
from bot.settings import get_settings


@lru_cache(maxsize=4)
def _file_responses(path: str, modified_ns: int) -> Dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return dict(data.get("responses") or {})


def responses_of(domain: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The responses Rasa sent with the call, or else those of the project's domain.yml."""
    sent = (domain or {}).get("responses")
    if sent:
        return sent
    path = get_settings().project_root / "domain.yml"
    return _file_responses(str(path), path.stat().st_mtime_ns)


def response_text(domain: Optional[Mapping[str, Any]], name: str, language: str) -> Optional[str]:
    """The first variation of a response in `language` (Chinese when it has none), e.g. a button title."""
    responses = responses_of(domain)
    options = variations_for(responses, name, language) or variations_for(responses, name, "zh")
    return options[0][1] if options else None


def response_choice(domain: Optional[Mapping[str, Any]], name: str, language: str,
                    rng: Optional[random.Random] = None) -> Optional[str]:
    """Any variation of a response in `language` (Chinese when it has none): for a reply the Rasa server
    sends without running an action (e.g. utter_slow_down)."""
    responses = responses_of(domain)
    options = variations_for(responses, name, language) or variations_for(responses, name, "zh")
    return (rng or random).choice(options)[1] if options else None
