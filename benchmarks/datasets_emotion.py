"""`python -m benchmarks.datasets_emotion prepare`: the public emotion data sets, extracted from local mirrors of
their GitHub repositories into var/datasets/ (git-ignored). Nothing here is committed; docs/datasets/emotion.md
records each set's source, commit, licence and use.

Reserved sets are never extracted: the SMP2020-EWECT *test* files sit in the same repository as the eval files,
and waimai_10k / online_shopping_10_cats in the same repository as ChnSentiCorp; only the paths below are read.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

MIRRORS = Path("/work/.mirror")


@dataclass(frozen=True)
class Source:
    name: str  # folder under var/datasets/
    repo: str  # owner/name on GitHub
    commit: str
    path: str  # inside the repository
    use: str  # "training" | "benchmark"

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


SMP2020 = ("BrownSweater/BERT_SMP2020-EWECT", "e928cec001824668999ed02326aacbea0d369563")
GOEMOTIONS = ("monologg/GoEmotions-pytorch", "b75f9d3a8b76bc1060687925b04ca98a1b8ea66b")
# The general ("usual") track's *train* split: absent from BrownSweater's mirror; Tom-HG/smp2020 (an SMP2020-EWECT
# team's code) holds it as five stratified cross-validation folds (dev0-4.csv: content, labels, type), each
# post in exactly one fold, usual and virus train posts together; only type == "usual" is read (the virus posts
# come from BrownSweater's virus_train.txt above). Its split script reads usual_train.txt and virus_train.txt only.
SMP2020_USUAL_FOLDS = ("Tom-HG/smp2020", "2622484e7519286d101d9ec279be5668a0faee9a")
SMP2020_USUAL_FOLD_DIR = "SMP2020\u4ee3\u7801\u6574\u7406/project/model-0/data"
SOURCES: Sequence[Source] = (
    Source("chnsenticorp_htl", "SophonPlus/ChineseNlpCorpus", "a0b781d72158bde242c0626c9e354d2b328865ff",
           "datasets/ChnSentiCorp_htl_all/ChnSentiCorp_htl_all.csv", "benchmark"),
    Source("smp2020_ewect", *SMP2020, "data/raw/usual_eval_labeled.txt", "benchmark"),
    Source("smp2020_ewect", *SMP2020, "data/raw/virus_train.txt", "training"),
    Source("smp2020_ewect", *SMP2020, "data/raw/virus_eval_labeled.txt", "training"),
    Source("weibo_senti_100k", "forever1986/bert_task", "da1e0836738738853156eb875a082ee4a9d06f03",
           "data/weibo_senti_100k.csv", "training"),
    Source("goemotions", *GOEMOTIONS, "data/original/train.tsv", "training"),
    Source("goemotions", *GOEMOTIONS, "data/original/dev.tsv", "training"),
) + tuple(Source("smp2020_usual_train", *SMP2020_USUAL_FOLDS, f"{SMP2020_USUAL_FOLD_DIR}/dev{fold}.csv", "training")
          for fold in range(5))
RESERVED_WORDS = ("test_labeled", "waimai", "online_shopping", "/test.")


def datasets_dir(project_root: Path) -> Path:
    return project_root / "var" / "datasets"


def dataset_path(project_root: Path, name: str, filename: str) -> Path:
    return datasets_dir(project_root) / name / filename


def _git_dir(repo: str, mirrors: Path) -> Optional[Path]:
    base = mirrors / repo.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo"):
        if (candidate / "HEAD").exists() and (candidate / "objects").exists():
            return candidate
    return None


def prepare(project_root: Path, mirrors: Path = MIRRORS) -> List[str]:
    """Extract every source that is not already there; returns what is missing and how to get it."""
    missing: List[str] = []
    for source in SOURCES:
        assert not any(word in source.path for word in RESERVED_WORDS), source.path  # never a reserved split
        target = dataset_path(project_root, source.name, source.filename)
        if target.exists() and target.stat().st_size:
            continue
        git_dir = _git_dir(source.repo, mirrors)
        if git_dir is None:
            missing.append(f"{source.repo}: no mirror at {mirrors / source.repo.replace('/', '+')}; clone "
                           f"https://github.com/{source.repo} (commit {source.commit}) and copy {source.path} "
                           f"to {target}")
            continue
        shown = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{source.commit}:{source.path}"],
                               capture_output=True)
        if shown.returncode != 0 or not shown.stdout:
            missing.append(f"{source.repo}@{source.commit}:{source.path}: not in the mirror "
                           f"({shown.stderr.decode(errors='replace').strip()}); copy it to {target}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(shown.stdout)
    return missing


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.datasets_emotion",
                                     description="extract the public emotion data sets into var/datasets/")
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("--mirrors", default=str(MIRRORS), help="folder holding owner+name/repo git mirrors")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    missing = prepare(root, Path(args.mirrors))
    for source in SOURCES:
        path = dataset_path(root, source.name, source.filename)
        state = f"{path.stat().st_size:>10,} bytes" if path.exists() else "   MISSING"
        print(f"{state}  {source.use:<9}  {path.relative_to(root)}  ({source.repo}@{source.commit})")
    for line in missing:
        print(f"missing: {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
