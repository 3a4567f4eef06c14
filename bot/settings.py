"""The one place that reads configuration: defaults, overridden by BOT_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional

from bot import timekeeping
from bot.timekeeping import ServiceHours

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
    # Web origins allowed to call the Rasa server from a browser, comma-separated; empty: the web server's own.
    cors_origins: str = field(default="", metadata={"env": "BOT_CORS_ORIGINS"})
    startup_timeout_s: int = field(default=300, metadata={"env": "BOT_STARTUP_TIMEOUT"})
    load_demo_data: bool = field(default=True, metadata={"env": "BOT_LOAD_DEMO_DATA"})
    kb_dir: Path = field(default=Path(""), metadata={"env": "BOT_KB_DIR"})
    kb_confident: float = field(default=0.5, metadata={"env": "BOT_KB_CONFIDENT"})
    kb_ambiguous: float = field(default=0.3, metadata={"env": "BOT_KB_AMBIGUOUS"})
    # A best match is answered when it beats the runner-up by the margin, or scores "certain" on its own.
    kb_margin: float = field(default=0.15, metadata={"env": "BOT_KB_MARGIN"})
    kb_certain: float = field(default=0.8, metadata={"env": "BOT_KB_CERTAIN"})
    kb_feedback_every: int = field(default=3, metadata={"env": "BOT_KB_FEEDBACK_EVERY"})
    sla_hours_critical: int = field(default=2, metadata={"env": "BOT_SLA_HOURS_CRITICAL"})
    sla_hours_high: int = field(default=4, metadata={"env": "BOT_SLA_HOURS_HIGH"})
    sla_hours_normal: int = field(default=24, metadata={"env": "BOT_SLA_HOURS_NORMAL"})
    timezone: str = field(default="Asia/Shanghai", metadata={"env": "BOT_TIMEZONE"})
    emotion_upset_at: float = field(default=0.15, metadata={"env": "BOT_EMOTION_UPSET_AT"})
    emotion_angry_at: float = field(default=0.6, metadata={"env": "BOT_EMOTION_ANGRY_AT"})
    # How many of the customer's latest messages count for their mood: in the dialogue (the complaint
    # form, the ticket) and for the queue priority of a handoff.
    emotion_peak_window: int = field(default=6, metadata={"env": "BOT_EMOTION_PEAK_WINDOW"})
    emotion_priority_window: int = field(default=3, metadata={"env": "BOT_EMOTION_PRIORITY_WINDOW"})
    # How many of a signed-in customer's latest orders the complaint form offers as buttons (0: none).
    complaint_order_choices: int = field(default=3, metadata={"env": "BOT_COMPLAINT_ORDER_CHOICES"})
    web_port: int = field(default=8000, metadata={"env": "BOT_WEB_PORT"})
    service_hours: str = field(default="09:00-21:00", metadata={"env": "BOT_SERVICE_HOURS"})
    service_days: str = field(default="1-7", metadata={"env": "BOT_SERVICE_DAYS"})
    agent_session_hours: int = field(default=8, metadata={"env": "BOT_AGENT_SESSION_HOURS"})
    agent_presence_timeout_s: int = field(default=60, metadata={"env": "BOT_AGENT_PRESENCE_TIMEOUT"})
    handoff_minutes_per_customer: float = field(default=4.0, metadata={"env": "BOT_HANDOFF_MINUTES_PER_CUSTOMER"})
    misunderstandings_before_handoff: int = field(default=2, metadata={"env": "BOT_MISUNDERSTANDINGS_BEFORE_HANDOFF"})
    # While waiting for a person, only a short and clear "cancel" leaves the queue (a message left for
    # the agent often says "不行" or "not"); the confidence also applies to a clear request for something else.
    handoff_cancel_max_chars: int = field(default=16, metadata={"env": "BOT_HANDOFF_CANCEL_MAX_CHARS"})
    handoff_cancel_min_confidence: float = field(default=0.8, metadata={"env": "BOT_HANDOFF_CANCEL_MIN_CONFIDENCE"})
    # Queue priority (bot/handoff/priority.py): points for the tier, the mood and the reason at entry,
    # plus points per minute waited up to a cap, so a long wait overtakes a newly arrived VIP.
    priority_vip: int = field(default=30, metadata={"env": "BOT_PRIORITY_VIP"})
    priority_angry: int = field(default=20, metadata={"env": "BOT_PRIORITY_ANGRY"})
    priority_upset: int = field(default=10, metadata={"env": "BOT_PRIORITY_UPSET"})
    priority_reason_safety: int = field(default=40, metadata={"env": "BOT_PRIORITY_REASON_SAFETY"})
    priority_reason_repeat: int = field(default=15, metadata={"env": "BOT_PRIORITY_REASON_REPEAT"})
    priority_reason_angry: int = field(default=10, metadata={"env": "BOT_PRIORITY_REASON_ANGRY"})
    priority_reason_misunderstood: int = field(default=5, metadata={"env": "BOT_PRIORITY_REASON_MISUNDERSTOOD"})
    priority_points_per_minute: float = field(default=2.0, metadata={"env": "BOT_PRIORITY_POINTS_PER_MINUTE"})
    priority_waiting_cap: int = field(default=60, metadata={"env": "BOT_PRIORITY_WAITING_CAP"})
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
    # Trust (SECURITY.md). Demo mode runs with generated or demo secrets and says so; production refuses to.
    demo: bool = field(default=True, metadata={"env": "BOT_DEMO"})
    # Secrets left empty are generated into var/secrets/ on first run (demo mode; production must set them).
    customer_token_secret: str = field(default="", metadata={"env": "BOT_CUSTOMER_TOKEN_SECRET"})
    customer_token_max_lifetime_s: int = field(default=3600, metadata={"env": "BOT_CUSTOMER_TOKEN_MAX_LIFETIME"})
    # REST integrations, "name:token,name2:token2"; each caller sends "Authorization: Bearer <token>".
    rest_tokens: str = field(default="", metadata={"env": "BOT_REST_TOKENS"})
    rasa_token: str = field(default="", metadata={"env": "BOT_RASA_TOKEN"})
    action_token: str = field(default="", metadata={"env": "BOT_ACTION_TOKEN"})
    action_host: str = field(default="127.0.0.1", metadata={"env": "BOT_ACTION_HOST"})
    cookie_secure: bool = field(default=False, metadata={"env": "BOT_COOKIE_SECURE"})
    max_message_chars: int = field(default=1000, metadata={"env": "BOT_MAX_MESSAGE_CHARS"})
    max_body_bytes: int = field(default=65536, metadata={"env": "BOT_MAX_BODY_BYTES"})
    rate_per_sender: int = field(default=20, metadata={"env": "BOT_RATE_PER_SENDER"})  # messages a minute
    rate_per_address: int = field(default=120, metadata={"env": "BOT_RATE_PER_ADDRESS"})  # requests a minute
    login_max_failures: int = field(default=5, metadata={"env": "BOT_LOGIN_MAX_FAILURES"})  # per 15 minutes
    # Wrong phone digits guests may give for one order or ticket number in 24 hours, whatever the conversation;
    # then guests cannot check that number until the day is over (bot/customers/guest_lockout.py).
    guest_check_max_failures: int = field(default=5, metadata={"env": "BOT_GUEST_CHECK_MAX_FAILURES"})
    wechat_max_age_s: int = field(default=300, metadata={"env": "BOT_WECHAT_MAX_AGE"})
    outbox_max_attempts: int = field(default=8, metadata={"env": "BOT_OUTBOX_MAX_ATTEMPTS"})
    retention_days: int = field(default=0, metadata={"env": "BOT_RETENTION_DAYS"})  # 0: keep everything
    # Service metrics (bot/metrics/, README "Service metrics"). A callback request is due this many hours after
    # it was left (counted from the next opening when the team was closed); a conversation has ended once it
    # has been quiet this many minutes (Rasa's session expiry); a contained conversation counts as settled
    # when the same sender did not come back within this many hours; an angry customer should reach a person
    # within this many minutes.
    callback_due_hours: float = field(default=2.0, metadata={"env": "BOT_CALLBACK_DUE_HOURS"})
    metrics_quiet_minutes: int = field(default=60, metadata={"env": "BOT_METRICS_QUIET_MINUTES"})
    metrics_return_hours: int = field(default=24, metadata={"env": "BOT_METRICS_RETURN_HOURS"})
    metrics_empathy_minutes: int = field(default=10, metadata={"env": "BOT_METRICS_EMPATHY_MINUTES"})
    # Cluster mode (issue #13, docs/DEPLOY.md). Empty: the embedded default (one process of each kind, SQLite,
    # no other server). Redis holds the conversation locks (Rasa's RedisLockStore), socket.io's cross-replica
    # messages, WeChat's access token and the shared limits; the broker carries Rasa's events (RabbitMQ).
    redis_url: str = field(default="", metadata={"env": "BOT_REDIS_URL"})
    # Put before every key and channel this assistant uses in Redis, so that several can share one server.
    redis_prefix: str = field(default="bot:", metadata={"env": "BOT_REDIS_PREFIX"})
    broker_url: str = field(default="", metadata={"env": "BOT_BROKER_URL"})
    # How many Rasa servers and action servers `python -m bot run --replicas N` starts behind nginx.
    replicas: int = field(default=1, metadata={"env": "BOT_REPLICAS"})
    # The one public port nginx listens on in cluster mode (channels, store page, console).
    public_port: int = field(default=8080, metadata={"env": "BOT_PUBLIC_PORT"})
    # Where customers' browsers reach the chat (socket.io) when that is not the Rasa server itself: nginx's
    # public address in cluster mode (the run command sets it for the web servers). Empty: BOT_RASA_PORT's.
    public_url: str = field(default="", metadata={"env": "BOT_PUBLIC_URL"})
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
        if not 0 <= self.kb_margin <= 1:
            raise SettingsError(f"BOT_KB_MARGIN must be between 0 and 1, not {self.kb_margin}")
        if not 0 < self.kb_certain <= 1:
            raise SettingsError(f"BOT_KB_CERTAIN must be above 0 and at most 1, not {self.kb_certain}")
        if self.kb_feedback_every < 1:
            raise SettingsError("BOT_KB_FEEDBACK_EVERY must be 1 or more")
        for name in ("emotion_peak_window", "emotion_priority_window", "handoff_cancel_max_chars"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{_env_name(name)} must be 1 or more, not {getattr(self, name)}")
        if not 0 <= self.handoff_cancel_min_confidence <= 1:
            raise SettingsError(
                f"BOT_HANDOFF_CANCEL_MIN_CONFIDENCE must be between 0 and 1, not {self.handoff_cancel_min_confidence}")
        for f in fields(self):
            if f.name.startswith("priority_") and getattr(self, f.name) < 0:
                raise SettingsError(f"{f.metadata['env']} must be 0 or more, not {getattr(self, f.name)}")
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{var_dir / 'assistant.db'}")
        if self.default_language not in ("zh", "en"):
            raise SettingsError(
                f"BOT_DEFAULT_LANGUAGE must be 'zh' or 'en', not {self.default_language!r}"
            )
        parse_service_hours(self.service_hours, self.service_days)  # raises SettingsError when malformed
        self.local_time(datetime(2000, 1, 1))  # an unknown BOT_TIMEZONE is named now, not at the first handoff
        if self.wechat_mode not in ("plaintext", "compatible", "safe"):
            raise SettingsError(f"BOT_WECHAT_MODE must be plaintext, compatible or safe, not {self.wechat_mode!r}")
        if len(self.wechat_aes_key) != 43:
            raise SettingsError("BOT_WECHAT_AES_KEY must be the 43-character EncodingAESKey from the WeChat console")
        for name in ("customer_token_max_lifetime_s", "max_message_chars", "max_body_bytes", "rate_per_sender",
                     "rate_per_address", "login_max_failures", "guest_check_max_failures", "wechat_max_age_s",
                     "outbox_max_attempts"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{_env_name(name)} must be 1 or more, not {getattr(self, name)}")
        for name in ("metrics_quiet_minutes", "metrics_return_hours", "metrics_empathy_minutes"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{_env_name(name)} must be 1 or more, not {getattr(self, name)}")
        if self.callback_due_hours <= 0:
            raise SettingsError(f"BOT_CALLBACK_DUE_HOURS must be above 0, not {self.callback_due_hours}")
        if self.complaint_order_choices < 0:
            raise SettingsError(f"BOT_COMPLAINT_ORDER_CHOICES must be 0 (none) or more, not {self.complaint_order_choices}")
        if self.retention_days < 0:
            raise SettingsError(f"BOT_RETENTION_DAYS must be 0 (keep) or more, not {self.retention_days}")
        for entry in filter(None, (e.strip() for e in self.rest_tokens.split(","))):
            name, _, token = entry.partition(":")
            if not name.strip() or len(token.strip()) < 16:
                raise SettingsError("BOT_REST_TOKENS must list name:token pairs, each token 16 characters or more")
        if self.replicas < 1:
            raise SettingsError(f"BOT_REPLICAS must be 1 or more, not {self.replicas}")
        for name in ("rasa_port", "action_port", "web_port", "public_port"):
            port = getattr(self, name)
            if not 0 < port < 65536:
                raise SettingsError(f"{_env_name(name)} must be a TCP port, not {port}")

    @property
    def rest_integrations(self) -> Dict[str, str]:
        """REST integrations by token: {token: integration name}."""
        pairs = (e.strip().partition(":") for e in self.rest_tokens.split(",") if e.strip())
        return {token.strip(): name.strip() for name, _, token in pairs}

    @property
    def cluster(self) -> bool:
        """Cluster mode: shared state in Redis (the embedded default keeps it in the process)."""
        return bool(self.redis_url)

    @property
    def rasa_url(self) -> str:
        return f"http://{_connect_host(self.host)}:{self.rasa_port}"

    @property
    def action_server_url(self) -> str:
        return f"http://{_connect_host(self.action_host)}:{self.action_port}/webhook"

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
        try:
            return timekeeping.local_time(utc_naive, self.timezone)
        except ValueError as error:
            raise SettingsError(str(error)) from None

    def as_environment(self) -> Dict[str, str]:
        """The environment variables that reproduce these settings in a child process."""
        return {
            f.metadata["env"]: str(getattr(self, f.name)) for f in fields(self) if "env" in f.metadata
        }

    def with_overrides(self, **changes: object) -> "Settings":
        return replace(self, **changes)


def parse_service_hours(hours: str, days: str) -> ServiceHours:
    """The team's hours from BOT_SERVICE_HOURS and BOT_SERVICE_DAYS; SettingsError naming the variable."""
    try:
        return timekeeping.parse_service_hours(hours, days)
    except ValueError as error:
        raise SettingsError(str(error)) from None


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
