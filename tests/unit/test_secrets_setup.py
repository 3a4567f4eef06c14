"""Secrets of a run: generated once in demo mode, required in production; and how they reach the servers."""
import os
import stat
import subprocess
import sys

import pytest
import yaml

from bot.rasa.action_server_guard import presented_token, token_matches
from bot.rasa.server_entry import with_auth_token
from bot.runtime.assistant import cors_origins, rasa_server_argv
from bot.runtime.environment import child_environment, write_endpoints
from bot.identity.secrets_setup import DemoRefused, ProductionRefused, production_problems, with_secrets
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
    assert with_auth_token(["run", "--enable-api"], "tok") == ["run", "--enable-api", "--auth-token=tok"]
    assert with_auth_token(["run"], "-starts-like-an-option") == ["run", "--auth-token=-starts-like-an-option"]
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


@pytest.mark.parametrize("host", ["0.0.0.0", "", "192.168.1.20", "shop.example", "::"])
def test_demo_mode_refuses_an_address_other_machines_can_reach(tmp_path, host):
    with pytest.raises(DemoRefused) as refused:
        with_secrets(settings_for(tmp_path, BOT_HOST=host) if host else settings_for(tmp_path).with_overrides(host=""))
    [problem] = refused.value.problems
    assert "BOT_DEMO=false" in problem and "127.0.0.1" in problem
    assert not (tmp_path / "secrets").exists()  # nothing generated for a run that does not start


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_demo_mode_runs_on_loopback(tmp_path, host):
    assert with_secrets(settings_for(tmp_path, BOT_HOST=host)).rasa_token


def test_production_may_listen_on_every_interface(tmp_path):
    ready = settings_for(tmp_path, **PRODUCTION_SECRETS, BOT_HOST="0.0.0.0")
    assert with_secrets(ready) is ready


def _server_entry(tmp_path, env, *args, stub_rasa=False):
    """`python -m bot.rasa.server_entry …` on its own, with Rasa's own command line replaced by a print of the
    arguments it would get (when `stub_rasa`)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    environment.update({"BOT_VAR_DIR": str(tmp_path), **env})
    code = ("import sys, rasa.__main__ as m; m.main = lambda: print('ARGV', sys.argv); "
            "from bot.rasa.server_entry import main; main()") if stub_rasa else \
        "from bot.rasa.server_entry import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=environment,
                          timeout=120)


def test_the_rasa_server_started_on_its_own_refuses_production_without_secrets(tmp_path):
    done = _server_entry(tmp_path, {"BOT_DEMO": "false"}, "run", "--enable-api")
    assert done.returncode == 2, done.stderr
    assert "Refusing to start in production mode" in done.stderr and "BOT_RASA_TOKEN is not set" in done.stderr


def test_the_rasa_server_started_on_its_own_refuses_demo_mode_on_every_interface(tmp_path):
    done = _server_entry(tmp_path, {}, "run", "--enable-api", "--interface", "0.0.0.0")
    assert done.returncode == 2 and "Refusing to start in demo mode" in done.stderr, done.stderr


def test_the_rasa_server_started_on_its_own_serves_its_api_with_the_generated_token(tmp_path):
    done = _server_entry(tmp_path, {}, "run", "--enable-api", stub_rasa=True)
    assert done.returncode == 0, done.stderr
    argv = done.stdout.split("ARGV", 1)[1]
    token = (tmp_path / "secrets" / "rasa_token").read_text().strip()
    assert f"'--auth-token={token}'" in argv  # the same token `bot web` alone reads
    assert "'--interface', '127.0.0.1'" in argv  # not Rasa's default of every interface


def test_a_standalone_run_hands_the_filled_secrets_to_its_own_components(tmp_path):
    from bot.rasa.server_entry import settings_for_run, with_interface

    environ = {}
    filled = settings_for_run(settings_for(tmp_path), environ)
    assert environ["BOT_RASA_TOKEN"] == filled.rasa_token and environ["BOT_ACTION_TOKEN"] == filled.action_token
    assert environ["BOT_CUSTOMER_TOKEN_SECRET"] == filled.customer_token_secret
    assert "BOT_HOST" not in environ  # only what was filled
    assert with_interface(["run", "-i", "10.0.0.1"], "127.0.0.1") == ["run", "-i", "10.0.0.1"]
    assert with_interface(["train"], "127.0.0.1") == ["train"]
