"""What agents do reaches Rasa even when Rasa was down at the time: claims, closes and replies are stored
first, and the relay retries from the database. Rasa is played by a small local HTTP server that
records the calls of Rasa's HTTP API."""
import asyncio
from datetime import datetime

import aiohttp
import pytest

from bot.handoff.agents import AgentDirectory
from bot.handoff.claims import HandoffClaims
from bot.handoff.outbox import ReplyDelivery, ReplyOutbox
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.handoff.records import HandoffError
from bot.handoff.relay import HandoffRelay
from bot.rasa.http_api import RasaConversations
from tests.support.fake_rasa import fake_rasa


def kinds_of(calls):
    """Each call to Rasa as (kind, action name or the event types posted)."""
    return [(c[0], c[2] if c[0] == "execute" else [e.get("event") for e in c[2]]) for c in calls]


def queued(database, conversation="c1"):
    return HandoffQueue(database).request(
        HandoffRequest(conversation, "socketio", None, "zh", "regular", "calm", "explicit", {"summary": {"zh": "s"}}),
        available=True, now=datetime(2026, 11, 23))


def run_with_rasa(database, state, scenario):
    """Runs `scenario(claims, delivery, relay, outbox)` against the fake Rasa; returns Rasa's calls."""
    calls = []

    async def main():
        runner, url = await fake_rasa(calls, state)
        try:
            async with aiohttp.ClientSession() as http:
                rasa = RasaConversations(url, http)
                outbox = ReplyOutbox(database)
                # No waiting between attempts here: these tests are about what reaches Rasa, in what order.
                delivery = ReplyDelivery(outbox, AgentDirectory(database), rasa, backoff_base_s=0)
                claims = HandoffClaims(database, AgentDirectory(database), delivery, rasa)
                await scenario(claims, delivery, HandoffRelay(claims, delivery), outbox)
        finally:
            await runner.cleanup()

    asyncio.run(main())
    return calls


def test_claim_reply_and_resolve_reach_rasa_after_it_comes_back(database):
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    handoff = queued(database)
    state = {"down": True}

    async def scenario(claims, delivery, _relay, outbox):
        claimed = await claims.claim(handoff.id, agent.id)
        assert claimed.claimed and claimed.rasa_warning  # Rasa down: a warning, the step stays pending
        outbox.add_reply(handoff.id, agent.id, "您好")
        assert await delivery.deliver_pending() == 0
        assert [h.rasa_pending for h in claims.pending()] == ["claimed"]
        state["down"] = False
        await claims.retry_pending()
        assert await delivery.deliver_pending() == 1
        closed = await claims.close(handoff.id, agent.id, "resolved")
        assert closed.rasa_warning is None and closed.handoff.status == "resolved"
        assert claims.pending() == [] and outbox.undelivered() == []

    calls = run_with_rasa(database, state, scenario)
    assert kinds_of(calls) == [
        ("events", ["pause", "slot", "slot"]), ("execute", "action_agent_joined"), ("events", ["action"]),
        ("events", ["bot"]),
        ("events", ["resume", "slot", "slot", "slot"]), ("execute", "action_ask_satisfaction"), ("events", ["action"]),
    ]
    bot_event = calls[3][2][0]
    assert bot_event["text"] == "您好" and bot_event["metadata"]["agent"] == "小李"
    assert calls[3][3] == {"output_channel": "latest", "execute_side_effects": "true"}


def test_two_agents_claim_at_once_one_wins_and_rasa_is_told_once(database):
    agents = AgentDirectory(database)
    li, wang = agents.create("li", "小李", "password-1"), agents.create("wang", "小王", "password-2")
    handoff = queued(database)
    results = {}

    async def scenario(claims, _delivery, _relay, _outbox):
        first, second = await asyncio.gather(claims.claim(handoff.id, li.id), claims.claim(handoff.id, wang.id))
        results.update({li.id: first, wang.id: second})

    calls = run_with_rasa(database, {"down": False}, scenario)
    assert sorted(r.claimed for r in results.values()) == [False, True]
    winner = next(agent_id for agent_id, r in results.items() if r.claimed)
    loser = next(r for r in results.values() if not r.claimed)
    assert loser.handoff.agent_id == winner and loser.handoff.status == "claimed"
    pauses = [c for c in calls if c[0] == "events" and c[2][0]["event"] == "pause"]
    assert len(pauses) == 1
    assert pauses[0][2][2]["value"] == {li.id: "小李", wang.id: "小王"}[winner]


def test_only_the_owner_closes_and_rasa_hears_nothing_of_a_refused_close(database):
    agents = AgentDirectory(database)
    owner, other = agents.create("li", "小李", "password-1"), agents.create("wang", "小王", "password-2")
    handoff = queued(database)

    async def scenario(claims, _delivery, _relay, _outbox):
        assert (await claims.claim(handoff.id, owner.id)).claimed
        assert not (await claims.claim(handoff.id, other.id)).claimed  # taken: no second claim
        for outcome in ("resolved", "returned"):
            with pytest.raises(HandoffError):
                await claims.close(handoff.id, other.id, outcome)
        with pytest.raises(HandoffError):
            await claims.close(handoff.id, owner.id, "cancelled")  # not an outcome an agent chooses
        assert HandoffQueue(database).get(handoff.id).status == "claimed"
        assert (await claims.close(handoff.id, owner.id, "returned")).handoff.status == "returned"
        with pytest.raises(HandoffError):
            await claims.close(handoff.id, owner.id, "resolved")  # closed once only

    calls = run_with_rasa(database, {"down": False}, scenario)
    assert kinds_of(calls) == [
        ("events", ["pause", "slot", "slot"]), ("execute", "action_agent_joined"), ("events", ["action"]),
        ("events", ["resume", "slot", "slot", "slot"]), ("execute", "utter_handoff_back_to_bot"),
        ("events", ["action"]),
    ]


def test_the_relay_retries_a_close_made_while_rasa_was_down_last_words_first(database):
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    handoff = queued(database)
    state = {"down": False}

    async def scenario(claims, _delivery, relay, outbox):
        assert (await claims.claim(handoff.id, agent.id)).rasa_warning is None
        state["down"] = True
        outbox.add_reply(handoff.id, agent.id, "已为您退款，再见")
        closed = await claims.close(handoff.id, agent.id, "resolved")
        assert closed.handoff.status == "resolved" and closed.rasa_warning  # stored; Rasa to be told
        assert [h.rasa_pending for h in claims.pending()] == ["resolved"]
        await relay.run_once()  # still down: nothing lost, nothing told
        assert [h.rasa_pending for h in claims.pending()] == ["resolved"] and len(outbox.undelivered()) == 1
        state["down"] = False
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(interval_s=0.05, stop=stop))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if not claims.pending() and not outbox.undelivered():
                break
        stop.set()
        relay.wake()
        await asyncio.wait_for(task, timeout=5)
        assert claims.pending() == [] and outbox.undelivered() == []

    calls = run_with_rasa(database, state, scenario)
    assert kinds_of(calls)[3:] == [
        ("events", ["bot"]),  # the agent's last words before the bot is back
        ("events", ["resume", "slot", "slot", "slot"]), ("execute", "action_ask_satisfaction"), ("events", ["action"]),
    ]
    assert calls[3][2][0]["text"] == "已为您退款，再见"
