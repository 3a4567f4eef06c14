"""`python -m bot run --replicas N`: N Rasa servers and N action servers on PostgreSQL and Redis (the
broker recommended), N web servers, and nginx in front of them on one public port (docs/DEPLOY.md).

Each Rasa server has its own endpoints file (var/cluster/endpoints-<i>.yml) naming its own action server,
Rasa's Redis lock store and the event broker; all share the tracker store in PostgreSQL. The web servers
reach the Rasa servers through nginx's loopback-only port, so a dead replica is skipped there too."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from bot.identity.secrets_setup import with_secrets
from bot.runtime.assistant import (action_server_argv, cors_origins, prepare_database, rasa_server_argv,
                                   rasa_server_environment, warm_up, web_server_argv)
from bot.runtime.endpoints import event_broker_endpoint, write_endpoints_file
from bot.runtime.environment import child_environment
from bot.runtime.nginx_config import ClusterLayout, nginx_argv, write_nginx_config
from bot.runtime.postgres_database import DatabaseUnavailable, ensure_postgres_database
from bot.runtime.supervisor import Child, Supervisor
from bot.runtime.training import ensure_model
from bot.settings import Settings

# Every server behind nginx listens on the loopback interface only: nginx is the one public door.
INTERNAL_HOST = "127.0.0.1"


class ClusterRefused(RuntimeError):
    """The settings cannot run a cluster; `problems` says what to set, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class RunningCluster:
    public_url: str
    store_page: str
    console: str
    rest_webhook: str
    socketio: str
    internal_rasa_url: str  # nginx's loopback-only door to the Rasa servers' HTTP API
    rasa_urls: List[str]
    action_servers: List[str]
    web_urls: List[str]
    broker: str  # what Rasa's events are published to, for the banner
    settings: Settings


def cluster_problems(settings: Settings) -> List[str]:
    """Why these settings cannot run several replicas (empty: they can)."""
    problems = []
    if not settings.database_url.startswith(("postgresql", "postgres")):
        problems.append("BOT_DATABASE_URL must name a PostgreSQL database (postgresql://user@host:5432/db): "
                        "several Rasa servers cannot share a SQLite file")
    if not settings.redis_url:
        problems.append("BOT_REDIS_URL must name a Redis server (redis://host:6379/0): it holds the "
                        "conversation locks that keep two Rasa servers from answering one conversation at once")
    if not settings.broker_url:
        problems.append("BOT_BROKER_URL must name a RabbitMQ server (amqp://user:password@host:5672/vhost): it "
                        "carries every replica's conversations to the agents' live transcripts (a shared file "
                        "would only work while every replica runs on this one machine)")
    if nginx_binary() is None:
        problems.append("nginx is not installed: run scripts/ensure_nginx.sh (or apt-get install nginx)")
    return problems


def nginx_binary() -> Optional[str]:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def replica_settings(settings: Settings, index: int) -> Settings:
    """Replica `index`'s own ports (each kind's base port + index), on the loopback interface."""
    return settings.with_overrides(
        host=INTERNAL_HOST, action_host=INTERNAL_HOST,
        rasa_port=settings.rasa_port + index, action_port=settings.action_port + index,
        web_port=settings.web_port + index,
    )


def public_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("", "0.0.0.0") else settings.host
    return f"http://{host}:{settings.public_port}"


def internal_port(settings: Settings) -> int:
    """nginx's loopback-only port to the Rasa servers' API: the one after the public port."""
    return settings.public_port + 1


def cluster_directory(settings: Settings) -> Path:
    return settings.var_dir / "cluster"


