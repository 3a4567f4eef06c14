"""The learned term-translation layer: shipped small, loaded once, and never worse than lexical scores alone."""
from pathlib import Path

from bot.kb.index import SearchIndex
from bot.kb.loader import load_knowledge_base
from bot.kb.semantic import MODEL_PATH, model_tokens, shipped_model
from bot.kb.text import get_analyzer

ROOT = Path(__file__).resolve().parents[2]
ZH_ONLY = ROOT / "tests" / "data" / "kb_zh_only"
# Customer wordings with the entry they mean; the first shares more words with another entry than with its own.
PARAPHRASES = [
    ("退的钱几天能到", "zh-refund-time"),
    ("钱几天能回来", "zh-refund-time"),
    ("到账要多长时间", "zh-refund-time"),
    ("邮费怎么收", "zh-shipping-fee"),
    ("快递费多少", "zh-shipping-fee"),
    ("发票在哪开", "zh-invoice"),
    ("东西不要了怎么寄回去", "zh-return-policy"),
    ("可以退吗", "zh-return-policy"),
]


def _top1(index: SearchIndex) -> set:
    return {q for q, expected in PARAPHRASES if [h.entry.id for h in index.search(q, 1)] == [expected]}


def test_the_model_is_shipped_small_and_loaded_once():
    assert MODEL_PATH.exists() and MODEL_PATH.stat().st_size < 5_000_000
    model = shipped_model()
    assert model is not None and model is shipped_model()
    assert model.table.nnz > 10_000 and "退款" in model.vocabulary


def test_tokens_are_words_and_chinese_bigrams_without_function_characters():
    analyzer = get_analyzer((), None)
    tokens = model_tokens(analyzer.terms("你们退款几天到账"), analyzer.normalize("你们退款几天到账"))
    assert "退款" in tokens and "到账" in tokens and "天到" in tokens
    assert "们退" not in tokens  # touches 们: style, not topic


def test_fusion_is_never_worse_than_lexical_scores_alone_and_finds_what_they_miss():
    knowledge_base = load_knowledge_base(ZH_ONLY)
    analyzer = get_analyzer((), None)
    fused = _top1(SearchIndex(knowledge_base, analyzer))
    lexical = _top1(SearchIndex(knowledge_base, analyzer, semantic=None))
    assert lexical <= fused  # every question lexical scores got right, fusion gets right too
    assert "退的钱几天能到" in fused - lexical


def test_scores_stay_on_the_zero_to_one_scale():
    index = SearchIndex(load_knowledge_base(ZH_ONLY), get_analyzer((), None))
    for question, _ in PARAPHRASES:
        for hit in index.search(question):
            assert 0.0 <= hit.score <= 1.0 and 0.0 <= hit.semantic <= 1.0
