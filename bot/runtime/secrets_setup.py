"""The secrets a run needs, and production mode (SECURITY.md).

Demo mode (BOT_DEMO=true, the default; `make run`): every secret left empty is generated once into
var/secrets/ (owner-only files) and handed to the child processes through their environment, so a fresh
clone runs closed without any setup, and `python -m bot web` or `bot shell` started on their own read the
same files. Production (BOT_DEMO=false) generates nothing: it refuses to start, one line per problem,
while a secret is missing or too short or a WeChat demo value is still in place."""
from __future__ import annotations

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


class ProductionRefused(RuntimeError):
    """Production mode and a secret is missing or a demo value; `problems` has one line for each."""

    def __init__(self, problems: List[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def secrets_dir(settings: Settings) -> Path:
    return settings.var_dir / "secrets"


def with_secrets(settings: Settings) -> Settings:
    """The settings with every secret filled: generated ones in demo mode; in production they must be
    set, else ProductionRefused."""
    if not settings.demo:
        problems = production_problems(settings)
        if problems:
            raise ProductionRefused(problems)
        return settings
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


def demo_notice(settings: Settings) -> str:
    """The banner's line about the mode: where a demo run keeps the secrets it generated."""
    if settings.demo:
        return (f"DEMO MODE (BOT_DEMO=true): generated secrets in {secrets_dir(settings)}, WeChat demo account; "
                "not for production")
    return "Production mode (BOT_DEMO=false)"
