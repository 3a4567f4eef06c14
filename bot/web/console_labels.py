"""The words the console shows for the codes its records keep (a ticket's category and severity): the
names the assistant itself says to customers (domain.yml's utter_name_* responses), in both of the
console's languages, so an agent reads "物流配送 · 高" and never "delivery · high"."""
from __future__ import annotations

from typing import Dict

from bot.complaints.rules import CATEGORIES, SEVERITIES
from bot.rasa.domain_responses import response_text

CONSOLE_LANGUAGES = ("zh", "en")


def _names(prefix: str, codes: tuple) -> Dict[str, Dict[str, str]]:
    return {code: {language: response_text(None, f"{prefix}{code}", language) or code
                   for language in CONSOLE_LANGUAGES} for code in codes}


def ticket_labels() -> Dict[str, Dict[str, Dict[str, str]]]:
    """{"categories": {"delivery": {"zh": "物流配送", "en": "delivery"}, …}, "severities": {…}}."""
    return {"categories": _names("utter_name_category_", CATEGORIES),
            "severities": _names("utter_name_severity_", SEVERITIES)}
