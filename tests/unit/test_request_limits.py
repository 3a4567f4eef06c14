"""Request limits of the Rasa server: the sliding window, who the caller is, which paths are limited."""
from bot.rasa.request_limits import client_address, is_limited_per_address, presents_integration_token
from bot.shared_state.windows import LocalWindows


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_window_slides_and_counts_only_what_it_lets_through():
    clock = Clock()
    window = LocalWindows(3, window_s=60, clock=clock)
    assert [window.admit("a") for _ in range(4)] == [None, None, None, 60]
    assert window.admit("b") is None  # another key has its own window
    assert window.retry_after("a") == 60
    clock.now += 30
    assert window.admit("a") == 30 and window.retry_after("a") == 30
    clock.now += 30.5
    assert window.admit("a") is None  # the first three are out of the window; the refused ones never counted


def test_idle_keys_are_forgotten():
    clock = Clock()
    window = LocalWindows(2, window_s=60, clock=clock, sweep_every=10)
    for n in range(9):
        window.admit(f"k{n}")
    clock.now += 61
    window.admit("fresh")  # the tenth call sweeps
    assert window.tracked() == 1


def test_forwarded_for_is_trusted_only_from_a_proxy_on_this_machine():
    assert client_address("203.0.113.9", None) == "203.0.113.9"
    assert client_address("203.0.113.9", "198.51.100.1") == "203.0.113.9"  # a client cannot pick its address
    assert client_address("127.0.0.1", "10.9.9.9, 198.51.100.1") == "198.51.100.1"  # the proxy's own entry
    assert client_address("::1", "198.51.100.2") == "198.51.100.2"
    assert client_address("127.0.0.1", None) == "127.0.0.1"


def test_only_the_webhooks_are_limited_per_address_and_wechat_per_follower():
    assert is_limited_per_address("/webhooks/rest/webhook")
    assert is_limited_per_address("/webhooks/rest/")
    assert not is_limited_per_address("/webhooks/wechat/webhook")
    assert not is_limited_per_address("/conversations/x/tracker")
    assert not is_limited_per_address("/socket.io/")


def test_an_integrations_bearer_token_is_recognised():
    tokens = ["a" * 24, "b" * 24]
    assert presents_integration_token("Bearer " + "b" * 24, tokens)
    assert presents_integration_token("bearer " + "a" * 24, tokens)
    assert not presents_integration_token("Bearer " + "c" * 24, tokens)
    assert not presents_integration_token("Basic " + "a" * 24, tokens)
    assert not presents_integration_token(None, tokens)
    assert not presents_integration_token("Bearer ", tokens)
