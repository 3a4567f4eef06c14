"""What the customer reads (issue #16): promises that agree with each other and with the service, one apology
per message, "where am I in the queue" when asking for a person again, the agent's name on the agent's
messages, and a widget that asks no other site for fonts."""
import re
from pathlib import Path

import pytest
import yaml

from bot.channels.web_chat import AGENT_CLASS, speaker_style
from bot.complaints.rules import CATEGORIES
from bot.complaints.wording import fill, joined, variations_for
from bot.web.webchat_asset import webchat_script, without_remote_fonts

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "bot" / "web" / "static"
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
APOLOGY = {"zh": re.compile(r"抱歉|对不起|道歉|歉意"), "en": re.compile(r"sorry|apologi", re.IGNORECASE)}
LEVELS = ("calm", "upset", "angry")


def texts(name, language):
    return [text for _, text in variations_for(RESPONSES, name, language)]


# promises ---------------------------------------------------------------------------------------------------
def free_shipping_from(text):
    found = re.findall(r"满\s*(\d+)\s*元包邮|(?:over|of)\s*¥\s*(\d+)", text)
    return {int(a or b) for a, b in found}


def test_the_store_banner_and_the_knowledge_base_agree_on_free_shipping():
    entry = next(e for e in yaml.safe_load((ROOT / "knowledge_base" / "entries" / "delivery.yml")
                                           .read_text(encoding="utf-8"))["entries"] if e["id"] == "delivery-fee")
    kb = set(int(n) for n in re.findall(r"满 (\d+) 元包邮", entry["answer"]["zh"])[:1])
    assert kb == {99}, entry["answer"]["zh"]
    html = (STATIC / "store.html").read_text(encoding="utf-8")
    banner = re.search(r'<section class="hero">(.*?)</section>', html, re.DOTALL).group(1)
    assert free_shipping_from(banner) == kb  # the Chinese text, its data-zh and its data-en


def test_the_welcome_promises_the_assistant_at_any_time_and_people_in_service_hours():
    for language in ("zh", "en"):
        for text in texts("utter_welcome", language):
            assert "{service_hours}" in text, text
            assert "7×24" not in text and "随时可转人工" not in text
    store = (STATIC / "store.js").read_text(encoding="utf-8")
    assert "随时可转人工" not in store and "a person on request" not in store and "{hours}" in store


# wording ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_ticket_message_apologises_once_and_reads_as_one_text(language):
    values = {"ticket_number": "TK2611230001", "category": "物流配送", "hours": 4, "phone": "138****8000",
              "callback_time": "随时"}
    for category in CATEGORIES:
        for apology in texts(f"utter_complaint_apology_{category}", language):
            for level in LEVELS:
                for ack in texts(f"utter_complaint_ticket_{level}", language):
                    message = fill(joined(apology, ack, language), values)
                    assert len(APOLOGY[language].findall(message)) == 1, message
                    assert "。 " not in message and "  " not in message, message


def test_no_single_reply_apologises_twice():
    for name, variations in RESPONSES.items():
        for variation in variations:
            language = "en" if variation.get("condition") else "zh"
            said = variation.get("text", "")
            assert len(APOLOGY[language].findall(said)) <= 1, (name, said)
            assert "。 " not in said, (name, said)


def test_asking_for_a_person_again_while_waiting_tells_the_place_not_noted():
    from actions.handoff import waiting_response

    assert waiting_response(2, asked_again=True) == "utter_handoff_already_waiting"
    assert waiting_response(0, asked_again=True) == "utter_handoff_already_waiting_next"
    assert waiting_response(2, asked_again=False) == "utter_handoff_still_waiting"
    for name in ("utter_handoff_already_waiting", "utter_handoff_already_waiting_next"):
        for language in ("zh", "en"):
            said = texts(name, language)
            assert len(said) >= 2 and all("{minutes}" in s for s in said)
            assert not any(word in s for s in said for word in ("记下了", "收到", "Noted", "passed on"))
    assert all("{ahead}" in s for s in texts("utter_handoff_already_waiting", "zh"))


def test_texts_joined_in_chinese_need_no_space_and_in_english_one():
    assert joined("很抱歉。", "工单已建好。", "zh") == "很抱歉。工单已建好。"
    assert joined("Sorry.", "Ticket opened.", "en") == "Sorry. Ticket opened."
    assert joined(None, "工单已建好。", "zh") == "工单已建好。"


# who is speaking --------------------------------------------------------------------------------------------
def test_an_agents_message_names_the_agent_for_the_widget():
    assert speaker_style("小赵") == {"style": "class", "css": AGENT_CLASS, "agent": "小赵"}
    assert speaker_style(None) is None and speaker_style("  ") is None
    assert len(speaker_style("x" * 100)["agent"]) == 40


def test_the_widget_is_served_without_asking_google_fonts(tmp_settings):
    css = b'push([e.i,"@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);",""])'
    assert without_remote_fonts(css) == b'push([e.i,"",""])'
    script = webchat_script(tmp_settings)
    if script is None:
        pytest.skip("the website chat is not installed (make setup)")
    assert b"fonts.googleapis.com" not in without_remote_fonts(script.read_bytes())
