"""`python -m benchmarks.datasets_faq prepare`: the public paraphrase data (LCQMC and BQ, *train* splits only),
extracted from local mirrors of GitHub repositories into var/datasets/ (git-ignored), and split by cluster.

Only the train split is ever read: the dev and test splits of LCQMC and BQ are reserved for external evaluation
(they sit in the same archive as LCQMC's train split and are skipped unopened). docs/datasets/faq.md records
each source's repository, commit, licence and use.

Clusters: questions joined by a positive pair (label 1) are one cluster (connected components). Each cluster
goes to one of three parts by a hash of its smallest question, so the parts never share a question:
bucket 0 -> benchmark (reported, never trained or tuned on), bucket 1 -> validation (to choose the fusion
weight), buckets 2-9 -> training (the model in tools/faq_model learns from their pairs only).
"""
from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

MIRRORS = Path("/work/.mirror")
PARTS = ("benchmark", "validation", "training")
BUCKETS = 10


@dataclass(frozen=True)
class Source:
    name: str  # folder under var/datasets/
    repo: str
    commit: str
    path: str  # inside the repository (an archive member after '!')
    licence: str

    @property
    def archive(self) -> Optional[str]:
        return self.path.split("!", 1)[1] if "!" in self.path else None


SOURCES: Sequence[Source] = (
    Source("lcqmc", "xianghuisun/text_matching", "2962a1dd7b7f311badae35693d53a43954a7c479",
           "lcqmc.rar!lcqmc-NLP数据资源/lcqmc_train.tsv",
           "LCQMC: research use per its authors (HIT); the mirror repository states no licence. Not committed."),
    Source("bq", "", "", "train.tsv",
           "BQ corpus: by application to its authors (HIT / WeBank). No public mirror found. Not committed."),
)
RESERVED_WORDS = ("dev", "test", "afqmc", "atec")


def dataset_file(project_root: Path, name: str) -> Path:
    return project_root / "var" / "datasets" / name / "train.tsv"


def _git_dir(repo: str, mirrors: Path) -> Optional[Path]:
    base = mirrors / repo.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo"):
        if (candidate / "HEAD").exists() and (candidate / "objects").exists():
            return candidate
    return None


def _extract_member(archive_bytes: bytes, member: str) -> bytes:
    """One member of a RAR/ZIP archive, read with libarchive (pip install libarchive-c); others are skipped unread."""
    import libarchive  # type: ignore[import-not-found]

    with libarchive.memory_reader(archive_bytes) as archive:
        for entry in archive:
            if entry.pathname == member:
                return b"".join(entry.get_blocks())
    raise KeyError(member)


def prepare(project_root: Path, mirrors: Path = MIRRORS) -> List[str]:
    """Extract each source that is not there yet; returns what is missing and how to get it."""
    missing: List[str] = []
    for source in SOURCES:
        member = source.archive or source.path
        assert not any(w in member.lower() for w in RESERVED_WORDS), member  # never a reserved split
        target = dataset_file(project_root, source.name)
        if target.exists() and target.stat().st_size:
            continue
        if not source.repo:
            missing.append(f"{source.name}: no public mirror known; put its *train* split (text_a<TAB>text_b<TAB>label)"
                           f" at {target}")
            continue
        git_dir = _git_dir(source.repo, mirrors)
        if git_dir is None:
            missing.append(f"{source.name}: no mirror at {mirrors / source.repo.replace('/', '+')}; clone "
                           f"https://github.com/{source.repo} (commit {source.commit}) there")
            continue
        outer = source.path.split("!", 1)[0]
        shown = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{source.commit}:{outer}"], capture_output=True)
        if shown.returncode != 0 or not shown.stdout:
            missing.append(f"{source.name}: {source.repo}@{source.commit}:{outer} not in the mirror")
            continue
        try:
            data = _extract_member(shown.stdout, source.archive) if source.archive else shown.stdout
        except ImportError:
            missing.append(f"{source.name}: reading {outer} needs libarchive-c (pip install libarchive-c, "
                           "or PYTHONPATH to a folder holding it)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return missing


def read_pairs(path: Path) -> Iterator[Tuple[str, str, int]]:
    """(text_a, text_b, label) per line of a train file; a header line and malformed lines are skipped."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[2].strip() not in ("0", "1"):
                continue
            a, b = parts[0].strip(), parts[1].strip()
            if a and b:
                yield a, b, int(parts[2])


def _part(cluster: Sequence[str]) -> str:
    digest = hashlib.md5(min(cluster).encode("utf-8")).digest()
    bucket = digest[0] % BUCKETS
    return "benchmark" if bucket == 0 else "validation" if bucket == 1 else "training"


def clusters(path: Path) -> Dict[str, List[List[str]]]:
    """Paraphrase clusters (sorted questions) of one train file, by part."""
    parent: Dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, label in read_pairs(path):
        if label == 1 and a != b:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    groups: Dict[str, List[str]] = {}
    for question in list(parent):
        groups.setdefault(find(question), []).append(question)
    by_part: Dict[str, List[List[str]]] = {part: [] for part in PARTS}
    for members in groups.values():
        members.sort()
        by_part[_part(members)].append(members)
    for part in PARTS:
        by_part[part].sort()
    return by_part


def training_pairs(path: Path) -> List[Tuple[str, str]]:
    """Positive pairs whose cluster is in the training part (never a benchmark or validation question)."""
    by_part = clusters(path)
    training = {q for cluster in by_part["training"] for q in cluster}
    return [(a, b) for a, b, label in read_pairs(path) if label == 1 and a in training and b in training and a != b]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.datasets_faq",
                                     description="extract LCQMC and BQ train splits into var/datasets/ and show the split")
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("--mirrors", default=str(MIRRORS), help="folder holding owner+name/repo git mirrors")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    missing = prepare(root, Path(args.mirrors))
    for source in SOURCES:
        path = dataset_file(root, source.name)
        if not path.exists():
            print(f"   MISSING  {path.relative_to(root)}", flush=True)
            continue
        parts = clusters(path)
        sizes = "  ".join(f"{p} {len(c):,} clusters ({sum(1 for x in c if len(x) >= 3):,} with 3+)" for p, c in parts.items())
        print(f"{path.stat().st_size:>10,} bytes  {path.relative_to(root)}: {sizes}")
    for line in missing:
        print(f"missing: {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
