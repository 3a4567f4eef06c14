"""Starts the real cluster (`python -m bot run --replicas 2`) for the cluster tests: a fresh PostgreSQL
database, a Redis key prefix and RabbitMQ queue of its own, unique ports, nginx in front. Stops everything at
the end, even when a test or the start failed (`running_cluster`).

Each kind of server takes consecutive ports from its base (Rasa server i: rasa_base + i), nginx the public
port and the next one (its loopback-only door to Rasa's API)."""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

from bot.runtime.ports import free_port_block
from tests.support.processes import PROJECT_ROOT, REST_INTEGRATION
from tests.support.services import (fresh_postgres_database, fresh_redis_prefix, require_postgres,
                                    require_rabbitmq, require_redis)


def require_nginx() -> str:
    """nginx's path, or a skip naming it (scripts/ensure_nginx.sh installs it; `make test` runs that)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        reason = "needs nginx (not installed here: scripts/ensure_nginx.sh installs it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; CI machines run it, so this is a failure, not a skip")
        pytest.skip(reason)
    return found


@dataclass
class ClusterProcess:
    var_dir: Path
    database_url: str
    redis_url: str
    broker_url: str = ""
    redis_prefix: str = field(default_factory=fresh_redis_prefix)
    replicas: int = 2
    extra_env: Dict[str, str] = field(default_factory=dict)
    rasa_base: int = 0
    action_base: int = 0
    web_base: int = 0
    public_port: int = 0
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    rest_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    customer_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None

    def __post_init__(self) -> None:
        self.rasa_base = self.rasa_base or free_port_block(self.replicas)
        self.action_base = self.action_base or free_port_block(self.replicas)
        self.web_base = self.web_base or free_port_block(self.replicas)
        self.public_port = self.public_port or free_port_block(2)

    # -- addresses ---------------------------------------------------------------------------------------
    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def internal_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port + 1}"

    def rasa_port(self, index: int) -> int:
        return self.rasa_base + index

    def rasa_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.rasa_port(index)}"

    def web_url(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.web_base + index}"

    @property
    def access_log(self) -> Path:
        return self.var_dir / "cluster" / "nginx-access.log"

    # -- lifecycle ---------------------------------------------------------------------------------------
    def environment(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(
            BOT_RASA_PORT=str(self.rasa_base), BOT_ACTION_PORT=str(self.action_base),
            BOT_WEB_PORT=str(self.web_base), BOT_PUBLIC_PORT=str(self.public_port),
            BOT_VAR_DIR=str(self.var_dir), BOT_DATABASE_URL=self.database_url,
            BOT_REDIS_URL=self.redis_url, BOT_REDIS_PREFIX=self.redis_prefix, BOT_BROKER_URL=self.broker_url,
            BOT_RASA_TOKEN=self.rasa_token, BOT_REST_TOKENS=f"{REST_INTEGRATION}:{self.rest_token}",
            BOT_CUSTOMER_TOKEN_SECRET=self.customer_secret,
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout_s: float = 600) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.var_dir / "cluster-run.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--replicas", str(self.replicas)], cwd=PROJECT_ROOT,
                env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bot run --replicas exited early:\n{self.log_tail()}")
            if b"is running" in self.log_path.read_bytes():
                return
            time.sleep(1)
        raise RuntimeError(f"the cluster did not come up in {timeout_s:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout_s: float = 60) -> None:
        """SIGTERM to the run command (which stops its children); whatever is left is killed."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid, _command in self.leftover_processes():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def leftover_processes(self) -> List[Tuple[int, str]]:
        """Processes still serving this cluster's ports or running its nginx."""
        out = subprocess.run(["ps", "-eww", "-o", "pid=,args="], capture_output=True, text=True).stdout
        ports = [self.rasa_base + i for i in range(self.replicas)] + \
                [self.action_base + i for i in range(self.replicas)] + \
                [self.web_base + i for i in range(self.replicas)]
        marks = [re.compile(rf"--port {port}(\s|$)") for port in ports]
        found = []
        for line in out.splitlines():
            pid_text, _, command = line.strip().partition(" ")
            if any(m.search(command) for m in marks) or (str(self.var_dir / "cluster") in command
                                                         and "nginx" in command):
                found.append((int(pid_text), command))
        return found

    def log_tail(self, lines: int = 80) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # -- replicas ----------------------------------------------------------------------------------------
    def rasa_pids(self, index: int) -> List[int]:
        """The process(es) of Rasa server `index` (not the supervisor that restarts it)."""
        out = subprocess.run(["ps", "-eww", "-o", "pid=,args="], capture_output=True, text=True).stdout
        mark = re.compile(rf"bot\.rasa\.server_entry run .*--port {self.rasa_port(index)}(\s|$)")
        return [int(line.split()[0]) for line in out.splitlines() if mark.search(line)]

    def kill_rasa(self, index: int) -> List[int]:
        """`kill -9` of Rasa server `index`; returns the pids killed."""
        pids = self.rasa_pids(index)
        assert pids, f"Rasa server {index} is not running"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return pids

    def answers(self, url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status < 500
        except (urllib.error.URLError, OSError):
            return False

    def upstreams_for(self, path_part: str) -> List[str]:
        """The servers (host:port) nginx sent requests whose line contains `path_part` to, from its access log."""
        if not self.access_log.exists():
            return []
        found = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            if path_part in line:
                match = re.search(r"upstream=(\S+)", line)
                if match:
                    found += [u.strip(",") for u in match.group(1).split(",")]
        return found

    # -- a customer and the database ---------------------------------------------------------------------
    def customer_token(self, customer_id: str, lifetime_s: int = 900) -> str:
        from bot.identity.customer_tokens import CustomerTokens

        return CustomerTokens(self.customer_secret).issue(customer_id, lifetime_s)

    def post_message(self, base_url: str, sender: str, message: str,
                     customer: Optional[str] = None) -> Tuple[int, object]:
        payload: Dict[str, object] = {"sender": sender, "message": message}
        if customer:
            payload["metadata"] = {"customer_token": self.customer_token(customer)}
        request = urllib.request.Request(
            f"{base_url}/webhooks/rest/webhook", data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.rest_token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def say(self, base_url: str, sender: str, message: str, customer: Optional[str] = None) -> List[dict]:
        """A REST message through `base_url` (a replica's or nginx's); the bot's messages."""
        status, body = self.post_message(base_url, sender, message, customer)
        assert status == 200, f"{status} from {base_url}: {body}"
        return body  # type: ignore[return-value]

    def conversation_id(self, sender: str, customer: Optional[str] = None) -> str:
        from bot.identity.conversation_ids import conversation_id, rest_local_id

        return conversation_id("rest", rest_local_id(REST_INTEGRATION, sender, customer))

    def tracker(self, conversation: str, index: int = 0) -> dict:
        """A conversation's tracker from Rasa server `index`'s HTTP API (with the token)."""
        quoted = urllib.parse.quote(conversation, safe=":@")
        url = f"{self.rasa_url(index)}/conversations/{quoted}/tracker?token={urllib.parse.quote(self.rasa_token)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())

    def rows(self, sql: str, **params: object) -> List[dict]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url, future=True)
        try:
            with engine.connect() as connection:
                return [dict(r._mapping) for r in connection.execute(text(sql), params)]
        finally:
            engine.dispose()

    def add_agent(self, username: str, name: str, password: str) -> None:
        subprocess.run([sys.executable, "-m", "bot", "agents", "add", username, "--name", name, "--password-stdin"],
                       input=f"{password}\n", text=True, check=True, cwd=PROJECT_ROOT, env=self.environment(),
                       capture_output=True)


@contextmanager
def running_cluster(var_dir: Path, replicas: int = 2, extra_env: Optional[Dict[str, str]] = None
                    ) -> Iterator[ClusterProcess]:
    """The cluster on the machine's services (skips naming a missing one), stopped and its database dropped
    at the end whatever happened."""
    require_postgres()
    redis_url = require_redis()
    broker_url = require_rabbitmq()
    require_nginx()
    with fresh_postgres_database("bot_cluster") as database_url:
        cluster = ClusterProcess(var_dir=var_dir, database_url=database_url, redis_url=redis_url,
                                 broker_url=broker_url, replicas=replicas, extra_env=dict(extra_env or {}))
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()
