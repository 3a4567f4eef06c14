"""Several processes on one PostgreSQL database (issue #13): replicas migrating an empty database at once,
ticket and handoff numbers filed at once from two engines, two web servers relaying one reply outbox, a lease
left by a crashed web server taken over, and a claim told to Rasa once across two web servers. Rasa is the
local stand-in of its HTTP API (tests/support/fake_rasa.py). Skipped, naming PostgreSQL, where it is missing."""
import asyncio
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Iterator, List

import aiohttp
import pytest
from sqlalchemy import update

from bot.complaints.tickets import ComplaintDraft, TicketService
from bot.handoff.agents import AgentDirectory
from bot.handoff.claims import HandoffClaims
from bot.handoff.outbox import ReplyDelivery, ReplyOutbox
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.rasa.http_api import RasaConversations
from bot.storage.database import Database, create_database
from bot.storage.migrations import head_revisions, migrate
from bot.storage.models import AgentReply, Handoff, utcnow
from tests.support.fake_rasa import fake_rasa
from tests.support.processes import PROJECT_ROOT
from tests.support.services import fresh_postgres_database

HOURS = {"critical": 2, "high": 4, "normal": 24}
DAY = datetime(2026, 11, 30, 9, 0)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def two_servers(postgres_url) -> Iterator[List[Database]]:
    """The schema, and two engines on it as two web servers would have."""
    first = create_database(postgres_url)
    migrate(first.engine)
    second = create_database(postgres_url)
    yield [first, second]
    for database in (first, second):
        database.engine.dispose()


