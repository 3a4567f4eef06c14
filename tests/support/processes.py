"""Starts the real assistant (`python -m bot run`) on free ports for integration tests."""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.runtime.ports import free_port  # noqa: F401 (tests import it from here too)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REST_INTEGRATION = "tests"


@dataclass
class AssistantProcess:
    """One `python -m bot run` with its own ports and var folder (database, endpoints)."""

    var_dir: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    extra_env: Dict[str, str] = field(default_factory=dict)
    # Secrets of this instance, known to the tests: Rasa's API token, the tests' REST integration, the
    # store's customer-token secret (the assistant would otherwise generate them into var/secrets/).
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    rest_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    customer_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def environment(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(
            BOT_RASA_PORT=str(self.rasa_port),
            BOT_ACTION_PORT=str(self.action_port),
            BOT_WEB_PORT=str(self.web_port),
            BOT_VAR_DIR=str(self.var_dir),
            BOT_DATABASE_URL=f"sqlite:///{self.var_dir / 'assistant.db'}",
            BOT_RASA_TOKEN=self.rasa_token,
            BOT_REST_TOKENS=f"{REST_INTEGRATION}:{self.rest_token}",
            BOT_CUSTOMER_TOKEN_SECRET=self.customer_secret,
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout_s: float = 240) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.var_dir / f"run-{self.rasa_port}.log"
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=PROJECT_ROOT, env=self.environment(),
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bot run exited early:\n{self.log_tail()}")
            if b"is running" in self.log_path.read_bytes():
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"bot run did not come up in {timeout_s} s:\n{self.log_tail()}")

    def stop(self, timeout_s: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout_s)

    def child_processes(self) -> List[str]:
        """Command lines of any process still serving this instance's ports."""
        out = subprocess.run(["ps", "-eww", "-o", "pid,args"], capture_output=True, text=True).stdout
        marks = (f"--port {self.rasa_port}", f"--port {self.action_port}", f"--port {self.web_port}")
        return [line for line in out.splitlines() if any(m in line for m in marks)]

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def customer_token(self, customer_id: str, lifetime_s: int = 900) -> str:
        """A token by which the store vouches for a signed-in customer (as the store's backend would)."""
        from bot.identity.customer_tokens import CustomerTokens

        return CustomerTokens(self.customer_secret).issue(customer_id, lifetime_s)

    def say(self, sender: str, message: str, customer: Optional[str] = None) -> List[dict]:
        """Sends a message over the REST channel as the tests' integration and returns the bot's messages;
        with `customer`, the message carries a signed token naming that customer (a signed-in customer)."""
        payload: Dict[str, object] = {"sender": sender, "message": message}
        if customer:
            payload["metadata"] = {"customer_token": self.customer_token(customer)}
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.rest_token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def conversation_id(self, sender: str, customer: Optional[str] = None) -> str:
        """The conversation a REST sender of the tests' integration lands in, as a guest or signed in as
        `customer` (ids are namespaced by channel and name the verified customer); a full id is kept."""
        from bot.identity.conversation_ids import conversation_id, rest_local_id

        if sender.startswith(("web:", "rest:", "wechat:")):
            return sender
        return conversation_id("rest", rest_local_id(REST_INTEGRATION, sender, customer))

    def tracker(self, sender: str, customer: Optional[str] = None) -> dict:
        """The conversation's tracker from Rasa's HTTP API, which needs the token (`customer`: the one the
        messages were signed in as, see `say`). The id's ":" stays as it is: Rasa's server does not decode the
        path (a quoted "%3A" would name another, empty conversation)."""
        conversation = urllib.parse.quote(self.conversation_id(sender, customer), safe=":@")
        url = f"{self.url}/conversations/{conversation}/tracker?token={urllib.parse.quote(self.rasa_token)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())
