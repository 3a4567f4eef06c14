"""The trained emotion model as customers meet it: the issue's examples, realistic messages in both languages,
the lexicon's overrides, thresholds from settings, and the shipped weights' size and speed."""
import json
import time
from pathlib import Path

import pytest

from bot.emotion.model import CLASSES, MODEL_DIR, Knots, load_model, score_from_probabilities
from bot.emotion.scorer import EmotionScorer


@pytest.fixture(scope="module")
def scorer():
    return EmotionScorer()


def test_the_issues_examples(scorer):
    assert scorer.score("😡😡😡").level == "angry"
    assert scorer.score("how long does a refund take?").level == "calm"


@pytest.mark.parametrize(
    "text, level",
    [
        ("请问这个耳机支持降噪吗", "calm"),
        ("麻烦帮我看看我的快递到哪了", "calm"),
        ("好的，收到，谢谢你们", "calm"),
        ("Do you have this laptop in silver?", "calm"),
        ("Could you tell me when the sale ends?", "calm"),
        ("great, thank you for sorting it out", "calm"),
        ("洗衣机装好第二天就漏水了，好失望", "upset"),
        ("I'm really disappointed, the strap broke after a week", "upset"),
        ("你们这帮骗子，钱退不退？不退我就报警", "angry"),
        ("三次了！！你们到底有没有人在管！！！", "angry"),
        ("This is a scam, I want my money back today", "angry"),
        ("I'm furious, nobody has answered me in five days", "angry"),
    ],
)
def test_real_looking_messages(scorer, text, level):
    assert scorer.score(text).level == level


def test_overrides_explain_themselves(scorer):
    explained = scorer.explain("再不处理我就投诉到12315")
    assert explained.emotion.level == "angry"
    assert any("12315" in o.reason for o in explained.overrides)
    assert scorer.explain("🤬").emotion.level == "angry"  # the strongest anger emoji, even once
    assert scorer.explain("好吧😡").emotion.level in ("upset", "angry")  # one angry face: at least upset
    assert scorer.score("我不想活了").level == "angry"  # self-harm: a person must look at once


def test_negated_complaints_stay_calm(scorer):
    assert scorer.score("不是不满意，就是想问问保修").level == "calm"
    assert scorer.score("I'm not angry, just asking where the parcel is").level == "calm"
    # …unless something angry is said as well
    assert scorer.score("我没生气，但你们再不退款我就报警").level == "angry"


def test_thresholds_from_settings_move_the_levels():
    text = "快递三天都没动静了"
    default = EmotionScorer().score(text)
    assert EmotionScorer(upset_at=0.99, angry_at=0.999).score(text).level == "calm"
    assert EmotionScorer(upset_at=0.0, angry_at=default.score - 0.001).score(text).level == "angry"
    assert EmotionScorer(upset_at=0.5, angry_at=0.9).score(text).score == default.score  # the score stays


def test_score_is_monotone_and_lands_the_knots_on_the_default_thresholds():
    knots = Knots(upset=0.3, angry=0.6)
    assert score_from_probabilities((1.0, 0.0, 0.0), knots) == 0.0
    assert score_from_probabilities((0.4, 0.6, 0.0), knots) == pytest.approx(0.15)  # index 0.3
    assert score_from_probabilities((0.4, 0.0, 0.6), knots) == pytest.approx(0.6)  # index 0.6
    assert score_from_probabilities((0.0, 1.0, 0.0), knots) < 0.6  # sadness alone is never "angry"
    assert score_from_probabilities((0.0, 0.0, 1.0), knots) == pytest.approx(1.0)
    scores = [score_from_probabilities((1 - a, 0.0, a), knots) for a in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert scores == sorted(scores)


def test_shipped_weights_are_small_described_and_fast():
    files = [MODEL_DIR / "weights.npz", MODEL_DIR / "model.json"]
    assert sum(f.stat().st_size for f in files) < 4 * 1024 * 1024
    metadata = json.loads((MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    assert metadata["classes"] == list(CLASSES)
    assert all(source.get("commit") or source.get("licence") for source in metadata["data_sources"])
    model = load_model()
    assert model is load_model()  # loaded once per process
    texts = ["请问什么时候发货", "where is my parcel??", "垃圾客服，气死了！！！", "thanks a lot"] * 50
    timings = []
    for text in texts:
        started = time.perf_counter()
        model.probabilities(text)
        timings.append(time.perf_counter() - started)
    assert sorted(timings)[int(len(timings) * 0.95)] < 0.005


def test_without_model_files_the_lexicon_scores(tmp_path: Path):
    scorer = EmotionScorer(model_dir=tmp_path)
    explained = scorer.explain("非常生气，垃圾服务")
    assert explained.model_score is None and explained.emotion.level == "angry"
    assert scorer.score("请问怎么退货").level == "calm"
