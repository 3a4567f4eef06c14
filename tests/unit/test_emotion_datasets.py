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
