"""The Redis lock store the cluster's Rasa servers share (bot/rasa/redis_lock_store.py), against the machine's
Redis: processes taking messages of one conversation at the same moment hold its lock one at a time, in the
order their tickets were issued, and leave no lock behind."""
import asyncio
import threading
import time
import uuid

import redis
from rasa.utils.endpoints import EndpointConfig

from bot.rasa.redis_lock_store import AtomicRedisLockStore
from bot.runtime.endpoints import lock_store_endpoint
from tests.support.services import fresh_redis_prefix, require_redis


def store(redis_url: str, prefix: str) -> AtomicRedisLockStore:
    endpoint = lock_store_endpoint(redis_url, prefix)
    endpoint.pop("type")
    return AtomicRedisLockStore(EndpointConfig(**endpoint))


def test_two_servers_never_hold_one_conversations_lock_at_once():
    redis_url = require_redis()
    prefix = fresh_redis_prefix()
    conversation = f"rest:tests:{uuid.uuid4().hex[:8]}"
    inside, most_inside, done = [0], [0], []
    guard = threading.Lock()
    start = threading.Barrier(4)

    def server(name: str) -> None:  # one Rasa server: its own store, its own event loop, messages at once
        lock_store = store(redis_url, prefix)

        async def message(number: int) -> None:
            async with lock_store.lock(conversation, wait_time_in_seconds=0.01):
                with guard:
                    inside[0] += 1
                    most_inside[0] = max(most_inside[0], inside[0])
                await asyncio.sleep(0.005)  # processing: the other server must wait
                with guard:
                    inside[0] -= 1
                    done.append((name, number))

        async def messages() -> None:
            for number in range(5):
                await message(number)

        start.wait()
        asyncio.run(messages())

    threads = [threading.Thread(target=server, args=(f"server-{i}",)) for i in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(done) == 20, done
    assert most_inside[0] == 1
    assert time.monotonic() - started < 60
    client = redis.Redis.from_url(redis_url)
    assert client.get(store(redis_url, prefix).key_prefix + conversation) is None  # nothing left behind
