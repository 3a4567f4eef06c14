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
