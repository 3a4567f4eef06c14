"""Scale-out under load (issue #13): the load benchmark's conversations (benchmarks/loadgen.py, REST) against
1 replica on SQLite (the embedded default), 1 replica on PostgreSQL + Redis (+ RabbitMQ when it answers), and
2 replicas behind nginx on the same services, side by side in one run, each level on each system in turn.

    python -m benchmarks cluster [--cluster-levels 10,50] [--load-duration 120]

REST only: socket.io is sticky per client address behind nginx, and the load generator is one address, so it
would measure one replica. Every system runs on this machine's cores, so a second replica adds capacity only
where one replica leaves cores idle; the table says what it does here."""
from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bot.runtime.assistant import start_assistant
from bot.runtime.cluster import start_cluster
from bot.runtime.ports import free_port_block, reachable
from bot.runtime.supervisor import Supervisor
from bot.runtime.training import ensure_model
from bot.settings import Settings

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672/"
UNLIMITED_RATE = 1_000_000  # the load comes from one address and types faster than people: no "slow down"
SYSTEMS = (("sqlite", "1 replica, SQLite"), ("postgres", "1 replica, PostgreSQL + Redis"),
           ("cluster", "2 replicas behind nginx"))


def _progress(message: str) -> None:
    print(f"[bench:cluster] {message}", flush=True)


def missing_services(postgres: str, redis: str) -> List[str]:
    missing = [name for name, url, port in (("PostgreSQL", postgres, 5432), ("Redis", redis, 6379))
               if not reachable(url, port)]
    from bot.runtime.cluster import nginx_binary

    if nginx_binary() is None:
        missing.append("nginx")
    return missing


