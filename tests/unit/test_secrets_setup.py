"""Secrets of a run: generated once in demo mode, required in production; and how they reach the servers."""
import stat

import pytest
import yaml

from bot.rasa.action_server_guard import presented_token, token_matches
from bot.rasa.server_entry import with_auth_token
from bot.runtime.assistant import cors_origins, rasa_server_argv
from bot.runtime.environment import child_environment, write_endpoints
from bot.runtime.secrets_setup import ProductionRefused, production_problems, with_secrets
from bot.settings import load_settings

PRODUCTION_SECRETS = {
    "BOT_DEMO": "false", "BOT_CUSTOMER_TOKEN_SECRET": "s" * 40, "BOT_RASA_TOKEN": "r" * 24,
    "BOT_ACTION_TOKEN": "a" * 24, "BOT_WECHAT_TOKEN": "our-own-token", "BOT_WECHAT_APP_SECRET": "our-app-secret",
    "BOT_WECHAT_AES_KEY": "Z" * 43,
}


def settings_for(tmp_path, **env):
    return load_settings({"BOT_VAR_DIR": str(tmp_path), **env})


def test_demo_mode_generates_every_secret_once_into_var(tmp_path):
    filled = with_secrets(settings_for(tmp_path))
    assert len(filled.customer_token_secret.encode()) >= 32
    assert len(filled.rasa_token) >= 16 and len(filled.action_token) >= 16 and filled.rasa_token != filled.action_token
    integration, token = filled.rest_tokens.split(":", 1)
    assert integration == "demo" and filled.rest_integrations == {token: "demo"}
    assert with_secrets(settings_for(tmp_path)) == filled  # the next run (or `bot web` alone) reads the same
    for path in (tmp_path / "secrets").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    environment = child_environment(filled)
    assert environment["BOT_RASA_TOKEN"] == filled.rasa_token
    assert environment["BOT_ACTION_TOKEN"] == filled.action_token


def test_secrets_that_are_set_are_kept(tmp_path):
    filled = with_secrets(settings_for(tmp_path, BOT_RASA_TOKEN="t" * 20, BOT_REST_TOKENS="shop:" + "x" * 20))
    assert filled.rasa_token == "t" * 20 and filled.rest_tokens == "shop:" + "x" * 20


def test_production_refuses_missing_secrets_and_demo_wechat_values_one_line_each(tmp_path):
    with pytest.raises(ProductionRefused) as refused:
        with_secrets(settings_for(tmp_path, BOT_DEMO="false"))
    problems = refused.value.problems
    assert len(problems) == 6
    for variable in ("BOT_CUSTOMER_TOKEN_SECRET", "BOT_RASA_TOKEN", "BOT_ACTION_TOKEN", "BOT_WECHAT_TOKEN",
                     "BOT_WECHAT_APP_SECRET", "BOT_WECHAT_AES_KEY"):
        assert sum(line.startswith(variable + " ") for line in problems) == 1, (variable, problems)
    assert not (tmp_path / "secrets").exists()  # production generates nothing


def test_production_starts_with_its_own_secrets_and_names_a_short_one(tmp_path):
    ready = settings_for(tmp_path, **PRODUCTION_SECRETS)
    assert production_problems(ready) == [] and with_secrets(ready) is ready
    short = settings_for(tmp_path, **{**PRODUCTION_SECRETS, "BOT_RASA_TOKEN": "short"})
    assert production_problems(short) == ["BOT_RASA_TOKEN is too short: use at least 16 random characters"]


def test_the_action_endpoint_gets_the_token_from_the_environment_not_the_file(tmp_path):
    filled = with_secrets(settings_for(tmp_path))
    text = write_endpoints(filled).read_text(encoding="utf-8")
    assert filled.action_token not in text
    endpoint = yaml.safe_load(text)["action_endpoint"]
    assert endpoint["token"] == "${BOT_ACTION_TOKEN}" and endpoint["url"].startswith("http://127.0.0.1:")


def test_rasa_run_gets_the_auth_token_and_the_web_origins_only(tmp_path):
    filled = with_secrets(settings_for(tmp_path, BOT_WEB_PORT="8123"))
    argv = rasa_server_argv(filled)
    assert filled.rasa_token not in " ".join(argv)  # not in the process list
    assert argv[argv.index("--cors") + 1:argv.index("--cors") + 3] == ["http://127.0.0.1:8123",
                                                                        "http://localhost:8123"]
    assert with_auth_token(["run", "--enable-api"], "tok") == ["run", "--enable-api", "--auth-token", "tok"]
    assert with_auth_token(["train"], "tok") == ["train"]
    assert with_auth_token(["run", "--auth-token", "x"], "tok") == ["run", "--auth-token", "x"]
    configured = settings_for(tmp_path, BOT_CORS_ORIGINS="https://shop.example, https://www.shop.example/")
    assert cors_origins(configured) == ["https://shop.example", "https://www.shop.example"]


def test_the_action_server_token_check():
    assert token_matches("s3cret-token", "s3cret-token")
    assert not token_matches("s3cret-tokeN", "s3cret-token")
    assert not token_matches(None, "s3cret-token") and not token_matches("", "")
    assert presented_token({"token": "abc"}, {}) == "abc"
    assert presented_token({}, {"authorization": "Bearer xyz"}) == "xyz"
    assert presented_token({}, {}) is None


def test_child_processes_bind_the_action_server_to_the_configured_interface(tmp_path):
    assert child_environment(settings_for(tmp_path))["SANIC_HOST"] == "127.0.0.1"
    exposed = settings_for(tmp_path, BOT_ACTION_HOST="0.0.0.0")
    assert child_environment(exposed)["SANIC_HOST"] == "0.0.0.0"
    assert exposed.action_server_url.startswith("http://127.0.0.1:")  # reached on the loopback address
