"""The one place that reads configuration: defaults, overridden by BOT_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable about the assistant.

    Each field can be overridden by the environment variable named in its metadata.
    """

    project_root: Path = field(default=PROJECT_ROOT, metadata={"env": "BOT_PROJECT_ROOT"})
    database_url: str = field(default="", metadata={"env": "BOT_DATABASE_URL"})
    host: str = field(default="127.0.0.1", metadata={"env": "BOT_HOST"})
    rasa_port: int = field(default=5005, metadata={"env": "BOT_RASA_PORT"})
    action_port: int = field(default=5055, metadata={"env": "BOT_ACTION_PORT"})
    models_dir: Path = field(default=Path(""), metadata={"env": "BOT_MODELS_DIR"})
    var_dir: Path = field(default=Path(""), metadata={"env": "BOT_VAR_DIR"})
    default_language: str = field(default="zh", metadata={"env": "BOT_DEFAULT_LANGUAGE"})
    log_level: str = field(default="INFO", metadata={"env": "BOT_LOG_LEVEL"})
    cors_origins: str = field(default="*", metadata={"env": "BOT_CORS_ORIGINS"})
    startup_timeout_s: int = field(default=300, metadata={"env": "BOT_STARTUP_TIMEOUT"})
    load_demo_data: bool = field(default=True, metadata={"env": "BOT_LOAD_DEMO_DATA"})
    kb_dir: Path = field(default=Path(""), metadata={"env": "BOT_KB_DIR"})
    kb_confident: float = field(default=0.5, metadata={"env": "BOT_KB_CONFIDENT"})
    kb_ambiguous: float = field(default=0.3, metadata={"env": "BOT_KB_AMBIGUOUS"})
    kb_feedback_every: int = field(default=3, metadata={"env": "BOT_KB_FEEDBACK_EVERY"})
    sla_hours_critical: int = field(default=2, metadata={"env": "BOT_SLA_HOURS_CRITICAL"})
    sla_hours_high: int = field(default=4, metadata={"env": "BOT_SLA_HOURS_HIGH"})
    sla_hours_normal: int = field(default=24, metadata={"env": "BOT_SLA_HOURS_NORMAL"})
    timezone: str = field(default="Asia/Shanghai", metadata={"env": "BOT_TIMEZONE"})
    emotion_upset_at: float = field(default=0.15, metadata={"env": "BOT_EMOTION_UPSET_AT"})
    emotion_angry_at: float = field(default=0.6, metadata={"env": "BOT_EMOTION_ANGRY_AT"})
    web_port: int = field(default=8000, metadata={"env": "BOT_WEB_PORT"})
    service_hours: str = field(default="09:00-21:00", metadata={"env": "BOT_SERVICE_HOURS"})
    service_days: str = field(default="1-7", metadata={"env": "BOT_SERVICE_DAYS"})
    agent_session_hours: int = field(default=8, metadata={"env": "BOT_AGENT_SESSION_HOURS"})
    agent_presence_timeout_s: int = field(default=60, metadata={"env": "BOT_AGENT_PRESENCE_TIMEOUT"})
    handoff_minutes_per_customer: float = field(default=4.0, metadata={"env": "BOT_HANDOFF_MINUTES_PER_CUSTOMER"})
    misunderstandings_before_handoff: int = field(default=2, metadata={"env": "BOT_MISUNDERSTANDINGS_BEFORE_HANDOFF"})
    # The Rasa server's speed-ups (bot/rasa/server_entry.py); off only to measure what they bring.
    rasa_speedups: bool = field(default=True, metadata={"env": "BOT_RASA_SPEEDUPS"})
    # WeChat Official Account. The defaults are a demo account for the simulator and the tests; set real ones.
    wechat_token: str = field(default="galaxy-demo-token", metadata={"env": "BOT_WECHAT_TOKEN"})
    wechat_app_id: str = field(default="wxd0e1a2b3c4d5e6f7", metadata={"env": "BOT_WECHAT_APP_ID"})
    wechat_app_secret: str = field(default="demo-app-secret", metadata={"env": "BOT_WECHAT_APP_SECRET"})
    wechat_aes_key: str = field(default="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                                metadata={"env": "BOT_WECHAT_AES_KEY"})
    wechat_mode: str = field(default="safe", metadata={"env": "BOT_WECHAT_MODE"})  # plaintext | compatible | safe
    wechat_api_base: str = field(default="https://api.weixin.qq.com", metadata={"env": "BOT_WECHAT_API_BASE"})
    wechat_passive_timeout_s: float = field(default=4.5, metadata={"env": "BOT_WECHAT_PASSIVE_TIMEOUT"})
    # Slows every knowledge-base answer down (seconds): only for testing WeChat's 5-second deadline.
    debug_answer_delay_s: float = field(default=0.0, metadata={"env": "BOT_DEBUG_ANSWER_DELAY"})

    def __post_init__(self) -> None:
        root = Path(self.project_root)
        object.__setattr__(self, "project_root", root)
        var_dir = Path(self.var_dir) if str(self.var_dir) not in ("", ".") else root / "var"
        object.__setattr__(self, "var_dir", var_dir)
        models = Path(self.models_dir) if str(self.models_dir) not in ("", ".") else root / "models"
        object.__setattr__(self, "models_dir", models)
        kb_dir = Path(self.kb_dir) if str(self.kb_dir) not in ("", ".") else root / "knowledge_base"
        object.__setattr__(self, "kb_dir", kb_dir)
        if not 0 < self.kb_ambiguous <= self.kb_confident <= 1:
            raise SettingsError("BOT_KB_AMBIGUOUS and BOT_KB_CONFIDENT must satisfy 0 < ambiguous <= confident <= 1")
        if self.kb_feedback_every < 1:
            raise SettingsError("BOT_KB_FEEDBACK_EVERY must be 1 or more")
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{var_dir / 'assistant.db'}")
        if self.default_language not in ("zh", "en"):
            raise SettingsError(
                f"BOT_DEFAULT_LANGUAGE must be 'zh' or 'en', not {self.default_language!r}"
            )
        from bot.handoff.hours import parse_service_hours

        parse_service_hours(self.service_hours, self.service_days)  # raises SettingsError when malformed
        if self.wechat_mode not in ("plaintext", "compatible", "safe"):
            raise SettingsError(f"BOT_WECHAT_MODE must be plaintext, compatible or safe, not {self.wechat_mode!r}")
        if len(self.wechat_aes_key) != 43:
            raise SettingsError("BOT_WECHAT_AES_KEY must be the 43-character EncodingAESKey from the WeChat console")
        for name in ("rasa_port", "action_port", "web_port"):
            port = getattr(self, name)
            if not 0 < port < 65536:
                raise SettingsError(f"{_env_name(name)} must be a TCP port, not {port}")

    @property
    def rasa_url(self) -> str:
        return f"http://{_connect_host(self.host)}:{self.rasa_port}"

    @property
    def action_server_url(self) -> str:
        return f"http://{_connect_host(self.host)}:{self.action_port}/webhook"

    @property
    def web_url(self) -> str:
        return f"http://{_connect_host(self.host)}:{self.web_port}"

    @property
    def sla_hours(self) -> Dict[str, int]:
        """Complaint time commitments by severity."""
        return {"critical": self.sla_hours_critical, "high": self.sla_hours_high, "normal": self.sla_hours_normal}

    @property
    def jieba_dictionary_dir(self) -> Path:
        return self.project_root / "knowledge_base" / "dictionary"

    @property
    def demo_store_file(self) -> Path:
        return self.project_root / "demo" / "store.yml"

    def local_time(self, utc_naive: datetime) -> datetime:
        """A stored UTC time in the business's time zone, for what customers and agents read."""
        from dateutil import tz

        zone = tz.gettz(self.timezone)
        if zone is None:
            raise SettingsError(f"BOT_TIMEZONE {self.timezone!r} is not a known time zone")
        return utc_naive.replace(tzinfo=tz.UTC).astimezone(zone)

    def as_environment(self) -> Dict[str, str]:
        """The environment variables that reproduce these settings in a child process."""
        return {
            f.metadata["env"]: str(getattr(self, f.name)) for f in fields(self) if "env" in f.metadata
        }

    def with_overrides(self, **changes: object) -> "Settings":
        return replace(self, **changes)


def _env_name(field_name: str) -> str:
    for f in fields(Settings):
        if f.name == field_name:
            return f.metadata["env"]
    raise KeyError(field_name)


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def _convert(raw: str, annotation: str, env: str) -> object:
    if annotation == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{env} must be an integer, not {raw!r}") from None
    if annotation == "float":
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{env} must be a number, not {raw!r}") from None
    if annotation == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{env} must be true or false, not {raw!r}")
    if annotation == "Path":
        return Path(raw)
    return raw


def load_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Builds settings from the defaults and the given (or the process's) environment."""
    environ = os.environ if environ is None else environ
    values: Dict[str, object] = {}
    for f in fields(Settings):
        env = f.metadata.get("env")
        if env and environ.get(env, "") != "":
            values[f.name] = _convert(environ[env], str(f.type), env)
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
