"""What the cluster command writes and refuses, without starting it: the endpoints each Rasa server reads
(its own action server, Rasa's Redis lock store), nginx's configuration (accepted by nginx itself), and the
refusal to run several replicas on SQLite."""
import subprocess
import sys

import pytest
import yaml

from bot.runtime.cluster import cluster_problems, replica_settings
from bot.runtime.endpoints import endpoints_config, redis_password, write_endpoints_file
from bot.runtime.environment import child_environment
from bot.runtime.nginx_config import ClusterLayout, nginx_argv, render_nginx_config, write_nginx_config
from bot.settings import load_settings
from tests.support.cluster import require_nginx
from tests.support.processes import PROJECT_ROOT

CLUSTER = {"BOT_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/shop",
           "BOT_REDIS_URL": "redis://:s3cret%21@cache.internal:6380/2", "BOT_REDIS_PREFIX": "shop-a:"}


def test_each_replica_has_its_own_ports_and_action_server(tmp_path):
    settings = load_settings({**CLUSTER, "BOT_VAR_DIR": str(tmp_path), "BOT_HOST": "0.0.0.0"})
    second = replica_settings(settings, 1)
    assert (second.rasa_port, second.action_port, second.web_port) == (5006, 5056, 8001)
    assert second.host == "127.0.0.1"  # only nginx listens on the public address
    written = write_endpoints_file(second, tmp_path / "endpoints-1.yml", second.action_server_url)
    endpoints = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5056/webhook"
    assert endpoints["lock_store"] == {"type": "bot.rasa.redis_lock_store.AtomicRedisLockStore",
                                       "url": "cache.internal", "port": 6380, "db": 2, "key_prefix": "shopa",
                                       "password": "${BOT_REDIS_PASSWORD}"}
    assert "s3cret" not in written.read_text(encoding="utf-8")  # the password stays in the environment
    assert child_environment(second)["BOT_REDIS_PASSWORD"] == "s3cret!" == redis_password(second.redis_url)


def test_the_embedded_default_has_no_lock_store(tmp_path):
    endpoints = endpoints_config(load_settings({"BOT_VAR_DIR": str(tmp_path)}))
    assert "lock_store" not in endpoints
    assert endpoints["tracker_store"]["type"] == "bot.rasa.tracker_store.SettingsSQLTrackerStore"


def test_nginx_accepts_the_configuration_and_keeps_rasas_api_inside(tmp_path):
    nginx = require_nginx()
    layout = ClusterLayout(public_host="127.0.0.1", public_port=28080, internal_port=28081,
                           rasa_ports=[25005, 25006], web_ports=[28000, 28001], prefix=tmp_path)
    config = write_nginx_config(layout)
    argv = nginx_argv(nginx, config, tmp_path)
    checked = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    text = render_nginx_config(layout)
    public, internal = text.split("listen 127.0.0.1:28081")
    assert "location /webhooks/" in public and "location /socket.io/" in public
    assert "conversations|model|status" in public and "return 404" in public
    assert "hash $remote_addr consistent" in text and "proxy_next_upstream error timeout" in text
    assert "proxy_pass http://rasa;" in internal  # the web servers' way to the API
    # Every location passes the client's Host and address on (nginx drops inherited headers in a location
    # that sets any of its own): the console's origin check and the per-address limits depend on them.
    assert text.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == text.count("proxy_pass")
    assert text.count("proxy_set_header Host $http_host;") == text.count("proxy_pass")
    # a client's own X-Forwarded-Host never reaches the console's origin check
    assert text.count("proxy_set_header X-Forwarded-Host $http_host;") == text.count("proxy_pass")
    assert "$request " not in text and "$request_uri" not in text  # no ?token=… in the access log


def test_several_replicas_on_sqlite_are_refused_with_what_to_set(tmp_path):
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    problems = cluster_problems(settings)
    assert any("PostgreSQL" in p for p in problems) and any("Redis" in p for p in problems)
    env = {**child_environment(settings), "BOT_VAR_DIR": str(tmp_path)}
    for name in ("BOT_DATABASE_URL", "BOT_REDIS_URL", "BOT_BROKER_URL"):
        env.pop(name, None)
    env["BOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'assistant.db'}"
    env["BOT_REDIS_URL"] = ""
    env["BOT_BROKER_URL"] = ""
    completed = subprocess.run([sys.executable, "-m", "bot", "run", "--replicas", "2"], cwd=PROJECT_ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "PostgreSQL" in completed.stderr and "BOT_REDIS_URL" in completed.stderr
    assert "BOT_BROKER_URL" in completed.stderr  # the broker carries the replicas' conversations to the console
    assert not (tmp_path / "cluster").exists()  # nothing was started


@pytest.mark.parametrize("url", ["http://cache:6379", "redis://cache/zero"])
def test_a_malformed_redis_url_is_named(tmp_path, url):
    from bot.settings import SettingsError

    settings = load_settings({**CLUSTER, "BOT_REDIS_URL": url, "BOT_VAR_DIR": str(tmp_path)})
    with pytest.raises(SettingsError, match="BOT_REDIS_URL"):
        endpoints_config(settings)


def test_the_endpoints_file_is_readable_by_its_owner_only(tmp_path):
    """It carries RabbitMQ's password in cluster mode."""
    import stat

    from bot.runtime.endpoints import write_endpoints_file
    from bot.settings import load_settings

    settings = load_settings({"BOT_VAR_DIR": str(tmp_path), "BOT_BROKER_URL": "amqp://shop:s3cret@127.0.0.1:5672/",
                              "BOT_REDIS_URL": "redis://127.0.0.1:6379/0"})
    target = tmp_path / "endpoints.yml"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    write_endpoints_file(settings, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
