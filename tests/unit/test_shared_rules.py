"""Rules with one home each: the mood over a window, "N misunderstandings then a person", local time
and service hours, the queue-cancel thresholds."""
from datetime import datetime

import pytest

from bot.emotion.trajectory import peak_level, peak_score
from bot.handoff.conversation import CancelThresholds, is_cancel, next_action
from bot.handoff.triggers import handoff_reason, too_many_misunderstandings
from bot.timekeeping import local_time, parse_service_hours

HISTORY = [{"level": "angry", "score": 0.9}, {"level": "upset", "score": 0.4}] + [{"level": "calm", "score": 0.0}] * 2


def test_the_mood_over_a_window():
    assert peak_level(None, HISTORY) == "angry"  # no window: the whole history (the agent's summary)
    assert peak_level(None, HISTORY, 3) == "upset"  # the queue priority's window
    assert peak_level(None, HISTORY, 2) == "calm"
    assert peak_level("angry", HISTORY, 2) == "angry"  # the current message always counts
    assert peak_level(None, [], 3) == peak_level(None, None, 3) == "calm"
    assert (peak_score(HISTORY), peak_score(HISTORY, 3), peak_score(HISTORY, 2), peak_score(None)) == (
        0.9, 0.4, 0.0, 0.0)


def test_the_misunderstanding_rule_is_one_predicate():
    assert not too_many_misunderstandings(1, 2)
    assert too_many_misunderstandings(2, 2) and too_many_misunderstandings(3, 2)
    assert too_many_misunderstandings(1, 1)
    assert handoff_reason("ask_question", "regular", "calm", 2, None, misunderstandings_allowed=3) is None
    assert handoff_reason("ask_question", "regular", "calm", 3, None, misunderstandings_allowed=3) == "misunderstood"


def test_local_time_and_service_hours_need_nothing_from_the_settings():
    stored = datetime(2026, 11, 23, 4, 0)  # naive UTC
    assert local_time(stored, "Asia/Shanghai").hour == 12
    assert local_time(stored, "UTC").hour == 4
    with pytest.raises(ValueError, match="BOT_TIMEZONE"):
        local_time(stored, "Mars/Olympus")
    assert parse_service_hours("09:00-21:00", "1-5").is_open(stored, "Asia/Shanghai")
    with pytest.raises(ValueError, match="BOT_SERVICE_HOURS"):
        parse_service_hours("9-21", "1-7")
    with pytest.raises(ValueError, match="BOT_SERVICE_DAYS"):
        parse_service_hours("09:00-21:00", "mon")


def test_cancel_thresholds_are_passed_through():
    assert is_cancel("cancel", 0.85, "不等了算了吧")
    assert not is_cancel("cancel", 0.85, "不等了算了吧", CancelThresholds(min_confidence=0.9))
    assert not is_cancel("cancel", 0.95, "不等了算了吧", CancelThresholds(max_chars=4))
    assert is_cancel("cancel", 0.1, "/cancel", CancelThresholds(min_confidence=0.9))  # the button always works
    strict = CancelThresholds(min_confidence=0.9)
    assert next_action("queued", "cancel", "action_listen", 0.85, "不等了") == "action_cancel_handoff"
    assert next_action("queued", "cancel", "action_listen", 0.85, "不等了", strict) == "action_handoff_waiting"
    assert next_action("callback", "greet", "action_listen", 0.85, "你好") == "leave_state"
    assert next_action("callback", "greet", "action_listen", 0.85, "你好", strict) == "action_leave_message"