def start_cluster(settings: Settings, supervisor: Supervisor, replicas: int, train: bool = True) -> RunningCluster:
    """Database (migrated once), model (trained once), then the action servers, the Rasa servers, the web
    servers and nginx, each kind answering before the next starts. ClusterRefused when the settings
    cannot run a cluster."""
    problems = cluster_problems(settings)
    if problems:
        raise ClusterRefused(problems)
    settings = with_secrets(settings)
    try:
        if ensure_postgres_database(settings.database_url):
            print("==> Created the PostgreSQL database named in BOT_DATABASE_URL", flush=True)
    except DatabaseUnavailable as error:
        raise ClusterRefused([str(error)]) from None
    prepare_database(settings)
    if train:
        ensure_model(settings)
    folder = cluster_directory(settings)
    folder.mkdir(parents=True, exist_ok=True)
    replicas_settings = [replica_settings(settings, i) for i in range(replicas)]
    timeout = settings.startup_timeout_s

    print(f"==> Starting {replicas} action servers on ports {_ports(r.action_port for r in replicas_settings)}",
          flush=True)
    actions = [supervisor.start(f"action server {i}", action_server_argv(r), child_environment(r),
                                settings.project_root) for i, r in enumerate(replicas_settings)]
    for child, replica in zip(actions, replicas_settings):
        supervisor.wait_until_ready(child, replica.action_server_url.replace("/webhook", "/health"), timeout)
        warm_up(replica)

    public = public_url(settings)
    cors = cors_origins(settings, public)
    print(f"==> Starting {replicas} Rasa servers on ports {_ports(r.rasa_port for r in replicas_settings)} "
          "(loading the model takes a moment)", flush=True)
    rasa: List[Child] = []
    for i, replica in enumerate(replicas_settings):
        endpoints = write_endpoints_file(replica, folder / f"endpoints-{i}.yml", replica.action_server_url)
        rasa.append(supervisor.start(f"Rasa server {i}", rasa_server_argv(replica, endpoints, cors),
                                     rasa_server_environment(child_environment(replica)), settings.project_root))
    for child, replica in zip(rasa, replicas_settings):
        supervisor.wait_until_ready(child, replica.rasa_url + "/", timeout)

    internal = f"http://127.0.0.1:{internal_port(settings)}"
    print(f"==> Starting {replicas} web servers on ports {_ports(r.web_port for r in replicas_settings)}", flush=True)
    web_settings = [r.with_overrides(rasa_port=internal_port(settings), public_url=public) for r in replicas_settings]
    web = [supervisor.start(f"web server {i}", web_server_argv(w), child_environment(w), settings.project_root)
           for i, w in enumerate(web_settings)]
    for child, w in zip(web, web_settings):
        supervisor.wait_until_ready(child, w.web_url + "/healthz", timeout)

    layout = ClusterLayout(
        public_host=settings.host, public_port=settings.public_port, internal_port=internal_port(settings),
        rasa_ports=[r.rasa_port for r in replicas_settings], web_ports=[w.web_port for w in web_settings],
        prefix=folder,
    )
    start_nginx(layout, supervisor, child_environment(settings), settings.project_root, timeout)
    broker = event_broker_endpoint(settings)
    return RunningCluster(
        public_url=public,
        store_page=f"{public}/",
        console=f"{public}/console/",
        rest_webhook=f"{public}/webhooks/rest/webhook",
        socketio=f"{public}/socket.io",
        internal_rasa_url=internal,
        rasa_urls=[r.rasa_url for r in replicas_settings],
        action_servers=[r.action_server_url for r in replicas_settings],
        web_urls=[w.web_url for w in web_settings],
        broker=str(broker.get("type", "configured")) if broker else "none",
        settings=settings,
    )


class NginxConfigError(RuntimeError):
    """nginx refused the generated configuration; the message carries its own words."""


def start_nginx(layout: ClusterLayout, supervisor: Supervisor, env: Dict[str, str], cwd: Path, timeout_s: float) -> Child:
    """Writes var/cluster/nginx.conf, has nginx check it, starts nginx in the foreground under the supervisor
    and waits until the public port answers."""
    nginx = nginx_binary()
    assert nginx is not None  # cluster_problems said so otherwise
    config = write_nginx_config(layout)
    argv = nginx_argv(nginx, config, layout.prefix)
    check = subprocess.run([*argv[:-2], "-t", "-q"], capture_output=True, text=True)
    if check.returncode != 0:
        raise NginxConfigError(f"nginx refused {config}: {(check.stderr or check.stdout).strip()}")
    print(f"==> Starting nginx on port {layout.public_port} (public) and 127.0.0.1:{layout.internal_port} "
          f"(internal), config {config}", flush=True)
    child = supervisor.start("nginx", argv, env, cwd)
    host = "127.0.0.1" if layout.public_host in ("", "0.0.0.0") else layout.public_host
    supervisor.wait_until_ready(child, f"http://{host}:{layout.public_port}/healthz", timeout_s)
    return child


def _ports(ports: Iterable[int]) -> str:
    return ", ".join(str(p) for p in ports)
