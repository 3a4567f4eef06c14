"""Shared state in the embedded default (no Redis): the windows and the store in the process's memory, with
the same behaviour the Redis ones have (tests/integration/test_shared_state_redis.py)."""
import asyncio

from bot.settings import load_settings
from bot.shared_state.factory import namespace, shared_async_windows, shared_store, shared_windows
from bot.shared_state.store import LocalStore
from bot.shared_state.windows import LocalWindows


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_an_event_under_several_keys_is_admitted_only_when_all_are_under_their_limit():
    clock = Clock()
    windows = LocalWindows(2, 900, clock=clock)
    assert windows.admit("username:li", "address:10.0.0.1") is None
    clock.now += 100
    assert windows.admit("username:wang", "address:10.0.0.1") is None
    assert windows.admit("username:zhao", "address:10.0.0.1") == 800  # zhao is not counted
    assert windows.retry_after("username:zhao") is None
    windows.drop_latest("address:10.0.0.1")
    assert windows.admit("username:zhao", "address:10.0.0.1") is None
    windows.clear("username:li")
    assert windows.retry_after("username:li") is None
    for _ in range(5):
        windows.add("username:li")  # beyond the limit: the oldest are forgotten
    assert windows.retry_after("username:li") == 900


def test_the_memory_holds_a_bounded_number_of_keys():
    windows = LocalWindows(3, 60, clock=Clock(), max_keys=50)
    for n in range(500):  # all within the window: nothing is idle
        windows.admit(f"203.0.{n // 250}.{n % 250}")
        assert windows.tracked() <= 50
    assert windows.admit("203.0.1.249") is None  # the newest are kept, each under its limit


def test_the_store_expires_values_and_takes_a_lock_once():
    clock = Clock()
    store = LocalStore(clock)

    async def scenario():
        await store.put("token", "t1", 60)
        assert await store.get("token") == "t1"
        assert await store.put_new("lock", "me", 10)
        assert not await store.put_new("lock", "other", 10)
        assert not await store.delete("lock", only_if="other") and await store.get("lock") == "me"
        assert await store.delete("lock", only_if="me")
        clock.now += 61
        assert await store.get("token") is None
        assert await store.put_new("lock", "other", 10)

    asyncio.run(scenario())


def test_without_redis_everything_stays_in_the_process(tmp_path):
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    assert not settings.cluster and namespace(settings, "login") == "bot:login:"
    first, second = shared_windows(settings, "login", 1, 60), shared_windows(settings, "login", 1, 60)
    assert first.admit("address:10.0.0.1") is None and first.admit("address:10.0.0.1") == 60
    assert second.admit("address:10.0.0.1") is None  # another process's count: not shared without Redis

    async def scenario():
        windows = shared_async_windows(settings, "rate:sender", 2, 60)
        store = shared_store(settings, "wechat")
        await store.put("k", "v", 5)
        return [await windows.admit("web:abc") for _ in range(3)], await store.get("k")

    assert asyncio.run(scenario()) == ([None, None, 60], "v")