def test_replicas_starting_together_migrate_an_empty_database_once(postgres_url):
    script = "import sys; from bot.storage.database import create_database; from bot.storage.migrations import " \
             "migrate; print(migrate(create_database(sys.argv[1]).engine))"
    replicas = [subprocess.Popen([sys.executable, "-c", script, postgres_url], cwd=PROJECT_ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(replica.wait(timeout=120), replica.stdout.read().strip(), replica.stderr.read())
               for replica in replicas]
    for replica in replicas:
        replica.stdout.close()
        replica.stderr.close()
    assert [(code, out) for code, out, _ in results] == [(0, ", ".join(head_revisions()))] * 3, results


def complaint(n: int) -> ComplaintDraft:
    return ComplaintDraft(conversation_id=f"web:c{n}", customer_id=None, category="delivery",
                          description=f"第{n}个包裹一个星期了还没到", emotion_level="upset", emotion_score=0.5,
                          language="zh")


def test_two_servers_filing_fifty_tickets_each_at_once_get_a_hundred_consecutive_numbers(two_servers):
    def file_fifty(index: int) -> List[str]:
        tickets = TicketService(two_servers[index], HOURS)
        return [tickets.submit(complaint(index * 1000 + n), now=DAY).number for n in range(50)]

    with ThreadPoolExecutor(2) as pool:
        numbers = [number for batch in pool.map(file_fifty, range(2)) for number in batch]
    assert sorted(numbers) == [f"TK261130{n:04d}" for n in range(1, 101)]


def test_two_servers_queueing_handoffs_at_once_get_consecutive_numbers(two_servers):
    def queue_twenty(index: int) -> List[str]:
        queue = HandoffQueue(two_servers[index])
        return [queue.request(HandoffRequest(f"web:h{index}-{n}", "socketio", None, "zh", "regular", "calm",
                                             "explicit", {"summary": {"zh": "s"}}), available=True, now=DAY).number
                for n in range(20)]

    with ThreadPoolExecutor(2) as pool:
        numbers = [number for batch in pool.map(queue_twenty, range(2)) for number in batch]
    assert sorted(numbers) == [f"HD261130{n:04d}" for n in range(1, 41)]


def claimed_handoff(database: Database, agent_id: int, conversation: str) -> int:
    handoff = HandoffQueue(database).request(
        HandoffRequest(conversation, "socketio", None, "zh", "regular", "calm", "explicit", {"summary": {"zh": "s"}}),
        available=True, now=DAY)
    with database.session() as session, session.begin():
        session.execute(update(Handoff).where(Handoff.id == handoff.id)
                        .values(status="claimed", agent_id=agent_id, claimed_at=utcnow()))
    return handoff.id


class UnevenRasa:
    """Rasa's HTTP API answering each call after a short, random while (as under load), so that the two
    servers' deliveries interleave."""

    def __init__(self, rasa: RasaConversations) -> None:
        self._rasa = rasa

    async def say(self, *args, **kwargs):
        await asyncio.sleep(random.uniform(0, 0.01))
        return await self._rasa.say(*args, **kwargs)

    async def has_reply(self, *args, **kwargs):
        return await self._rasa.has_reply(*args, **kwargs)


def said(calls):
    """What reached each conversation, in order: {conversation: [text, …]}."""
    found = {}
    for call in calls:
        if call[0] == "events" and call[2][0].get("event") == "bot":
            found.setdefault(call[1], []).append(call[2][0]["text"])
    return found


def relay_with_two_servers(servers: List[Database], scenario) -> list:
    """Runs `scenario(deliveries)` with one ReplyDelivery per server (each its own engine and HTTP session) against
    the stand-in of Rasa; returns the calls Rasa got."""
    calls: list = []

    async def main():
        runner, url = await fake_rasa(calls, {})
        try:
            async with aiohttp.ClientSession() as first, aiohttp.ClientSession() as second:
                deliveries = [ReplyDelivery(ReplyOutbox(db), AgentDirectory(db), UnevenRasa(RasaConversations(url, s)),
                                            backoff_base_s=0) for db, s in zip(servers, (first, second))]
                await scenario(deliveries)
        finally:
            await runner.cleanup()

    asyncio.run(main())
    return calls


def test_two_web_servers_relaying_one_outbox_deliver_every_reply_once_and_in_order(two_servers):
    database = two_servers[0]
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    outbox = ReplyOutbox(database)
    conversations = [f"web:customer-{n}" for n in range(5)]
    handoffs = {c: claimed_handoff(database, agent.id, c) for c in conversations}
    for n in range(10):
        for conversation in conversations:
            outbox.add_reply(handoffs[conversation], agent.id, f"{conversation} 第{n + 1}条")

    async def both_relays(deliveries):
        async def relay(delivery):
            for _ in range(200):  # the relay's rounds, until the outbox is empty
                await delivery.deliver_pending()
                if not await asyncio.get_running_loop().run_in_executor(None, outbox.undelivered):
                    return
        await asyncio.gather(*(relay(d) for d in deliveries))

    calls = relay_with_two_servers(two_servers, both_relays)
    assert said(calls) == {c: [f"{c} 第{n + 1}条" for n in range(10)] for c in conversations}
    replies = [reply for handoff_id in handoffs.values() for reply in outbox.replies(handoff_id)]
    assert len(replies) == 50 and all(r.delivered_at is not None and r.attempts == 1 for r in replies)


def test_a_lease_left_by_a_crashed_web_server_runs_out_and_the_reply_goes_out_once(two_servers):
    database = two_servers[0]
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    outbox = ReplyOutbox(database)
    handoff_id = claimed_handoff(database, agent.id, "web:wang")
    held = outbox.add_reply(handoff_id, agent.id, "您好，我是小李")
    later = outbox.add_reply(handoff_id, agent.id, "马上为您处理")
    with database.session() as session, session.begin():  # the server that took it died mid-way
        session.execute(update(AgentReply).where(AgentReply.id == held.id)
                        .values(claimed_by="web-1:4242:dead", lease_until=utcnow() + timedelta(seconds=30)))

    async def scenario(deliveries):
        assert await deliveries[1].deliver_pending() == 0  # still leased: not sent, and nothing after it either
        with database.session() as session, session.begin():  # …until the lease runs out
            session.execute(update(AgentReply).where(AgentReply.id == held.id)
                            .values(lease_until=utcnow() - timedelta(seconds=1)))
        assert await deliveries[1].deliver_pending() == 2

    calls = relay_with_two_servers(two_servers, scenario)
    assert said(calls) == {"web:wang": ["您好，我是小李", "马上为您处理"]}
    assert outbox.get_reply(later.id).delivered_at is not None


def test_a_claim_is_told_to_rasa_once_when_two_web_servers_tell_it_at_once(two_servers):
    database = two_servers[0]
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    handoff = HandoffQueue(database).request(
        HandoffRequest("web:zhang", "socketio", None, "zh", "regular", "calm", "explicit", {"summary": {"zh": "s"}}),
        available=True, now=DAY)
    calls: list = []

    async def main():
        runner, url = await fake_rasa(calls, {})
        try:
            async with aiohttp.ClientSession() as first, aiohttp.ClientSession() as second:
                servers = []
                for db, http in zip(two_servers, (first, second)):
                    rasa = UnevenRasaFull(RasaConversations(url, http))
                    servers.append(HandoffClaims(db, AgentDirectory(db),
                                                 ReplyDelivery(ReplyOutbox(db), AgentDirectory(db), rasa), rasa))
                result = await servers[0].claim(handoff.id, agent.id)
                assert result.claimed
                # Both servers' relays find the step pending (say the first one's call to Rasa timed out).
                with database.session() as session, session.begin():
                    session.execute(update(Handoff).where(Handoff.id == handoff.id)
                                    .values(rasa_pending="claimed"))
                await asyncio.gather(servers[0].retry_pending(), servers[1].retry_pending(),
                                     servers[1].retry_pending())
        finally:
            await runner.cleanup()

    asyncio.run(main())
    executed = [c[2] for c in calls if c[0] == "execute"]
    assert executed.count("action_agent_joined") == 2  # the claim, then exactly one of the three retries


class UnevenRasaFull(UnevenRasa):
    """The whole gateway, each call after a short random while."""

    def __getattr__(self, name):
        method = getattr(self._rasa, name)

        async def slow(*args, **kwargs):
            await asyncio.sleep(random.uniform(0, 0.01))
            return await method(*args, **kwargs)
        return slow
