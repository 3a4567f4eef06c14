"""The environment and file paths the Rasa and action-server child processes run with."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List

import yaml

from bot.settings import Settings

MODEL_NAME = "assistant"


def child_environment(settings: Settings) -> Dict[str, str]:
    """The parent's environment plus our settings and quiet, offline Rasa/TensorFlow defaults."""
    env = dict(os.environ)
    env.update(settings.as_environment())
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    env["SANIC_HOST"] = settings.action_host  # the action server's interface (rasa_sdk reads it)
    return env


def venv_bin(name: str) -> str:
    """A console script installed next to the running interpreter (the project's .venv)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def rasa_command(*args: str) -> List[str]:
    """Rasa's command line (`rasa train …`) through our entry: its speed-ups, no dependency deprecation notices."""
    return [venv_bin("python"), "-m", "bot.rasa.server_entry", *args]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"{MODEL_NAME}.tar.gz"


# Rasa expands ${VARIABLE} in endpoints.yml when it reads the file: the secret stays in the environment.
ACTION_TOKEN_REFERENCE = "${BOT_ACTION_TOKEN}"


def write_endpoints(settings: Settings) -> Path:
    """var/endpoints.yml: the repository's endpoints.yml with the action server's address from settings,
    and its shared secret, which Rasa sends as the `token` query parameter of every action call."""
    source = settings.project_root / "endpoints.yml"
    endpoints = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    action_endpoint = endpoints.setdefault("action_endpoint", {})
    action_endpoint["url"] = settings.action_server_url
    if settings.action_token:
        action_endpoint["token"] = ACTION_TOKEN_REFERENCE
    target = settings.var_dir / "endpoints.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return target
