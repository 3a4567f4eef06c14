"""A known customer has one open handoff whatever the number of conversations; junk emotion values
(from a typed payload, say) never crash a handoff or a complaint, nor raise the customer's priority."""
from datetime import datetime, timedelta

from bot.emotion.trajectory import history_from_events, peak_level, peak_score
from bot.handoff.queue import HandoffQueue, HandoffRequest

NOW = datetime(2026, 11, 23, 4, 0)


def request(conversation, customer_id):
    return HandoffRequest(conversation_id=conversation, channel="web", customer_id=customer_id, language="zh",
                          tier="regular", emotion="calm", reason="explicit", context={"summary": {"zh": "转人工"}})


def test_a_known_customer_cannot_queue_twice_from_several_conversations(database):
    queue = HandoffQueue(database)
    first = queue.request(request("web:a", "c-wang"), available=True, now=NOW)
    again = queue.request(request("rest:shop:b", "c-wang"), available=True, now=NOW + timedelta(minutes=1))
    assert again.id == first.id and again.conversation_id == "web:a"
    assert [h.id for h in queue.queued(NOW + timedelta(minutes=2))] == [first.id]
    other = queue.request(request("web:c", "c-li"), available=True, now=NOW + timedelta(minutes=2))
    guest = queue.request(request("web:d", None), available=True, now=NOW + timedelta(minutes=3))
    assert len({first.id, other.id, guest.id}) == 3


def test_after_the_open_one_is_closed_the_customer_may_ask_again(database):
    queue = HandoffQueue(database)
    first = queue.request(request("web:a", "c-wang"), available=True, now=NOW)
    queue.cancel_by_customer("web:a", now=NOW + timedelta(minutes=1))
    second = queue.request(request("web:b", "c-wang"), available=True, now=NOW + timedelta(minutes=2))
    assert second.id != first.id and second.conversation_id == "web:b"


def test_junk_emotion_values_are_read_as_calm_and_zero():
    events = [
        {"event": "user", "parse_data": {"entities": [{"entity": "emotion", "value": 'x" onmouseover="alert(1)'},
                                                      {"entity": "emotion_score", "value": "very"}]}},
        {"event": "user", "parse_data": {"entities": [{"entity": "emotion", "value": ["angry"]},
                                                      {"entity": "emotion_score", "value": "inf"}]}},
        {"event": "user", "parse_data": {"entities": [{"entity": "emotion", "value": "upset"},
                                                      {"entity": "emotion_score", "value": 0.4}]}},
    ]
    history = history_from_events(events)
    assert history == [{"level": "calm", "score": 0.0}, {"level": "calm", "score": 0.0},
                       {"level": "upset", "score": 0.4}]
    assert peak_level('x" onmouseover="', history[:2]) == "calm"
    assert peak_level({"angry": 1}, history) == "upset"
    assert peak_score([{"score": "x"}, {"score": 0.2}]) == 0.2
