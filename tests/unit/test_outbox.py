"""The agents' reply outbox when delivery goes wrong: order per conversation (not across them), permanent
failures shown and no longer retried, retries capped with backoff, and never a reply twice after a crash.
Rasa is the local stand-in of its HTTP API (tests/support/fake_rasa.py)."""
import asyncio
from datetime import datetime, timedelta

import aiohttp

from bot.handoff.agents import AgentDirectory
from bot.handoff.claims import HandoffClaims
from bot.handoff.outbox import ReplyDelivery, ReplyOutbox, retry_delay
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.rasa.http_api import RasaConversations
from bot.storage.models import utcnow
from tests.support.fake_rasa import fake_rasa


def claimed(database, agent_id, conversation):
    handoff = HandoffQueue(database).request(
        HandoffRequest(conversation, "socketio", None, "zh", "regular", "calm", "explicit", {"summary": {"zh": "s"}}),
        available=True, now=datetime(2026, 11, 23))
    from sqlalchemy import update

    from bot.storage.models import Handoff

    with database.session() as session, session.begin():
        session.execute(update(Handoff).where(Handoff.id == handoff.id)
                        .values(status="claimed", agent_id=agent_id, claimed_at=utcnow()))
    return handoff


def said(calls):
    """What reached each conversation, in order: [(conversation, text)]."""
    return [(c[1], c[2][0]["text"]) for c in calls if c[0] == "events" and c[2][0].get("event") == "bot"]


def run(database, state, scenario, **delivery_options):
    calls = []

    async def main():
        runner, url = await fake_rasa(calls, state)
        try:
            async with aiohttp.ClientSession() as http:
                rasa = RasaConversations(url, http)
                outbox = ReplyOutbox(database)
                delivery = ReplyDelivery(outbox, AgentDirectory(database), rasa, **delivery_options)
                await scenario(outbox, delivery, rasa)
        finally:
            await runner.cleanup()

    asyncio.run(main())
    return calls


def test_an_undeliverable_reply_blocks_only_its_own_conversation_and_is_failed_for_good(database):
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    gone, here = claimed(database, agent.id, "web:gone"), claimed(database, agent.id, "web:here")
    state = {"down": False, "refuse": {"web:gone"}}

    async def scenario(outbox, delivery, rasa):
        first = outbox.add_reply(gone.id, agent.id, "您好？")
        outbox.add_reply(here.id, agent.id, "您好，我是小李")
        assert await delivery.deliver_pending() == 1  # the other conversation's reply went through
        failed = outbox.get_reply(first.id)
        assert failed.failed_at is not None and "400" in failed.last_error and failed.attempts == 1
        later = outbox.add_reply(gone.id, agent.id, "还在吗？")  # a refusal holds up no later reply either
        for _ in range(3):  # the relay's next rounds: the failed reply is not tried again
            await delivery.deliver_pending()
        assert outbox.get_reply(first.id).attempts == 1
        assert outbox.get_reply(later.id).failed_at is not None and outbox.undelivered() == []

    calls = run(database, state, scenario)
    assert said(calls) == [("web:here", "您好，我是小李")]


def test_a_reply_that_keeps_failing_waits_longer_each_time_then_fails_and_holds_up_only_its_conversation(database):
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    a, b = claimed(database, agent.id, "web:a"), claimed(database, agent.id, "web:b")
    state = {"down": True}

    async def scenario(outbox, delivery, rasa):
        first = outbox.add_reply(a.id, agent.id, "第一句")
        second = outbox.add_reply(a.id, agent.id, "第二句")
        assert await delivery.deliver_pending() == 0
        reply = outbox.get_reply(first.id)
        assert reply.attempts == 1 and reply.next_attempt_at > utcnow()  # backing off
        assert outbox.get_reply(second.id).attempts == 0  # waits behind the first: order kept
        state["down"] = False
        other = outbox.add_reply(b.id, agent.id, "另一位客户")
        assert await delivery.deliver_pending() == 1  # b goes; a is still backing off
        assert outbox.get_reply(other.id).delivered_at is not None
        assert outbox.get_reply(first.id).delivered_at is None
        state["down"] = True
        tried_at = []
        for _ in range(40):  # each attempt is made once it is due, until the cap (3 here)
            await asyncio.sleep(0.05)
            attempts = outbox.get_reply(first.id).attempts
            await delivery.deliver_pending()
            if outbox.get_reply(first.id).attempts > attempts:
                tried_at.append(asyncio.get_running_loop().time())
            if outbox.get_reply(first.id).failed_at:
                break
        reply = outbox.get_reply(first.id)
        assert reply.attempts == 3 and reply.failed_at is not None and "3 attempts" in reply.last_error
        assert tried_at[1] - tried_at[0] >= 0.5  # the second wait was twice the first (0.3 s, then 0.6 s)
        # The failed one no longer holds up the second (tried in that same round, now backing off itself).
        state["down"] = False
        for _ in range(40):
            await asyncio.sleep(0.05)
            if await delivery.deliver_pending():
                break
        assert outbox.get_reply(second.id).delivered_at is not None

    calls = run(database, state, scenario, max_attempts=3, backoff_base_s=0.3)
    assert said(calls) == [("web:b", "另一位客户"), ("web:a", "第二句")]


def test_backoff_doubles_up_to_the_cap():
    assert [retry_delay(n, 2, 30) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]


