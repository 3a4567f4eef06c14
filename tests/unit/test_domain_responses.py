"""Custom actions read response texts from domain.yml when Rasa sends no domain (selective domain)."""
import yaml

from bot.rasa.domain_responses import response_text, responses_of
from bot.settings import PROJECT_ROOT


def test_without_a_domain_in_the_call_the_projects_responses_are_used():
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    assert responses_of({}) == responses
    assert responses_of(None) == responses
    sent = {"responses": {"utter_x": [{"text": "sent"}]}}
    assert responses_of(sent) is sent["responses"]


def test_response_text_in_the_customers_language_with_chinese_as_the_fallback():
    domain = {"responses": {"utter_x": [{"text": "中文"}, {"text": "English",
                                                        "condition": [{"type": "slot", "name": "language",
                                                                       "value": "en"}]}],
                            "utter_zh_only": [{"text": "只有中文"}]}}
    assert response_text(domain, "utter_x", "en") == "English"
    assert response_text(domain, "utter_x", "zh") == "中文"
    assert response_text(domain, "utter_zh_only", "en") == "只有中文"
    assert response_text(domain, "utter_missing", "zh") is None
    assert response_text({}, "utter_button_ratings", "en")  # from domain.yml itself


def test_endpoints_turn_on_the_selective_domain():
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["enable_selective_domain"] is True


def test_category_buttons_come_out_as_intent_payloads_without_interpolation_errors(monkeypatch):
    import asyncio
    import json

    from rasa.core.nlg import interpolator
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = DialogueStateTracker("c-1", domain.slots)
    errors = []

    class Recorder:
        def exception(self, event, **info):
            errors.append(info)

    monkeypatch.setattr(interpolator, "structlogger", Recorder())  # Rasa logs failed interpolations here
    message = asyncio.run(TemplatedNaturalLanguageGenerator(domain.responses).generate(
        "utter_ask_complaint_category", tracker, "rest"))
    payloads = [button["payload"] for button in message["buttons"]]
    assert payloads[0] == '/inform{"complaint_category":"delivery"}'
    assert all(json.loads(p[len("/inform"):])["complaint_category"] for p in payloads)
    assert errors == []
