"""The secrets a run needs, demo mode and production mode (SECURITY.md). Every server that opens a door
calls `with_secrets` before it listens: the run command (bot/runtime/assistant.py), `python -m bot web`, and
the Rasa server's entry (bot/rasa/server_entry.py) when it is started on its own.

Demo mode (BOT_DEMO=true, the default; `make run`): every secret left empty is generated once into
var/secrets/ (owner-only files) and handed to the child processes through their environment, so a fresh
clone runs closed without any setup, and a server started on its own reads the same files. Demo mode is
for this machine only: it refuses to start when BOT_HOST is not a loopback address (its WeChat account is
public and its store page signs in anyone as a demo customer).
Production (BOT_DEMO=false) generates nothing: it refuses to start, one line per problem, while a secret is
missing or too short or a WeChat demo value is still in place."""
from __future__ import annotations

import ipaddress
from dataclasses import fields
from pathlib import Path
from typing import Dict, List, Tuple

from bot.identity.customer_tokens import MIN_SECRET_BYTES
from bot.identity.secrets_store import load_or_create_secret
from bot.settings import Settings

# The integration a demo run's REST channel accepts (BOT_REST_TOKENS="demo:<token>").
DEMO_INTEGRATION = "demo"
MIN_TOKEN_CHARS = 16
# Settings field -> (file in var/secrets/, random bytes, shortest acceptable value).
_REQUIRED: Dict[str, Tuple[str, int, int]] = {
    "customer_token_secret": ("customer_token_secret", 32, MIN_SECRET_BYTES),
    "rasa_token": ("rasa_token", 24, MIN_TOKEN_CHARS),
    "action_token": ("action_token", 24, MIN_TOKEN_CHARS),
}
_REST_TOKEN_FILE = "rest_token_demo"
# WeChat values whose defaults are the demo account's (the simulator's and the tests').
_WECHAT_DEMO_VALUES = ("wechat_token", "wechat_app_secret", "wechat_aes_key")


class RunRefused(RuntimeError):
    """This configuration may not start; `headline` says in which mode, `problems` has one line for each."""

    headline = "Refusing to start"

    def __init__(self, problems: List[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ProductionRefused(RunRefused):
    """Production mode and a secret is missing or a demo value."""

    headline = "Refusing to start in production mode (BOT_DEMO=false)"


class DemoRefused(RunRefused):
    """Demo mode on an address other machines can reach."""

    headline = "Refusing to start in demo mode (BOT_DEMO=true)"


def secrets_dir(settings: Settings) -> Path:
    return settings.var_dir / "secrets"


def with_secrets(settings: Settings) -> Settings:
    """The settings with every secret filled: generated ones in demo mode (DemoRefused when demo mode would
    be reachable from other machines); in production they must be set, else ProductionRefused."""
    if not settings.demo:
        problems = production_problems(settings)
        if problems:
            raise ProductionRefused(problems)
        return settings
    problems = demo_problems(settings)
    if problems:
        raise DemoRefused(problems)
    folder = secrets_dir(settings)
    changes: Dict[str, object] = {}
    for name, (file_name, nbytes, _shortest) in _REQUIRED.items():
        if not getattr(settings, name):
            changes[name] = load_or_create_secret(folder, file_name, nbytes)
    if not settings.rest_tokens.strip():
        changes["rest_tokens"] = f"{DEMO_INTEGRATION}:{load_or_create_secret(folder, _REST_TOKEN_FILE, 24)}"
    return settings.with_overrides(**changes) if changes else settings


def production_problems(settings: Settings) -> List[str]:
    """What stops this configuration from running in production, one line each (empty: ready)."""
    env = {f.name: f.metadata.get("env", f.name) for f in fields(Settings)}
    defaults = {f.name: f.default for f in fields(Settings)}
    problems = []
    for name, (_file, _nbytes, shortest) in _REQUIRED.items():
        value = getattr(settings, name)
        if not value:
            problems.append(f"{env[name]} is not set (production generates no secrets; see SECURITY.md)")
        elif len(value.encode("utf-8")) < shortest:
            problems.append(f"{env[name]} is too short: use at least {shortest} random characters")
    for name in _WECHAT_DEMO_VALUES:
        if getattr(settings, name) == defaults[name]:
            problems.append(f"{env[name]} is still the demo account's value: set your official account's own")
    return problems


def demo_problems(settings: Settings) -> List[str]:
    """What stops this configuration from running in demo mode (empty: ready): demo mode serves a public
    WeChat demo token and signs anyone in as a demo customer, so it listens on this machine only."""
    if is_loopback(settings.host):
        return []
    return [f"BOT_HOST={settings.host or '(all interfaces)'} is not a loopback address, and demo mode is open to "
            "anyone who can reach it (the demo WeChat account, \"sign in as a demo customer\"): set BOT_DEMO=false "
            "with real secrets (SECURITY.md, production checklist), or bind to 127.0.0.1"]


def is_loopback(host: str) -> bool:
    """Whether a bind address is reachable from this machine only ("localhost", 127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def changed_environment(before: Settings, after: Settings) -> Dict[str, str]:
    """The environment variables that carry what `with_secrets` filled in (for a process's own children,
    or for a server that hands them to its own components, bot/rasa/server_entry.py)."""
    old = before.as_environment()
    return {name: value for name, value in after.as_environment().items() if old.get(name) != value}


def demo_notice(settings: Settings) -> str:
    """The banner's line about the mode: where a demo run keeps the secrets it generated."""
    if settings.demo:
        return (f"DEMO MODE (BOT_DEMO=true): generated secrets in {secrets_dir(settings)}, WeChat demo account; "
                "not for production")
    return "Production mode (BOT_DEMO=false)"
