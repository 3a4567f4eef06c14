"""A guest proves an order or a ticket is theirs with the last four digits of the phone on it; a recognised
customer is recognised from the identity a channel verified, and from nothing else."""
from datetime import datetime
from pathlib import Path

import pytest

from bot.complaints.tickets import ComplaintDraft, TicketService
from bot.customers.demo_loader import load_demo_store
from bot.customers.directory import CustomerDirectory
from bot.customers.guest_verification import (
    MAX_FAILURES, VERIFY_ACTION, Pending, digits_in, is_locked, phone_matches, takes_digits,
)
from bot.customers.order_status import answer_guest_order_query, answer_order_query
from bot.customers.recognition import recognise
from bot.identity.verified import VerifiedIdentity
from bot.storage.database import create_database
from bot.storage.migrations import migrate


@pytest.fixture
def database(tmp_settings):
    db = create_database(tmp_settings.database_url)
    migrate(db.engine)
    load_demo_store(db, tmp_settings.demo_store_file)
    yield db
    db.engine.dispose()


@pytest.mark.parametrize("text, digits", [
    ("5678", "5678"), (" 5678 ", "5678"), ("尾号5678", "5678"), ("手机后四位是 5678", "5678"),
    ("last four are 5678", "5678"), ("13812345678", "5678"), ("+44 7700 900123", "0123"),
    ("GD2611180002", None), ("TK2611200001", None), ("56789", None), ("567", None), ("你好", None),
    ("12 34", None), ("我的订单 2026 年买的，想问 5678 这个", None), ("", None), ("x" * 50 + "5678", None),
])
def test_the_digits_are_read_only_from_a_short_answer(text, digits):
    assert digits_in(text) == digits


def test_the_phone_must_end_with_the_digits():
    assert phone_matches("13812345678", "5678")
    assert phone_matches("+44 7700 900123", "0123")
    assert not phone_matches("13812345678", "1234")
    assert not phone_matches(None, "5678") and not phone_matches("13812345678", None)
    assert not phone_matches("123", "0123") and not phone_matches("13812345678", "56a8")


def test_pending_questions_round_trip_and_nothing_else_decodes():
    assert Pending.decode(Pending("order", "GD2611180002").encode()) == Pending("order", "GD2611180002")
    assert Pending.decode("ticket:TK2611200001") == Pending("ticket", "TK2611200001")
    for bad in (None, "", "order:", "customer:C1001", 5):
        assert Pending.decode(bad) is None


def test_digits_are_taken_only_as_the_answer_to_the_bots_question():
    pending = "order:GD2611180002"
    assert takes_digits(pending, "action_check_order", None, "5678")
    assert takes_digits(pending, VERIFY_ACTION, None, "尾号5678")  # another try after a wrong one
    assert not takes_digits(None, "action_check_order", None, "5678")  # nothing was asked
    assert not takes_digits(pending, "action_answer_question", None, "5678")  # the bot has moved on
    assert not takes_digits(pending, "action_check_order", "complaint_form", "5678")  # a form is asking
    assert not takes_digits(pending, "action_check_order", None, "运费怎么算")


def test_tries_run_out():
    assert not is_locked(None) and not is_locked(MAX_FAILURES - 1.0)
    assert is_locked(float(MAX_FAILURES)) and is_locked(MAX_FAILURES + 2)


def test_a_guest_is_asked_for_the_digits_whether_or_not_the_order_exists(database):
    directory = CustomerDirectory(database)
    real = answer_order_query(directory, "GD2610150001", None)
    made_up = answer_order_query(directory, "GD0000000000", None)
    assert real.response == made_up.response == "utter_verify_ask_order_digits"
    assert real.pending == Pending("order", "GD2610150001")
    assert answer_order_query(directory, "GD12", None).response == "utter_order_not_found"  # not a number at all


def test_a_guest_gets_the_status_alone_with_the_right_digits(database):
    directory = CustomerDirectory(database)
    assert answer_guest_order_query(directory, "GD2610150001", "1234") is None
    assert answer_guest_order_query(directory, "GD0000000000", "5678") is None
    answer = answer_guest_order_query(directory, "GD2610150001", "5678")  # 王芳, 13812345678
    assert answer.response == "utter_order_status_brief"
    assert answer.values == {"order_number": "GD2610150001", "status_zh": "已签收", "status_en": "delivered"}


def test_a_signed_in_customer_sees_their_orders_and_not_anothers(database):
    directory = CustomerDirectory(database)
    assert answer_order_query(directory, "GD2610150001", "C1001").response == "utter_order_status_delivered"
    assert answer_order_query(directory, "GD2610150001", "C1004").response == "utter_order_not_yours"


def test_a_guest_sees_a_tickets_status_with_the_digits_of_the_phone_on_it(database):
    service = TicketService(database, {"critical": 2, "high": 4, "normal": 24})
    draft = ComplaintDraft(conversation_id="web:abc", customer_id=None, category="delivery",
                           description="快递五天没到", emotion_level="calm", emotion_score=0.0, language="zh",
                           phone="13700001111")
    ticket = service.submit(draft, now=datetime(2026, 11, 23, 10))
    assert service.visible_to_guest(ticket.number, "1111").number == ticket.number
    assert service.visible_to_guest(ticket.number, "5678") is None
    assert service.visible_to_guest("TK0000000000", "1111") is None
    # No phone left with the complaint: the customer's phone on record counts.
    wang = service.submit(ComplaintDraft(conversation_id="rest:shop:w", customer_id="C1001", category="quality",
                                         description="耳机左耳没声音", emotion_level="calm", emotion_score=0.0,
                                         language="zh"), now=datetime(2026, 11, 23, 11))
    assert service.visible_to_guest(wang.number, "5678").number == wang.number
    assert service.visible_to_guest(wang.number, "1111") is None


