"""Language and emotion read off each message in the NLU pipeline, and the trajectory read back."""
from bot.emotion.trajectory import history_from_events
from bot.emotion.customer_signals import signal_entities


def _values(entities):
    return {e["entity"]: e["value"] for e in entities}


def test_a_message_gives_its_language_and_emotion():
    found = _values(signal_entities("你们太过分了！！！等了一个星期还没发货", 0.15, 0.6))
    assert found["language"] == "zh" and found["emotion"] == "angry" and 0.6 <= found["emotion_score"] <= 1
    found = _values(signal_entities("thanks, that helped", 0.15, 0.6))
    assert found == {"language": "en", "emotion": "calm", "emotion_score": found["emotion_score"]}


def test_button_payloads_and_messages_without_words_say_nothing_about_language():
    assert signal_entities('/inform{"complaint_category":"delivery"}', 0.15, 0.6) == []
    assert signal_entities("", 0.15, 0.6) == []
    found = _values(signal_entities("GD2611180002", 0.15, 0.6))
    assert "language" not in found and found["emotion"] == "calm"  # the conversation keeps its language


def _user(text, level=None, score=0.0):
    entities = [{"entity": "emotion", "value": level}, {"entity": "emotion_score", "value": score}] if level else []
    return {"event": "user", "text": text, "parse_data": {"entities": entities}}


def test_the_trajectory_is_read_from_the_customers_messages():
    events = [_user("你好", "calm", 0.0), {"event": "bot", "text": "您好"}, _user("/affirm"),
              _user("太慢了", "upset", 0.4), _user("气死了", "angry", 0.8)]
    assert history_from_events(events) == [{"level": "calm", "score": 0.0}, {"level": "upset", "score": 0.4},
                                           {"level": "angry", "score": 0.8}]
    assert history_from_events(events, limit=1) == [{"level": "angry", "score": 0.8}]
    assert history_from_events([]) == []
