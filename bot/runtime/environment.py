"""The environment and file paths the Rasa and action-server child processes run with."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List

from bot.runtime.endpoints import redis_password, write_endpoints_file
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
    password = redis_password(settings.redis_url) if settings.redis_url else ""
    if password:  # the endpoints file names ${BOT_REDIS_PASSWORD}, not the password itself
        env["BOT_REDIS_PASSWORD"] = password
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


def write_endpoints(settings: Settings) -> Path:
    """var/endpoints.yml: the repository's endpoints.yml with the action server's address from settings,
    and its shared secret, which Rasa sends as the `token` query parameter of every action call (with
    BOT_REDIS_URL also Rasa's Redis lock store; see bot/runtime/endpoints.py)."""
    return write_endpoints_file(settings, settings.var_dir / "endpoints.yml")
