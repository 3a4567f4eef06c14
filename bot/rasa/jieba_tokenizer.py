"""Rasa's Jieba tokenizer without whitespace tokens, with the store's product-term dictionary.

Jieba returns spaces as tokens in mixed Chinese/English text ("iPhone 15 屏幕"), and Rasa's
featurizers then fail on empty tokens (Rasa issue 7910), so whitespace tokens are dropped.
"""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


def split_words(text: str) -> List[Token]:
    """Jieba tokens of `text` with their offsets, without whitespace-only tokens."""
    import jieba

    return [Token(word, start) for word, start, _end in jieba.tokenize(text or "") if word.strip()]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CleanJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer that never emits whitespace tokens."""

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        return self._apply_token_pattern(split_words(message.get(attribute) or ""))
