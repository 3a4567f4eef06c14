"""In the cluster the store page's chat goes through nginx's public address, not the Rasa server's loopback port."""
from bot.settings import load_settings
from bot.web.app import store_policy


def test_the_chat_is_reached_through_the_public_address_when_there_is_one():
    cluster = load_settings({"BOT_PUBLIC_URL": "https://shop.example.com/", "BOT_RASA_PORT": "5105"})
    policy = store_policy(cluster)
    assert "connect-src 'self' https://shop.example.com wss://shop.example.com;" in policy
    assert "5105" not in policy


def test_the_embedded_store_page_talks_to_the_rasa_server():
    embedded = load_settings({"BOT_RASA_PORT": "5105"})
    assert "http://127.0.0.1:5105 ws://127.0.0.1:5105" in store_policy(embedded)