def test_recognition_comes_from_the_verified_identity_only(database):
    directory = CustomerDirectory(database)
    assert recognise(directory, VerifiedIdentity("rest", customer_id="C1001")).name == "王芳"
    assert recognise(directory, VerifiedIdentity("web", customer_id="C1004")).id == "C1004"
    assert recognise(directory, VerifiedIdentity("wechat", external_id="oGalaxyVipWangFang0001")).id == "C1001"
    assert recognise(directory, VerifiedIdentity("wechat", external_id="o-unknown")) is None
    # A REST "external id" is no identity (the sender id is the caller's to choose), nor is a guest.
    assert recognise(directory, VerifiedIdentity("rest", external_id="demo-vip-wang")) is None
    assert recognise(directory, VerifiedIdentity("web")) is None
    assert recognise(directory, None) is None


def test_the_policy_sends_the_answer_to_the_digits_question_to_the_verify_action(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa.verification_policy import GuestVerificationPolicy

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    policy = GuestVerificationPolicy({"priority": 6}, LocalModelStorage(tmp_path), Resource("p"),
                                     ExecutionContext(GraphSchema({}), "test"))

    def predicted(*events):
        tracker = DialogueStateTracker.from_events("web:x", list(events), domain.slots)
        probabilities = policy.predict_action_probabilities(tracker, domain).probabilities
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        return domain.action_names_or_texts[best] if probabilities[best] > 0 else None

    asked = [ActionExecuted("action_listen"), UserUttered("查一下 GD2610150001"), ActionExecuted("action_check_order"),
             SlotSet("verification_pending", "order:GD2610150001"), ActionExecuted("action_listen")]
    assert predicted(*asked, UserUttered("尾号5678")) == VERIFY_ACTION
    assert predicted(*asked, UserUttered("运费怎么算")) is None  # something else: the other policies decide
    assert predicted(*asked[:3], ActionExecuted("action_listen"), UserUttered("5678")) is None  # nothing pending
    assert predicted(*asked, UserUttered("5678"), ActionExecuted(VERIFY_ACTION)) == "action_listen"


def test_wrong_digits_for_a_number_are_counted_across_conversations_for_a_day(database):
    from datetime import timedelta

    from bot.customers.guest_lockout import GuestLockout

    lockout = GuestLockout(database, max_failures=5)
    start = datetime(2026, 11, 23, 10)
    for minute in range(4):
        assert not lockout.record_failure("order", "GD2610150001", start + timedelta(minutes=minute))
    assert not lockout.is_locked("order", "GD2610150001", start + timedelta(minutes=5))
    assert lockout.record_failure("order", " gd2610150001", start + timedelta(minutes=5))  # the fifth: locked
    assert lockout.is_locked("order", "GD2610150001", start + timedelta(hours=23))
    assert not lockout.is_locked("ticket", "GD2610150001", start + timedelta(hours=1))  # per kind and number
    assert not lockout.is_locked("order", "GD2611180002", start + timedelta(hours=1))
    assert not lockout.is_locked("order", "GD2610150001", start + timedelta(hours=24, minutes=1))  # a day later
    lockout.record_failure("order", "GD2611180002", start + timedelta(days=2))  # old rows are cleared as new come
    from sqlalchemy import func, select

    from bot.storage.models import GuestCheckFailure

    with database.session() as session:
        assert session.execute(select(func.count()).select_from(GuestCheckFailure)).scalar() == 1


def _verify(services, monkeypatch, pending, text, failures=0.0):
    """Runs the verify action as the action server would, on `services`; returns (responses, events)."""
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    import actions.guest_verification as action_module

    monkeypatch.setattr(action_module, "get_services", lambda: services)
    tracker = Tracker("rest:shop:guest:x", {"verification_pending": pending, "verification_failures": failures,
                                            "language": "zh"},
                      {"text": text, "intent": {}, "entities": []}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action_module.ActionVerifyPhoneDigits().run(dispatcher, tracker, {}))
    return [m.get("response") for m in dispatcher.messages], events


def test_a_guest_rotating_conversations_is_stopped_by_the_numbers_count(database, tmp_settings, monkeypatch):
    """Each new conversation has three tries, but the number itself has BOT_GUEST_CHECK_MAX_FAILURES a day:
    after those, even the right digits are not checked, and the guest is offered a person."""
    from bot.services import Services

    services = Services(tmp_settings.with_overrides(guest_check_max_failures=5))
    services.__dict__["database"] = database  # the demo store's database of this test
    order = "order:GD2610150001"  # 王芳's; her phone ends in 5678
    for guess in ("0001", "0002", "0003", "0004"):  # four new conversations, one wrong guess each
        assert _verify(services, monkeypatch, order, guess)[0] == ["utter_verify_failed"]
    said, events = _verify(services, monkeypatch, order, "0005")
    assert said == ["utter_verify_locked"]  # the fifth wrong guess today, in a conversation's first try
    assert ("verification_pending", None) in [(e["name"], e["value"]) for e in events]  # the question is over
    said, _ = _verify(services, monkeypatch, order, "5678")  # a sixth conversation, with the right digits
    assert said == ["utter_verify_locked"]
    assert _verify(services, monkeypatch, "order:GD2611180002", "5678")[0] == ["utter_order_status_brief"]
