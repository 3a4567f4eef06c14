"""What admins do to agents' accounts, and what the CLI does: deactivation signs the agent out for good
and puts their conversations back in the queue (Rasa is told by the relay); the last admin stays."""
import asyncio
import subprocess
import sys
from datetime import datetime

import pytest

from bot.handoff.agents import AgentDirectory, AgentError, is_admin
from bot.handoff.claims import HandoffClaims
from bot.handoff.outbox import ReplyDelivery, ReplyOutbox
from bot.handoff.passwords import dummy_hash, password_executor, verify_password
from bot.handoff.queue import HandoffQueue, HandoffRequest
from tests.support.processes import PROJECT_ROOT


class Recorder:
    """Rasa's side, in memory: every call succeeds and is recorded."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        async def call(conversation_id, *args):
            self.calls.append((name, conversation_id, *[a for a in args if isinstance(a, str)][:1]))
        return call


def queued(database, conversation):
    return HandoffQueue(database).request(
        HandoffRequest(conversation, "socketio", None, "zh", "regular", "calm", "explicit", {"summary": {"zh": "s"}}),
        available=True, now=datetime(2026, 11, 23))


def test_deactivating_an_agent_ends_their_sessions_and_requeues_their_conversations(database):
    agents = AgentDirectory(database)
    boss = agents.create("boss", "老板", "password-0", role="admin")
    li = agents.create("li", "小李", "password-1")
    assert is_admin(boss) and not is_admin(li)
    token = agents.sign_in("li", "password-1")
    mine, other = queued(database, "web:1"), queued(database, "web:2")
    rasa = Recorder()
    claims = HandoffClaims(database, agents, ReplyDelivery(ReplyOutbox(database), agents, rasa), rasa)
    assert asyncio.run(claims.claim(mine.id, li.id)).claimed

    assert agents.deactivate(li.id) == [mine.id]
    assert agents.agent_for(token) is None  # signed out everywhere
    assert agents.sign_in("li", "password-1") is None  # and cannot sign in
    requeued = HandoffQueue(database).get(mine.id)
    assert (requeued.status, requeued.agent_id, requeued.rasa_pending) == ("queued", None, "requeued")
    assert requeued.created_at == mine.created_at  # keeps its place
    assert HandoffQueue(database).get(other.id).rasa_pending is None
    assert not agents.get(li.id).active and [m.agent.username for m in agents.team()] == ["boss"]

    asyncio.run(claims.retry_pending())  # the relay tells Rasa: back in the queue, and where
    assert rasa.calls[-2:] == [("return_to_queue", "web:1"), ("execute", "web:1", "action_handoff_waiting")]
    assert HandoffQueue(database).get(mine.id).rasa_pending is None

    agents.reactivate(li.id)
    assert agents.sign_in("li", "password-1") is not None


def test_the_last_active_admin_cannot_be_deactivated(database):
    agents = AgentDirectory(database)
    boss = agents.create("boss", "老板", "password-0", role="admin")
    with pytest.raises(AgentError):
        agents.deactivate(boss.id)
    second = agents.create("boss2", "二老板", "password-2", role="admin")
    assert agents.deactivate(boss.id) == []
    with pytest.raises(AgentError):
        agents.deactivate(second.id)


def test_a_new_password_ends_every_session_of_the_agent(database):
    agents = AgentDirectory(database)
    agents.create("li", "小李", "password-1")
    agents.create("wang", "小王", "password-2")
    first, second = agents.sign_in("li", "password-1"), agents.sign_in("li", "password-1")
    other = agents.sign_in("wang", "password-2")
    agents.set_password("li", "password-new-1")
    assert agents.agent_for(first) is None and agents.agent_for(second) is None  # a stolen cookie dies with it
    assert agents.agent_for(other) is not None  # nobody else is signed out
    assert agents.sign_in("li", "password-1") is None and agents.sign_in("li", "password-new-1") is not None


def test_unknown_usernames_cost_one_scrypt_against_a_hash_made_once():
    assert dummy_hash() == dummy_hash() and dummy_hash().startswith("scrypt$")
    assert not verify_password("anything", dummy_hash())
    assert password_executor() is password_executor()
    assert password_executor()._max_workers == 2


def test_the_cli_deactivates_and_reactivates(tmp_settings, database):
    env = {**tmp_settings.as_environment(), "PATH": "/usr/bin:/bin"}

    def cli(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "bot", "agents", *args], input=stdin, text=True,
                              capture_output=True, cwd=PROJECT_ROOT, env=env)

    assert cli("add", "zhou", "--name", "小周", "--password-stdin", stdin="zhou-password\n").returncode == 0
    assert cli("add", "root", "--role", "admin", "--password-stdin", stdin="root-password\n").returncode == 0
    done = cli("deactivate", "zhou")
    assert done.returncode == 0 and "deactivated" in done.stdout
    assert any(line.startswith("zhou") and "deactivated" in line for line in cli("list").stdout.splitlines())
    assert AgentDirectory(database).sign_in("zhou", "zhou-password") is None
    assert cli("deactivate", "nobody").returncode == 1
    assert cli("deactivate", "root").returncode == 1  # the last admin
    assert cli("reactivate", "zhou").returncode == 0
    assert AgentDirectory(database).sign_in("zhou", "zhou-password") is not None
