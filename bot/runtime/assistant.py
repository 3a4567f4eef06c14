"""Brings the whole assistant up: database, model, action server, Rasa server."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import quote, urlsplit

from bot.customers.demo_loader import load_demo_store
from bot.identity.secrets_setup import with_secrets
from bot.runtime.environment import child_environment, model_path, rasa_command, venv_bin, write_endpoints
from bot.runtime.supervisor import Supervisor
from bot.runtime.training import ensure_model
from bot.settings import Settings
from bot.storage.database import get_database
from bot.storage.migrations import migrate


def prepare_database(settings: Settings) -> int:
    """Creates or migrates the schema and (by default) loads the demo store; returns the schema version."""
    database = get_database(settings)
    version = migrate(database.engine)
    print(f"==> Database ready (schema {version}): {_safe_url(settings.database_url)}", flush=True)
    if settings.load_demo_data:
        result = load_demo_store(database, settings.demo_store_file)
        print(f"==> Demo store loaded: {result.customers} customers, {result.orders} orders", flush=True)
    return version


def action_server_argv(settings: Settings) -> List[str]:
    return [venv_bin("python"), "-m", "bot.runtime.action_server_entry", "--actions", "actions",
            "--port", str(settings.action_port)]


def cors_origins(settings: Settings, page_url: Optional[str] = None) -> List[str]:
    """The web origins whose pages may call the Rasa server from a browser: BOT_CORS_ORIGINS (comma-separated),
    by default the one the store page is served from, `page_url` (the web server's own unless given), and its
    `localhost` twin when that is the loopback address."""
    configured = [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]
    if configured:
        return configured
    page_url = page_url or settings.web_url
    origins = [page_url]
    parts = urlsplit(page_url)
    if parts.hostname in ("127.0.0.1", "localhost"):
        twin = "localhost" if parts.hostname == "127.0.0.1" else "127.0.0.1"
        origins.append(f"{parts.scheme}://{twin}:{parts.port}")
    return origins


def rasa_server_argv(settings: Settings, endpoints: Optional[Path] = None,
                     cors: Optional[List[str]] = None) -> List[str]:
    """Rasa's `run` with its HTTP API on: the server entry adds `--auth-token` from BOT_RASA_TOKEN itself,
    so the token never shows in the process list."""
    return rasa_command(
        "run", "--enable-api",
        "--interface", settings.host, "--port", str(settings.rasa_port),
        "--cors", *(cors or cors_origins(settings)),
        "--model", str(model_path(settings)),
        "--endpoints", str(endpoints or settings.var_dir / "endpoints.yml"),
        "--credentials", "credentials.yml",
    )


def web_server_argv(settings: Settings) -> List[str]:
    return [venv_bin("python"), "-m", "bot", "web", "--port", str(settings.web_port)]


@dataclass(frozen=True)
class RunningAssistant:
    store_page: str
    console: str
    rest_webhook: str
    socketio: str
    http_api: str
    action_server: str
    settings: Settings  # with the secrets the run uses (generated ones in demo mode)


def rasa_server_environment(env: Dict[str, str]) -> Dict[str, str]:
    """One TensorFlow thread per op pool for answering: the models are small, so a second thread
    only adds hand-offs, and on 2 cores it competes with the action server (README, "Figures").
    TF_INTER_/TF_INTRA_OP_PARALLELISM_THREADS in the environment still win."""
    env = dict(env)
    env.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
    env.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
    return env


def start_assistant(settings: Settings, supervisor: Supervisor, train: bool = True) -> RunningAssistant:
    """Database, model, then the three servers, each answering before the next starts. Secrets are filled
    first (RunRefused: production without them, or demo mode on a public address)."""
    settings = with_secrets(settings)
    prepare_database(settings)
    if train:
        ensure_model(settings)
    write_endpoints(settings)
    env = child_environment(settings)
    print(f"==> Starting the action server on port {settings.action_port}", flush=True)
    actions = supervisor.start("action server", action_server_argv(settings), env, settings.project_root)
    supervisor.wait_until_ready(
        actions, settings.action_server_url.replace("/webhook", "/health"), settings.startup_timeout_s
    )
    warm_up(settings)
    print(f"==> Starting the Rasa server on port {settings.rasa_port} (loading the model takes a moment)", flush=True)
    rasa = supervisor.start("Rasa server", rasa_server_argv(settings), rasa_server_environment(env),
                            settings.project_root)
    supervisor.wait_until_ready(rasa, settings.rasa_url + "/", settings.startup_timeout_s)
    print(f"==> Starting the web server (store page, agent console) on port {settings.web_port}", flush=True)
    web = supervisor.start("web server", web_server_argv(settings), env, settings.project_root)
    supervisor.wait_until_ready(web, settings.web_url + "/healthz", settings.startup_timeout_s)
    return RunningAssistant(
        store_page=f"{settings.web_url}/",
        console=f"{settings.web_url}/console/",
        rest_webhook=f"{settings.rasa_url}/webhooks/rest/webhook",
        socketio=f"{settings.rasa_url}/socket.io",
        http_api=f"{settings.rasa_url}/status",
        action_server=settings.action_server_url,
        settings=settings,
    )


def warm_up(settings: Settings) -> None:
    """Has the action server load the knowledge base now, not on a customer's message."""
    import json
    import time
    import urllib.request

    tracker = {"sender_id": "warm-up", "slots": {}, "latest_message": {}, "events": [], "paused": False,
               "followup_action": None, "active_loop": {}, "latest_action_name": None}
    body = json.dumps({"next_action": "action_warm_up", "sender_id": "warm-up", "tracker": tracker,
                       "domain": {}, "version": "3.6.21"}).encode()
    request = urllib.request.Request(f"{settings.action_server_url}?token={quote(settings.action_token)}",
                                     data=body, headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
        print(f"==> Knowledge base loaded in {time.monotonic() - started:.1f} s", flush=True)
    except OSError as error:  # not fatal: the first question will load them instead
        print(f"==> Warm-up skipped ({error}); the first question will load the knowledge base", flush=True)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
