from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.handoff.conversation import CancelThresholds
from bot.handoff.priority import PriorityPoints, base_priority, queue_order_key
from bot.kb.service import Thresholds
from bot.settings import PROJECT_ROOT, SettingsError, load_settings


def test_defaults_use_an_sqlite_file_in_the_ignored_var_folder():
    settings = load_settings({})
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'assistant.db'}"
    assert settings.host == "127.0.0.1"
    assert (settings.rasa_port, settings.action_port) == (5005, 5055)
    assert settings.default_language == "zh"
    assert ".venv" in (PROJECT_ROOT / ".gitignore").read_text() and "var/" in (PROJECT_ROOT / ".gitignore").read_text()


def test_environment_overrides_every_field():
    settings = load_settings(
        {
            "BOT_DATABASE_URL": "postgresql://bot@127.0.0.1/bot",
            "BOT_HOST": "0.0.0.0",
            "BOT_RASA_PORT": "6005",
            "BOT_ACTION_PORT": "6055",
            "BOT_VAR_DIR": "/tmp/somewhere",
            "BOT_LOAD_DEMO_DATA": "false",
        }
    )
    assert settings.database_url == "postgresql://bot@127.0.0.1/bot"
    assert settings.rasa_port == 6005
    assert settings.var_dir == Path("/tmp/somewhere")
    assert settings.load_demo_data is False
    # Clients connect to loopback even when the servers listen on all interfaces.
    assert settings.action_server_url == "http://127.0.0.1:6055/webhook"


def test_settings_round_trip_through_a_child_environment():
    settings = load_settings({"BOT_RASA_PORT": "7001", "BOT_DEFAULT_LANGUAGE": "en"})
    assert load_settings(settings.as_environment()) == settings


@pytest.mark.parametrize(
    "environ, names",
    [
        ({"BOT_RASA_PORT": "abc"}, "BOT_RASA_PORT"),
        ({"BOT_ACTION_PORT": "70000"}, "BOT_ACTION_PORT"),
        ({"BOT_DEFAULT_LANGUAGE": "fr"}, "BOT_DEFAULT_LANGUAGE"),
        ({"BOT_LOAD_DEMO_DATA": "maybe"}, "BOT_LOAD_DEMO_DATA"),
    ],
)
def test_bad_values_name_the_variable(environ, names):
    with pytest.raises(SettingsError, match=names):
        load_settings(environ)


# policy numbers ------------------------------------------------------------------------------
POLICY_OVERRIDES = {
    "BOT_KB_MARGIN": ("0.2", "kb_margin", 0.2),
    "BOT_KB_CERTAIN": ("0.9", "kb_certain", 0.9),
    "BOT_EMOTION_PEAK_WINDOW": ("4", "emotion_peak_window", 4),
    "BOT_EMOTION_PRIORITY_WINDOW": ("1", "emotion_priority_window", 1),
    "BOT_HANDOFF_CANCEL_MAX_CHARS": ("10", "handoff_cancel_max_chars", 10),
    "BOT_HANDOFF_CANCEL_MIN_CONFIDENCE": ("0.7", "handoff_cancel_min_confidence", 0.7),
    "BOT_PRIORITY_VIP": ("50", "priority_vip", 50),
    "BOT_PRIORITY_ANGRY": ("25", "priority_angry", 25),
    "BOT_PRIORITY_UPSET": ("12", "priority_upset", 12),
    "BOT_PRIORITY_REASON_SAFETY": ("45", "priority_reason_safety", 45),
    "BOT_PRIORITY_REASON_REPEAT": ("20", "priority_reason_repeat", 20),
    "BOT_PRIORITY_REASON_ANGRY": ("8", "priority_reason_angry", 8),
    "BOT_PRIORITY_REASON_MISUNDERSTOOD": ("3", "priority_reason_misunderstood", 3),
    "BOT_PRIORITY_POINTS_PER_MINUTE": ("1.5", "priority_points_per_minute", 1.5),
    "BOT_PRIORITY_WAITING_CAP": ("90", "priority_waiting_cap", 90),
}


def test_policy_numbers_default_to_the_documented_values():
    settings = load_settings({})
    assert (settings.kb_margin, settings.kb_certain) == (0.15, 0.8)
    assert (settings.emotion_peak_window, settings.emotion_priority_window) == (6, 3)
    assert (settings.handoff_cancel_max_chars, settings.handoff_cancel_min_confidence) == (16, 0.8)
    points = PriorityPoints.from_settings(settings)
    assert points == PriorityPoints()  # the settings and the code agree on today's numbers
    assert (points.vip, points.angry, points.upset) == (30, 20, 10)
    assert (points.reason_safety, points.reason_repeat, points.reason_angry, points.reason_misunderstood) == (
        40, 15, 10, 5)
    assert (points.per_minute_waited, points.waiting_cap) == (2, 60)


