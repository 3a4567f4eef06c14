"""Command line: `python -m bot <command>`. `make run` and `make test` call it."""
from __future__ import annotations

import argparse
import subprocess
import sys
from typing import TYPE_CHECKING, List, Optional

from bot.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from bot.runtime.supervisor import Supervisor


def _cmd_migrate(_args: argparse.Namespace) -> int:
    from bot.storage.database import get_database
    from bot.storage.migrations import migrate

    version = migrate(get_database(get_settings()).engine)
    print(f"Database schema at revision {version}")
    return 0


def _cmd_load_demo(_args: argparse.Namespace) -> int:
    from bot.customers.demo_loader import load_demo_store
    from bot.storage.migrations import migrated_database

    settings = get_settings()
    result = load_demo_store(migrated_database(settings), settings.demo_store_file)
    print(f"Loaded {result.customers} customers and {result.orders} orders from {settings.demo_store_file}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.runtime.training import ensure_model

    ensure_model(get_settings(), force=args.force)
    return 0


def _rasa(args: List[str], settings: Optional[Settings] = None) -> int:
    from bot.runtime.environment import child_environment, rasa_command

    settings = settings or get_settings()
    return subprocess.call(rasa_command(*args), cwd=settings.project_root, env=child_environment(settings))


def _cmd_validate(_args: argparse.Namespace) -> int:
    return _rasa(["data", "validate", "--max-history", "4"])


def _ready_settings() -> Optional[Settings]:
    """The process's settings with every secret filled (demo) or checked (production); None after
    printing why the run refuses to start (a missing secret in production, demo mode on a public address)."""
    from bot.identity.secrets_setup import RunRefused, with_secrets

    try:
        return with_secrets(get_settings())
    except RunRefused as refused:
        print(f"{refused.headline}:", file=sys.stderr)
        for problem in refused.problems:
            print(f"  - {problem}", file=sys.stderr)
        return None


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.runtime.assistant import start_assistant
    from bot.identity.secrets_setup import DEMO_INTEGRATION, demo_notice, secrets_dir
    from bot.runtime.supervisor import StartupError, Supervisor

    settings = _ready_settings()
    if settings is None:
        return 2
    replicas = settings.replicas if args.replicas is None else args.replicas
    if replicas < 1:
        print(f"--replicas must be 1 or more, not {replicas}", file=sys.stderr)
        return 2
    if replicas > 1:
        return _run_cluster(settings, replicas)
    supervisor = Supervisor()
    supervisor.install_signal_handlers()
    try:
        running = start_assistant(settings, supervisor)
        demo_rest = settings.demo and settings.rest_tokens.startswith(f"{DEMO_INTEGRATION}:")
        bearer = f"$(cat {secrets_dir(settings) / 'rest_token_demo'})" if demo_rest else "<your integration's token>"
        print(
            "\n  星河数码客服助手 / Galaxy Digital assistant is running\n"
            f"  {demo_notice(settings)}\n"
            f"  REST channel   POST {running.rest_webhook}   (Authorization: Bearer <token of BOT_REST_TOKENS>)\n"
            f"  socket.io      {running.socketio}\n"
            f"  Store page     {running.store_page}   (website chat)\n"
            f"  Agent console  {running.console}   (create agents: python -m bot agents add <name>)\n"
            f"  HTTP API       {running.http_api}   (?token=<BOT_RASA_TOKEN>)\n"
            f"  Action server  {running.action_server}   (Rasa only: BOT_ACTION_TOKEN)\n"
            "  Try it:  curl -s -XPOST "
            f"{running.rest_webhook} -H \"Authorization: Bearer {bearer}\" -d '{{\"sender\":\"me\",\"message\":\"你好\"}}'\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        return _supervise(supervisor)
    except StartupError as error:
        print(f"Could not start the assistant: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        supervisor.stop_all()


def _supervise(supervisor: Supervisor) -> int:
    """Keeps the servers running until one crashes too often (then says so; the caller stops everything)."""
    given_up = supervisor.supervise()
    print(f"{given_up.name} crashed {len(given_up.crashes)} times within {supervisor.crash_window_s / 60:.0f} "
          f"minutes (last exit code {given_up.process.returncode}); stopping everything.", file=sys.stderr)
    return 1


def _run_cluster(settings: Settings, replicas: int) -> int:
    """`run --replicas N` (N > 1): N Rasa and action servers on PostgreSQL and Redis behind nginx."""
    from bot.identity.secrets_setup import DEMO_INTEGRATION, demo_notice, secrets_dir
    from bot.runtime.cluster import ClusterRefused, NginxConfigError, start_cluster
    from bot.runtime.supervisor import StartupError, Supervisor

    supervisor = Supervisor()
    supervisor.install_signal_handlers()
    try:
        running = start_cluster(settings, supervisor, replicas)
        demo_rest = settings.demo and settings.rest_tokens.startswith(f"{DEMO_INTEGRATION}:")
        bearer = f"$(cat {secrets_dir(settings) / 'rest_token_demo'})" if demo_rest else "<your integration's token>"
        print(
            f"\n  星河数码客服助手 / Galaxy Digital assistant is running: {replicas} replicas behind nginx\n"
            f"  {demo_notice(running.settings)}\n"
            f"  Public port    {running.public_url}   (channels, store page, console; Rasa's HTTP API stays internal)\n"
            f"  REST channel   POST {running.rest_webhook}   (Authorization: Bearer <token of BOT_REST_TOKENS>)\n"
            f"  socket.io      {running.socketio}   (sticky per client address)\n"
            f"  Store page     {running.store_page}\n"
            f"  Agent console  {running.console}   (create agents: python -m bot agents add <name>)\n"
            f"  HTTP API       {running.internal_rasa_url}/status   (loopback only; ?token=<BOT_RASA_TOKEN>)\n"
            f"  Rasa servers   {', '.join(running.rasa_urls)}\n"
            f"  Action servers {', '.join(running.action_servers)}\n"
            f"  Web servers    {', '.join(running.web_urls)}\n"
            f"  Event broker   {running.broker}\n"
            "  Try it:  curl -s -XPOST "
            f"{running.rest_webhook} -H \"Authorization: Bearer {bearer}\" -d '{{\"sender\":\"me\",\"message\":\"你好\"}}'\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        return _supervise(supervisor)
    except ClusterRefused as refused:
        print(f"Cannot run {replicas} replicas:", file=sys.stderr)
        for problem in refused.problems:
            print(f"  - {problem}", file=sys.stderr)
        if not settings.broker_url:
            print("  - BOT_BROKER_URL (RabbitMQ, amqp://guest:guest@host:5672/) is optional but recommended",
                  file=sys.stderr)
        print("  (one replica on SQLite needs none of this: python -m bot run; see docs/DEPLOY.md)", file=sys.stderr)
        return 2
    except (StartupError, NginxConfigError) as error:
        print(f"Could not start the cluster: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        supervisor.stop_all()


def _cmd_web(args: argparse.Namespace) -> int:
    from bot.storage.migrations import migrated_database
    from bot.web.app import serve

    settings = _ready_settings()  # the Rasa token and the customer-token secret of this installation
    if settings is None:
        return 2
    if args.port:
        settings = settings.with_overrides(web_port=args.port)
    migrated_database(settings)
    serve(settings)
    return 0


def _cmd_shell(_args: argparse.Namespace) -> int:
    from bot.runtime.assistant import action_server_argv, prepare_database
    from bot.runtime.environment import child_environment, model_path, write_endpoints
    from bot.runtime.supervisor import Supervisor
    from bot.runtime.training import ensure_model

    settings = _ready_settings()
    if settings is None:
        return 2
    prepare_database(settings)
    ensure_model(settings)
    write_endpoints(settings)
    supervisor = Supervisor()
    env = child_environment(settings)
    actions = supervisor.start("action server", action_server_argv(settings), env, settings.project_root)
    try:
        supervisor.wait_until_ready(
            actions, settings.action_server_url.replace("/webhook", "/health"), settings.startup_timeout_s
        )
        return _rasa(
            ["shell", "--model", str(model_path(settings)), "--endpoints", str(settings.var_dir / "endpoints.yml")],
            settings,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        supervisor.stop_all()


def _cmd_retention(args: argparse.Namespace) -> int:
    from bot.storage.migrations import migrated_database
    from bot.storage.retention import apply_retention

    settings = get_settings()
    days = settings.retention_days if args.days is None else args.days
    if days < 0:
        print(f"--days must be 0 (keep everything) or more, not {days}", file=sys.stderr)
        return 2
    if days == 0:
        print("Retention is off (BOT_RETENTION_DAYS=0): everything is kept. Set BOT_RETENTION_DAYS or pass "
              "--days N to delete or anonymise conversations and records older than N days.")
        return 0
    report = apply_retention(migrated_database(settings), days, dry_run=args.dry_run)
    verb = "Would delete or anonymise (dry run)" if report.dry_run else "Deleted or anonymised"
    print(f"{verb}, older than {days} days (before {report.cutoff:%Y-%m-%d %H:%M} UTC):")
    for label, count in report.counts.items():
        print(f"  {count:>7}  {label}")
    return 0


def _cmd_test(args: argparse.Namespace) -> int:
    from bot.runtime.environment import child_environment
    from bot.runtime.training import ensure_model

    settings = get_settings()
    ensure_model(settings)
    env = child_environment(settings)
    command = [sys.executable, "-m", "pytest", "-ra", *args.pytest_args]
    print("==> Running the test suite: " + " ".join(command[2:]), flush=True)
    return subprocess.call(command, cwd=settings.project_root, env=env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Galaxy Digital customer-service assistant")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="set up the database, train if needed, start all servers")
    run.add_argument("--replicas", type=int, default=None,
                     help="Rasa and action servers to start behind nginx (default: BOT_REPLICAS, 1); more than one "
                          "needs PostgreSQL (BOT_DATABASE_URL) and Redis (BOT_REDIS_URL), see docs/DEPLOY.md")
    run.set_defaults(func=_cmd_run)
    commands.add_parser("shell", help="chat with the assistant in the terminal").set_defaults(func=_cmd_shell)
    train = commands.add_parser("train", help="train the Rasa model if data or config changed")
    train.add_argument("--force", action="store_true", help="train even if nothing changed")
    train.set_defaults(func=_cmd_train)
    commands.add_parser("migrate", help="create or migrate the database schema").set_defaults(func=_cmd_migrate)
    commands.add_parser("load-demo", help="load the demo store's customers and orders").set_defaults(func=_cmd_load_demo)
    commands.add_parser("validate", help="rasa data validate (no story conflicts)").set_defaults(func=_cmd_validate)
    web = commands.add_parser("web", help="only the web server: store page and agent console")
    web.add_argument("--port", type=int, help="port (default: BOT_WEB_PORT, 8000)")
    web.set_defaults(func=_cmd_web)
    from bot.complaints.cli import add_parser as add_complaints_parser
    from bot.handoff.cli import add_parser as add_agents_parser
    from bot.emotion.cli import add_parser as add_emotion_parser
    from bot.kb.cli import add_parser as add_kb_parser
    from bot.metrics.cli import add_parser as add_report_parser

    add_kb_parser(commands)
    add_emotion_parser(commands)
    add_complaints_parser(commands)
    add_agents_parser(commands)
    add_report_parser(commands)
    retention = commands.add_parser(
        "retention", help="delete or anonymise conversations and records older than N days (BOT_RETENTION_DAYS)")
    retention.add_argument("--days", type=int, help="age in days (default: BOT_RETENTION_DAYS; 0 keeps everything)")
    retention.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")
    retention.set_defaults(func=_cmd_retention)
    test = commands.add_parser("test", help="train if needed, then run the whole test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest")
    test.set_defaults(func=_cmd_test)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from bot.observability.masking import configure_logging

    try:
        configure_logging(get_settings().log_level)
        return int(args.func(args) or 0)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # operator-facing: one clear line, not a traceback
        from bot.customers.demo_loader import DemoDataError
        from bot.runtime.training import TrainingError

        if isinstance(error, (DemoDataError, TrainingError)):
            print(f"Error: {error}", file=sys.stderr)
            return 1
        raise
