from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.rasa.jieba_tokenizer import CleanJiebaTokenizer, split_words

DICTIONARY = Path(__file__).resolve().parents[2] / "knowledge_base" / "dictionary"


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    config = {**CleanJiebaTokenizer.get_default_config(), "dictionary_path": str(DICTIONARY)}
    return CleanJiebaTokenizer.create(
        config, storage, Resource("tokenizer"), ExecutionContext(graph_schema=None, model_id="t")
    )


def words(tokenizer, text):
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_pure_chinese_is_segmented(tokenizer):
    assert words(tokenizer, "我想申请退货") == ["我", "想", "申请", "退货"]


def test_product_terms_from_the_dictionary_stay_whole(tokenizer):
    tokens = words(tokenizer, "七天无理由怎么转人工客服")
    assert "七天无理由" in tokens
    assert "人工客服" in tokens or "转人工" in tokens


@pytest.mark.parametrize(
    "text",
    ["iPhone 15 Pro 屏幕碎了", "我的AirPods Pro坏了", "MacBook  Air   有 坏点 ", " \t退款 refund please\n"],
)
def test_mixed_chinese_and_english_has_no_whitespace_tokens(tokenizer, text):
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert tokens, text
    assert all(t.text.strip() == t.text and t.text for t in tokens)
    for token in tokens:  # offsets point at the token in the original text
        assert text[token.start : token.end] == token.text


def test_mixed_without_spaces_keeps_english_words(tokenizer):
    assert words(tokenizer, "AirPods坏了") == ["AirPods", "坏", "了"]


def test_emoji_survive_as_tokens(tokenizer):
    assert words(tokenizer, "快递太慢了😡😡") [-2:] == ["😡", "😡"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_or_blank_text_gives_no_tokens(text):
    assert split_words(text) == []