class _Databases:
    """Fresh PostgreSQL databases for the run, dropped at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: List[str] = []

    def fresh(self) -> str:
        from bot.runtime.postgres_database import ensure_postgres_database

        name = f"bot_bench_{uuid.uuid4().hex[:10]}"
        url = self.server_url.rsplit("/", 1)[0] + f"/{name}"
        ensure_postgres_database(url)
        self.created.append(name)
        return url

    def drop_all(self) -> None:
        import sqlalchemy as sa

        admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT", future=True)
        try:
            with admin.connect() as connection:
                for name in self.created:
                    connection.exec_driver_sql(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid()", (name,))
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            admin.dispose()


def _system_settings(settings: Settings, folder: Path, replicas: int, **overrides: object) -> Settings:
    return settings.with_overrides(
        rasa_port=free_port_block(replicas), action_port=free_port_block(replicas), web_port=free_port_block(replicas),
        public_port=free_port_block(2), var_dir=folder, rate_per_sender=UNLIMITED_RATE, rate_per_address=UNLIMITED_RATE,
        redis_prefix=f"bench-{uuid.uuid4().hex[:8]}:", **overrides)


def _start(kind: str, settings: Settings, workdir: Path, databases: _Databases, redis: str, broker: str,
           supervisor: Supervisor) -> Tuple[str, str]:
    """Starts one system; returns (its REST URL, an integration's token)."""
    folder = workdir / kind
    if kind == "sqlite":
        ours = _system_settings(settings, folder, 1, database_url=f"sqlite:///{folder / 'assistant.db'}",
                                redis_url="", broker_url="")
        ours = start_assistant(ours, supervisor, train=False).settings
        url = ours.rasa_url
    elif kind == "postgres":
        ours = _system_settings(settings, folder, 1, database_url=databases.fresh(), redis_url=redis,
                                broker_url=broker)
        ours = start_assistant(ours, supervisor, train=False).settings
        url = ours.rasa_url
    else:
        ours = _system_settings(settings, folder, 2, database_url=databases.fresh(), redis_url=redis,
                                broker_url=broker)
        running = start_cluster(ours, supervisor, 2, train=False)
        ours, url = running.settings, running.public_url
    return url, next(iter(ours.rest_integrations), "")


def run(settings: Settings, levels: Sequence[int] = (10, 50), duration: float = 120,
        postgres: str = DEFAULT_POSTGRES, redis: str = DEFAULT_REDIS, broker: str = DEFAULT_BROKER) -> Dict:
    """All three systems up side by side; each level runs on each in turn, the order alternating."""
    from benchmarks.perf_bench import _load

    figures: Dict = {"levels": list(levels), "duration": duration, "runs": {}, "labels": dict(SYSTEMS)}
    missing = missing_services(postgres, redis)
    if missing:
        figures["skipped"] = f"needs {', '.join(missing)} (not reachable here)"
        return figures
    broker = broker if reachable(broker, 5672) else ""
    figures["broker"] = bool(broker)
    ensure_model(settings)
    databases = _Databases(postgres)
    supervisors = {kind: Supervisor() for kind, _ in SYSTEMS}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        try:
            urls: Dict[str, Tuple[str, str]] = {}
            for kind, label in SYSTEMS:
                _progress(f"starting {label}…")
                urls[kind] = _start(kind, settings, workdir, databases, redis, broker, supervisors[kind])
            for turn, users in enumerate(levels):
                order = [kind for kind, _ in SYSTEMS]
                for kind in order if turn % 2 == 0 else list(reversed(order)):
                    url, token = urls[kind]
                    _progress(f"{dict(SYSTEMS)[kind]}: {users} customers, {duration:.0f} s")
                    figures["runs"][f"{kind}/{users}"] = _load(url, "rest", users, duration, workdir, token)
        finally:
            for supervisor in supervisors.values():
                supervisor.stop_all()
            databases.drop_all()
    return figures


def markdown(figures: Dict) -> str:
    lines = ["## Scale-out: 1 replica on SQLite, 1 on PostgreSQL + Redis, 2 behind nginx", ""]
    if figures.get("skipped"):
        return "\n".join(lines + [f"Skipped: {figures['skipped']}.", ""])
    broker = " + RabbitMQ (Rasa's Pika event broker)" if figures.get("broker") else ""
    lines += [f"The load benchmark's conversation over REST, {figures['duration']:.0f} s per level and system; "
              f"1 replica on SQLite (the embedded default), 1 replica on PostgreSQL + Redis{broker}, 2 replicas "
              f"behind nginx on the same services (`python -m bot run --replicas 2`). All three stay up side by "
              f"side on this machine's cores and take turns, so the second replica competes for the same CPUs. Each "
              f"simulated customer writes about one message a second, so msg/s is bounded by the demand (about "
              f"the number of customers) until a system's capacity is reached: only the level where it falls "
              f"short of that measures capacity.",
              "", "| system | customers | p50 ms | p95 ms | p99 ms | msg/s | msg/s per replica | errors |",
              "|---|---|---|---|---|---|---|---|"]
    replicas = {"sqlite": 1, "postgres": 1, "cluster": 2}
    for users in figures["levels"]:
        for kind, label in SYSTEMS:
            run_ = figures["runs"].get(f"{kind}/{users}")
            if not run_:
                continue
            lines.append(f"| {label} | {users} | {run_['p50']:.0f} | {run_['p95']:.0f} | {run_['p99']:.0f} | "
                         f"{run_['throughput']:.1f} | {run_['throughput'] / replicas[kind]:.1f} | "
                         f"{run_['errors']} of {run_['n']} |")
    lines.append("")
    return "\n".join(lines)


def write_report(figures: Dict, out: Path) -> Path:
    from benchmarks.runner import machine_description

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join([
        "# Scale-out benchmark", "",
        f"- when: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
        f"- machine: {machine_description()}",
        "- command: `python -m benchmarks cluster`", "", markdown(figures)]), encoding="utf-8")
    return out


def run_and_report(settings: Settings, out: Path, levels: Sequence[int], duration: float,
                   postgres: Optional[str] = None, redis: Optional[str] = None, broker: Optional[str] = None) -> Path:
    postgres = postgres or (settings.database_url if settings.database_url.startswith("postgres") else DEFAULT_POSTGRES)
    figures = run(settings, levels, duration, postgres, redis or settings.redis_url or DEFAULT_REDIS,
                  broker or settings.broker_url or DEFAULT_BROKER)
    return write_report(figures, out)