def test_a_reply_attempted_but_not_marked_before_a_crash_is_not_sent_twice(database):
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    handoff = claimed(database, agent.id, "web:c")
    state = {"down": False}

    async def scenario(outbox, delivery, rasa):
        reply = outbox.add_reply(handoff.id, agent.id, "已为您退款")
        # The crash: the attempt was recorded and Rasa took the message, but the process died before
        # marking it delivered.
        outbox.start_attempt(reply.id)
        await rasa.say("web:c", "已为您退款", "小李", reply.id)
        assert outbox.get_reply(reply.id).delivered_at is None
        # The restarted process's relay: found in the conversation, marked, not sent again.
        assert await delivery.deliver_pending() == 1
        assert outbox.get_reply(reply.id).delivered_at is not None
        # One that was attempted but never reached Rasa is sent, once.
        lost = outbox.add_reply(handoff.id, agent.id, "还有别的问题吗？")
        outbox.start_attempt(lost.id)
        assert await delivery.deliver_pending() == 1

    calls = run(database, state, scenario)
    assert said(calls) == [("web:c", "已为您退款"), ("web:c", "还有别的问题吗？")]


def test_the_widget_gets_safe_markdown_and_the_stored_reply_stays_as_typed(database):
    agent = AgentDirectory(database).create("li", "小李", "password-1")
    handoff = claimed(database, agent.id, "web:d")
    typed = "点这里 [领取优惠](javascript:alert(1)) 或 <img src=x onerror=alert(1)>，详见 [说明](https://shop.example/a)"

    async def scenario(outbox, delivery, rasa):
        reply = outbox.add_reply(handoff.id, agent.id, typed)
        await delivery.deliver_pending()
        assert outbox.get_reply(reply.id).text == typed

    calls = run(database, {"down": False}, scenario)
    sent = said(calls)[0][1]
    assert "领取优惠\\](javascript:" in sent and "<img" not in sent  # no link, no tag: text
    assert "[说明](https://shop.example/a)" in sent and "领取优惠" in sent


def test_a_close_waits_for_the_last_words_and_does_not_hold_up_other_conversations(database):
    agents = AgentDirectory(database)
    agent = agents.create("li", "小李", "password-1")
    stuck, fine = claimed(database, agent.id, "web:stuck"), claimed(database, agent.id, "web:fine")
    state = {"down": False, "refuse": set()}
    from sqlalchemy import update

    from bot.storage.models import AgentReply

    async def scenario(outbox, delivery, rasa):
        claims = HandoffClaims(database, agents, delivery, rasa)
        reply = outbox.add_reply(stuck.id, agent.id, "最后一句")
        with database.session() as session, session.begin():  # backing off after a failed attempt
            session.execute(update(AgentReply).where(AgentReply.id == reply.id)
                            .values(attempts=1, next_attempt_at=utcnow() + timedelta(hours=1)))
        closing = await claims.close(stuck.id, agent.id, "resolved")
        assert "still to be delivered" in closing.rasa_warning  # the survey waits for the last words
        closed = await claims.close(fine.id, agent.id, "returned")
        assert closed.rasa_warning is None
        await claims.retry_pending()  # the stuck one holds up nobody
        assert [h.id for h in claims.pending()] == [stuck.id]

    calls = run(database, state, scenario)
    assert [c[2] for c in calls if c[0] == "execute"] == ["utter_handoff_back_to_bot"]


def test_a_database_from_before_gains_the_new_columns(tmp_settings):
    """A database of a release before the outbox's and the WeChat inbox's columns (legacy version 5) gains them,
    and the cluster's reply lease."""
    from sqlalchemy import inspect

    from bot.storage.database import create_database
    from bot.storage.legacy_migrations import upgrade_legacy
    from bot.storage.migrations import migrate

    database = create_database(tmp_settings.database_url)
    with database.engine.begin() as connection:  # as the tables stood before these columns
        assert upgrade_legacy(connection, target=5) == 5
    migrate(database.engine)
    columns = {t: {c["name"] for c in inspect(database.engine).get_columns(t)}
               for t in ("agent_replies", "wechat_inbound")}
    assert {"next_attempt_at", "failed_at", "claimed_by", "lease_until"} <= columns["agent_replies"]
    assert "text" in columns["wechat_inbound"]
    database.engine.dispose()


def test_what_rasa_answers_decides_whether_a_reply_is_worth_retrying():
    """A 4xx about the conversation, or the customer's channel saying "undeliverable" through Rasa's 500
    (WeChat's 45015: past the 48-hour window), is for good; Rasa restarting or our token refused is not."""
    from bot.handoff.gateway import ConversationRefused
    from bot.rasa.http_api import _refusal

    wechat_window = ('{"status": "failure", "reason": "ConversationError", "message": "An unexpected error '
                     'occurred. Error: [undeliverable] /cgi-bin/message/custom/send failed: 45015 response out '
                     'of time limit (past the 48-hour window)"}')
    assert isinstance(_refusal(500, wechat_window), ConversationRefused)
    assert isinstance(_refusal(400, '{"reason": "BadRequest"}'), ConversationRefused)
    assert isinstance(_refusal(404, "not found"), ConversationRefused)
    for transient in (500, 502, 503, 401, 403, 429):
        assert not isinstance(_refusal(transient, "restarting"), ConversationRefused)
