"""Preparing the public emotion data: what is missing is named with where to get it; reserved splits are never
among the sources."""
from pathlib import Path

from benchmarks.datasets_emotion import RESERVED_WORDS, SOURCES, prepare


def test_without_mirrors_every_source_is_named_with_where_to_get_it(tmp_path: Path):
    missing = prepare(tmp_path / "project", mirrors=tmp_path / "no-mirrors")
    assert len(missing) == len(SOURCES)
    for source, line in zip(SOURCES, missing):
        assert source.repo in line and source.commit in line and source.path in line
    assert not (tmp_path / "project" / "var").exists()


def test_no_reserved_split_is_a_source():
    for source in SOURCES:
        assert not any(word in source.path for word in RESERVED_WORDS)
        assert "test" not in source.path.rsplit("/", 1)[-1]
    uses = {source.path.rsplit("/", 1)[-1]: source.use for source in SOURCES}
    assert uses["usual_eval_labeled.txt"] == "benchmark" and uses["ChnSentiCorp_htl_all.csv"] == "benchmark"


def test_usual_train_folds_leave_out_benchmark_posts_and_other_tracks(tmp_path: Path):
    import json

    from tools.emotion_model.data import _smp_usual_folds

    fold = tmp_path / "dev0.csv"
    fold.write_text("content,labels,type\n气死我了，又没发货,angry,usual\n哈哈哈,happy,usual\n"
                    "口罩还没到,sad,virus\n今天好累,neural,usual\n", encoding="utf-8")
    benchmark = tmp_path / "usual_eval_labeled.txt"
    benchmark.write_text(json.dumps([{"id": 1, "content": "哈哈哈", "label": "happy"}], ensure_ascii=False),
                         encoding="utf-8")
    examples = _smp_usual_folds([fold], benchmark)
    assert [(e.text, e.level) for e in examples] == [("气死我了，又没发货", "angry"), ("今天好累", "calm")]


def test_the_seed_trained_on_has_no_line_close_to_the_benchmark():
    import difflib

    from tools.emotion_model.data import NEAR_DUPLICATE, benchmark_lines, seed_without_benchmark_neighbours

    root = Path(__file__).resolve().parents[2]
    benchmark = benchmark_lines(root)
    seed = seed_without_benchmark_neighbours(root)
    assert len(seed) > 200
    assert not [e.text for e in seed if difflib.get_close_matches(e.text, benchmark, n=1, cutoff=NEAR_DUPLICATE)]