def test_policy_numbers_follow_the_environment():
    settings = load_settings({env: raw for env, (raw, _, _) in POLICY_OVERRIDES.items()})
    for env, (_, name, expected) in POLICY_OVERRIDES.items():
        assert getattr(settings, name) == expected, env
    assert load_settings(settings.as_environment()) == settings
    points = PriorityPoints.from_settings(settings)
    assert (points.vip, points.per_minute_waited, points.waiting_cap) == (50, 1.5, 90)
    assert CancelThresholds.from_settings(settings) == CancelThresholds(max_chars=10, min_confidence=0.7)
    assert Thresholds.from_settings(settings) == Thresholds(confident=0.5, margin=0.2, certain=0.9, ambiguous=0.3)


@pytest.mark.parametrize(
    "environ, name",
    [
        ({"BOT_KB_MARGIN": "1.5"}, "BOT_KB_MARGIN"),
        ({"BOT_KB_MARGIN": "wide"}, "BOT_KB_MARGIN"),
        ({"BOT_KB_CERTAIN": "0"}, "BOT_KB_CERTAIN"),
        ({"BOT_EMOTION_PEAK_WINDOW": "0"}, "BOT_EMOTION_PEAK_WINDOW"),
        ({"BOT_EMOTION_PRIORITY_WINDOW": "-1"}, "BOT_EMOTION_PRIORITY_WINDOW"),
        ({"BOT_EMOTION_PRIORITY_WINDOW": "3.5"}, "BOT_EMOTION_PRIORITY_WINDOW"),
        ({"BOT_HANDOFF_CANCEL_MAX_CHARS": "0"}, "BOT_HANDOFF_CANCEL_MAX_CHARS"),
        ({"BOT_HANDOFF_CANCEL_MIN_CONFIDENCE": "1.2"}, "BOT_HANDOFF_CANCEL_MIN_CONFIDENCE"),
        ({"BOT_PRIORITY_VIP": "-5"}, "BOT_PRIORITY_VIP"),
        ({"BOT_PRIORITY_REASON_SAFETY": "lots"}, "BOT_PRIORITY_REASON_SAFETY"),
        ({"BOT_PRIORITY_POINTS_PER_MINUTE": "-0.5"}, "BOT_PRIORITY_POINTS_PER_MINUTE"),
        ({"BOT_PRIORITY_WAITING_CAP": "-1"}, "BOT_PRIORITY_WAITING_CAP"),
        ({"BOT_TIMEZONE": "Mars/Olympus"}, "BOT_TIMEZONE"),
    ],
)
def test_bad_policy_numbers_name_the_variable(environ, name):
    with pytest.raises(SettingsError, match=name):
        load_settings(environ)


def test_a_changed_priority_point_changes_the_queue_order():
    now = datetime(2026, 11, 23, 4, 0)
    waiting = [  # (who, base priority, queued at)
        ("vip just arrived", ("vip", "calm", "explicit"), now),
        ("angry regular", ("regular", "angry", "angry"), now - timedelta(minutes=1)),
    ]

    def order(settings):
        points = PriorityPoints.from_settings(settings)
        keyed = [(who, base_priority(*facts, points=points), at) for who, facts, at in waiting]
        return [who for who, base, at in sorted(keyed, key=lambda w: queue_order_key(w[1], w[2], now, points))]

    # today: an angry customer (20 + 10) plus a minute's wait (2) goes ahead of a calm VIP (30)
    assert order(load_settings({})) == ["angry regular", "vip just arrived"]
    assert order(load_settings({"BOT_PRIORITY_VIP": "40"})) == ["vip just arrived", "angry regular"]
    # waiting weighs more: the minute the angry customer waited decides again
    assert order(load_settings({"BOT_PRIORITY_VIP": "40", "BOT_PRIORITY_POINTS_PER_MINUTE": "15"})) == [
        "angry regular", "vip just arrived"]


def test_local_time_is_in_the_configured_zone():
    stored = datetime(2026, 11, 23, 4, 0)  # naive UTC, as the database keeps it
    assert load_settings({}).local_time(stored).strftime("%m-%d %H:%M") == "11-23 12:00"
    assert load_settings({"BOT_TIMEZONE": "Europe/London"}).local_time(stored).hour == 4
