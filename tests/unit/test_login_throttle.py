"""Failed console sign-ins per username and per client address, in a 15-minute window."""
from bot.handoff.login_throttle import LoginThrottle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_username_is_throttled_from_any_address_and_an_address_for_any_username():
    clock = Clock()
    throttle = LoginThrottle(3, window_s=900, clock=clock)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert throttle.retry_after("li", address) is None
        throttle.failed("li", address)
    assert throttle.retry_after("LI", "10.0.0.9") == 900  # the username, from a new address
    assert throttle.retry_after("wang", "10.0.0.9") is None
    for name in ("a1", "a2", "a3"):
        throttle.failed(name, "10.0.0.7")
    assert throttle.retry_after("never-tried", "10.0.0.7") == 900  # the address, for a new username
    clock.now += 600
    assert throttle.retry_after("li", "10.0.0.9") == 300
    clock.now += 300
    assert throttle.retry_after("li", "10.0.0.9") is None  # the failures left the window


def test_a_right_password_clears_the_usernames_count_but_not_the_addresss():
    throttle = LoginThrottle(2, clock=Clock())
    assert throttle.begin("li", "10.0.0.1") is None  # a wrong password: counts for li and the address
    assert throttle.begin("li", "10.0.0.1") is None  # the right one: that attempt no longer counts
    throttle.succeeded("li", "10.0.0.1")
    assert throttle.retry_after("li", "10.0.0.2") is None  # li's count is cleared
    assert throttle.begin("wang", "10.0.0.1") is None  # the address's second failure
    assert throttle.begin("zhao", "10.0.0.1") is not None


def test_guesses_made_side_by_side_are_counted_as_they_arrive():
    throttle = LoginThrottle(3, clock=Clock())
    started = [throttle.begin("li", f"10.0.0.{n}") for n in range(10)]  # none has been checked yet
    assert started[:3] == [None, None, None] and all(wait is not None for wait in started[3:])


def test_a_text_that_cannot_be_a_username_counts_for_the_address_only():
    throttle = LoginThrottle(2, clock=Clock())
    huge = "x" * 60_000  # up to the body limit
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        throttle.failed(huge + address, address)
        throttle.failed("<script>", address)
    assert throttle.tracked() == 3  # the three addresses, no 60 kB keys
    assert throttle.retry_after("li", "10.0.0.4") is None
    assert throttle.retry_after("li", "10.0.0.1") is not None  # the address is still counted


def test_an_address_is_kept_short():
    throttle = LoginThrottle(2, clock=Clock())
    throttle.failed("li", "1" * 10_000)
    throttle.failed("wang", "1" * 10_001)
    assert throttle.retry_after("zhao", "1" * 45) is not None  # one key, cut to an IPv6 address's length


def test_the_number_of_tracked_usernames_and_addresses_is_capped(monkeypatch):
    import bot.handoff.login_throttle as module

    monkeypatch.setattr(module, "_TRACKED_KEYS", 100)
    clock = Clock()
    throttle = LoginThrottle(5, clock=clock)
    for n in range(1000):  # all within the window: nothing is old enough to forget
        throttle.failed(f"user{n}", f"10.0.{n // 250}.{n % 250}")
        assert throttle.tracked() <= 100
    assert throttle.retry_after("user999", "10.0.3.249") is None  # under the limit: one failure each
