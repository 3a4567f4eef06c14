"""The embedded default over the real servers (`python -m bot run`: Rasa with its SQL event broker, the action
server, the web server reading the feed): an agent's open event stream hears a customer ask for a person, and
what the customer writes reaches the agent's transcript through the feed, not Rasa's tracker store."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from tests.support.processes import PROJECT_ROOT, AssistantProcess

ALWAYS_OPEN = {"BOT_SERVICE_HOURS": "00:00-24:00", "BOT_SERVICE_DAYS": "1-7"}


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp("push-var"), extra_env=ALWAYS_OPEN)
    process.start()
    subprocess.run([sys.executable, "-m", "bot", "agents", "add", "li", "--name", "小李", "--password-stdin"],
                   input="pass-li-123\n", text=True, check=True, cwd=PROJECT_ROOT, env=process.environment(),
                   capture_output=True)
    yield process
    process.stop()


async def next_event(response: aiohttp.ClientResponse, timeout: float = 30.0):
    kind, data = "message", None
    while True:
        line = (await asyncio.wait_for(response.content.readline(), timeout)).decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and data is not None:
            return kind, data


async def until(response, wanted, timeout: float = 60.0):
    loop = asyncio.get_running_loop()
    deadline, seen = loop.time() + timeout, []
    while not seen or not wanted(*seen[-1]):
        seen.append(await next_event(response, max(0.5, deadline - loop.time())))
    return seen


def test_the_agent_is_told_of_a_new_request_and_reads_the_customer_through_the_feed(assistant):
    sender = f"push-{uuid.uuid4().hex[:6]}"
    origin = {"Origin": assistant.web_url}

    async def scenario():
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as agent:
            async with agent.post(f"{assistant.web_url}/api/login", json={"username": "li", "password": "pass-li-123"},
                                  headers=origin) as login:
                assert login.status == 200
            async with agent.get(f"{assistant.web_url}/api/stream") as stream:
                assert stream.status == 200 and await next_event(stream) == ("ready", {})
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, assistant.say, sender, "耳机左边没声音")
                await loop.run_in_executor(None, assistant.say, sender, "我要转人工")
                await until(stream, lambda kind, data: kind == "queue")
                async with agent.get(f"{assistant.web_url}/api/overview") as response:
                    queue = (await response.json())["queue"]
                handoff = next(h for h in queue if h["conversation_id"].endswith(sender))
                await until(stream, lambda kind, data: kind == "messages" and data["handoff"] == handoff["id"])
                async with agent.get(f"{assistant.web_url}/api/handoffs/{handoff['id']}/messages") as response:
                    messages = (await response.json())["messages"]
                said = [m["text"] for m in messages if m["who"] == "customer"]
                assert said == ["耳机左边没声音", "我要转人工"]
                assert any(m["who"] == "bot" for m in messages)

                # the customer writes while waiting: the agent's open conversation is told, and shows it
                await loop.run_in_executor(None, assistant.say, sender, "订单号是 GD2611200003")
                await until(stream, lambda kind, data: kind == "messages" and data["handoff"] == handoff["id"])
                after = messages[-1]["id"]
                async with agent.get(f"{assistant.web_url}/api/handoffs/{handoff['id']}/messages?after={after}") as r:
                    newer = (await r.json())["messages"]
                assert [m["text"] for m in newer if m["who"] == "customer"] == ["订单号是 GD2611200003"]
        return handoff

    asyncio.run(scenario())
    # the transcript came from our feed table, filled from Rasa's SQL broker on a file of its own
    engine = create_engine(f"sqlite:///{assistant.var_dir / 'assistant.db'}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT COUNT(*) FROM conversation_events WHERE conversation_id LIKE :c"),
                                    {"c": f"%{sender}"}).scalar()
    engine.dispose()
    assert stored >= 6 and (assistant.var_dir / "event_broker.db").exists()
