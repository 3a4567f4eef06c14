"""Operator commands for the agent console: `python -m bot agents add|list|password|deactivate|reactivate`."""
from __future__ import annotations

import argparse
import getpass
import sys

from bot.handoff.agents import AgentDirectory, AgentError
from bot.handoff.passwords import WeakPasswordError
from bot.settings import get_settings
from bot.storage.migrations import migrated_database


def _directory() -> AgentDirectory:
    settings = get_settings()
    return AgentDirectory(migrated_database(settings), settings.agent_session_hours, settings.agent_presence_timeout_s)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise AgentError("the two passwords differ")
    return first


def _add(args: argparse.Namespace) -> int:
    try:
        agent = _directory().create(args.username, args.name or args.username, _password(args), args.role,
                                    args.language)
    except (AgentError, WeakPasswordError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"Created {agent.role} {agent.username} ({agent.display_name}). Sign in at {get_settings().web_url}/console/")
    return 0


def _list(_args: argparse.Namespace) -> int:
    agents = _directory().all()
    if not agents:
        print("No agents yet: python -m bot agents add <username> --name <display name>")
    for agent in agents:
        state = agent.presence if agent.active else "deactivated"
        print(f"{agent.username:<16} {agent.display_name:<12} {agent.role:<6} {agent.language}  {state}")
    return 0


def _set_active(args: argparse.Namespace, active: bool) -> int:
    directory = _directory()
    agent = directory.by_username(args.username)
    try:
        if agent is None:
            raise AgentError(f"no agent named {args.username!r}")
        if active:
            directory.reactivate(agent.id)
            print(f"{agent.username} can sign in again.")
            return 0
        requeued = directory.deactivate(agent.id)
    except AgentError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"{agent.username} is deactivated and signed out; {len(requeued)} conversation(s) went back to the queue.")
    return 0


def _set_password(args: argparse.Namespace) -> int:
    try:
        _directory().set_password(args.username, _password(args))
    except (AgentError, WeakPasswordError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"Password changed for {args.username}; their open sessions were signed out.")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    agents = commands.add_parser("agents", help="create and list agent-console accounts")
    sub = agents.add_subparsers(dest="agents_command", required=True)
    add = sub.add_parser("add", help="create an agent or admin (asks for the password)")
    add.add_argument("username")
    add.add_argument("--name", help="the name customers see, e.g. 小李")
    add.add_argument("--role", choices=("agent", "admin"), default="agent")
    add.add_argument("--language", choices=("zh", "en"), default="zh", help="the console's language")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=_add)
    sub.add_parser("list", help="list agents").set_defaults(func=_list)
    password = sub.add_parser("password", help="set a new password (signs the agent out everywhere)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(func=_set_password)
    deactivate = sub.add_parser("deactivate", help="sign an agent out for good; their conversations go back "
                                                   "to the queue")
    deactivate.add_argument("username")
    deactivate.set_defaults(func=lambda args: _set_active(args, False))
    reactivate = sub.add_parser("reactivate", help="let a deactivated agent sign in again")
    reactivate.add_argument("username")
    reactivate.set_defaults(func=lambda args: _set_active(args, True))
