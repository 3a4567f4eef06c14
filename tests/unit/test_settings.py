from pathlib import Path

import pytest

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
