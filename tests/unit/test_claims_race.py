"""A close told to Rasa by the console's request while the relay's round finds the same step pending:
Rasa hears it once (twice would resume the bot and ask for the rating twice, and the customer's rating
would then be taken for a misunderstanding: seen in the browser before the lock)."""
import asyncio

from bot.handoff.agents import AgentDirectory
from tests.unit.test_relay import kinds_of, queued, run_with_rasa


def test_a_close_and_the_relays_round_tell_rasa_once(database):
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    handoff = queued(database)

    async def scenario(claims, _delivery, relay, _outbox):
        assert (await claims.claim(handoff.id, agent.id)).claimed
        closing = asyncio.ensure_future(claims.close(handoff.id, agent.id, "resolved"))
        await asyncio.gather(relay.run_once(), relay.run_once(), closing)
        assert claims.pending() == []

    calls = run_with_rasa(database, {}, scenario)
    told = kinds_of(calls)
    assert told.count(("execute", "action_ask_satisfaction")) == 1
    assert told.count(("events", ["resume", "slot", "slot", "slot"])) == 1
