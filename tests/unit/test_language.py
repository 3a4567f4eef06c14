import pytest

from bot.text.language import detect_language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("你好", "zh"),
        ("我想退货", "zh"),
        ("iPhone 15 怎么退货", "zh"),
        ("我的AirPods Pro坏了", "zh"),
        ("退款 refund please", "zh"),
        ("hi 你好", "zh"),
        ("hello", "en"),
        ("How long does delivery take?", "en"),
        ("can I return my AirPods 耳机", "en"),
        ("my MacBook Air has dead pixels", "en"),
    ],
)
def test_language_of_customer_messages(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "GD2611180002", "13812345678", "👍", "???", "ok", "iPhone 16 Pro"])
def test_no_evidence_keeps_the_current_language(text):
    assert detect_language(text) is None
