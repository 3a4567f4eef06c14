"""Intent accuracy on SMP2017-ECDT's dev split (31 domains), trained on its train split only: this project's
NLU pipeline (config.yml) beside Rasa's default pipeline for Chinese (what `rasa init` suggests, with the
Jieba tokenizer), each with its training time on this machine.

`python -m benchmarks.nlu_bench` runs both (`--only ours` or `--only default` runs one); the data comes from
`python -m benchmarks.datasets_nlu prepare`. Settings are chosen with `--tuning` (train on 4/5 of the train split,
score the other fifth), not on dev; the SMP2017 test split is reserved for external evaluation and never read here."""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from benchmarks.datasets_nlu import Example, load, prepare
from bot.runtime.environment import child_environment, venv_bin
from bot.settings import Settings, get_settings

# Rasa 3.6's default pipeline (the one `rasa init` writes, commented out) with Jieba for Chinese.
DEFAULT_ZH_PIPELINE: List[Dict[str, Any]] = [
    {"name": "JiebaTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
    {"name": "EntitySynonymMapper"},
    {"name": "ResponseSelector", "epochs": 100, "constrain_similarities": True},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]


@dataclass
class NluRun:
    name: str
    accuracy: float  # a fallback counts as wrong: what a customer would get
    top_accuracy: float  # the classifier's top intent, fallback or not
    train_seconds: float
    n_dev: int
    fallback_share: float
    confusions: List[tuple] = field(default_factory=list)


def project_pipeline(settings: Settings, config_path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The pipeline of config.yml, with paths made absolute so it trains from another folder."""
    config = yaml.safe_load((config_path or settings.project_root / "config.yml").read_text(encoding="utf-8"))
    pipeline = [dict(step) for step in config["pipeline"]]
    for step in pipeline:
        if step.get("dictionary_path"):
            step["dictionary_path"] = str((settings.project_root / step["dictionary_path"]).resolve())
    return pipeline


def write_project(folder: Path, pipeline: Sequence[Dict[str, Any]], train: Sequence[Example]) -> None:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    config = {"recipe": "default.v1", "language": "zh", "assistant_id": "nlu-bench", "pipeline": list(pipeline),
              "policies": []}
    (folder / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    by_label: Dict[str, List[str]] = {}
    for example in train:
        by_label.setdefault(example.label, []).append(example.text.replace("\n", " "))
    nlu = [{"intent": label, "examples": "".join(f"- {text}\n" for text in dict.fromkeys(texts))}
           for label, texts in sorted(by_label.items())]
    (folder / "data" / "nlu.yml").write_text(
        yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (folder / "domain.yml").write_text(
        yaml.safe_dump({"version": "3.1", "intents": sorted(by_label)}, allow_unicode=True), encoding="utf-8")


def train_model(folder: Path, settings: Settings) -> float:
    started = time.monotonic()
    completed = subprocess.run(
        [venv_bin("rasa"), "train", "nlu", "--config", "config.yml", "--nlu", "data", "--domain", "domain.yml",
         "--out", "models", "--fixed-model-name", "nlu"],
        cwd=folder, env=child_environment(settings), capture_output=True, text=True)
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        raise RuntimeError(f"NLU training failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return seconds


def predict(model: Path, texts: Sequence[str]) -> List[Tuple[str, str]]:
    """For each text: the intent ("nlu_fallback" when the pipeline's fallback fired) and the classifier's top one."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    import logging

    from rasa.core.agent import Agent

    logging.getLogger("rasa").setLevel(logging.WARNING)

    agent = Agent.load(str(model))

    async def parse_all() -> List[Tuple[str, str]]:
        results = []
        for text in texts:
            parsed = await agent.parse_message(text)
            intent = (parsed.get("intent") or {}).get("name") or ""
            ranking = [r["name"] for r in parsed.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
            results.append((intent, ranking[0] if ranking else intent))
        return results

    return asyncio.run(parse_all())


def evaluate(name: str, pipeline: Sequence[Dict[str, Any]], train: Sequence[Example], dev: Sequence[Example],
             settings: Settings) -> NluRun:
    with tempfile.TemporaryDirectory(prefix=f"nlu-bench-{name}-") as tmp:
        folder = Path(tmp)
        write_project(folder, pipeline, train)
        seconds = train_model(folder, settings)
        pairs = predict(folder / "models" / "nlu.tar.gz", [e.text for e in dev])
    predicted = [intent for intent, _top in pairs]
    right = sum(p == e.label for p, e in zip(predicted, dev))
    top_right = sum(top == e.label for (_intent, top), e in zip(pairs, dev))
    confusions = Counter((e.label, p) for p, e in zip(predicted, dev) if p != e.label).most_common(8)
    return NluRun(name, right / len(dev), top_right / len(dev), seconds, len(dev),
                  predicted.count("nlu_fallback") / len(dev), confusions)


def tuning_split(train: Sequence[Example], share: float = 0.2, seed: int = 42) -> Tuple[List[Example], List[Example]]:
    """A stratified fifth of the train split, held out for choosing settings, so that dev is never tuned on."""
    import random

    by_label: Dict[str, List[Example]] = {}
    for example in train:
        by_label.setdefault(example.label, []).append(example)
    rest, held = [], []
    generator = random.Random(seed)
    for label in sorted(by_label):
        examples = list(by_label[label])
        generator.shuffle(examples)
        cut = max(1, round(len(examples) * share))
        held += examples[:cut]
        rest += examples[cut:]
    return rest, held


def run(settings: Settings, only: Optional[str] = None, config_path: Optional[Path] = None,
        tuning: bool = False) -> Dict[str, NluRun]:
    """Both pipelines on train → dev; with `tuning`, on four fifths of train → the other fifth instead."""
    problems = prepare(settings.project_root)
    if problems:
        raise RuntimeError("SMP2017-ECDT data missing: " + "; ".join(problems))
    train, dev = load(settings.project_root, "train"), load(settings.project_root, "dev")
    if tuning:
        train, dev = tuning_split(train)
    runs: Dict[str, NluRun] = {}
    if only in (None, "ours"):
        runs["ours"] = evaluate("ours", project_pipeline(settings, config_path), train, dev, settings)
    if only in (None, "default"):
        runs["default"] = evaluate("default", DEFAULT_ZH_PIPELINE, train, dev, settings)
    return runs


def markdown(runs: Dict[str, NluRun]) -> str:
    labels = {"ours": "this project (config.yml)", "default": "Rasa default pipeline, Jieba (`rasa init`)"}
    lines = ["## NLU: SMP2017-ECDT intent accuracy", "",
             "31 classes; trained on the 2,299 train sentences, scored on the 770 dev sentences (a fallback counts "
             "as wrong in the first column). Settings are chosen with `--tuning` (4/5 of train → the other 1/5); "
             "see docs/datasets/nlu.md for how much dev was looked at.", "",
             "| pipeline | dev accuracy | top intent, ignoring the fallback | fell back | training time |",
             "|---|---|---|---|---|"]
    for key, result in runs.items():
        lines.append(f"| {labels.get(key, key)} | {result.accuracy:.3f} | {result.top_accuracy:.3f} | "
                     f"{result.fallback_share:.1%} | {result.train_seconds:.0f} s |")
    for key, result in runs.items():
        if result.confusions:
            pairs = ", ".join(f"{gold}→{got} ×{n}" for (gold, got), n in result.confusions)
            lines += ["", f"Most frequent errors ({labels.get(key, key)}): {pairs}"]
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nlu_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["ours", "default"], help="run one pipeline only")
    parser.add_argument("--config", help="another config.yml to take the pipeline from (experiments)")
    parser.add_argument("--tuning", action="store_true",
                        help="train on 4/5 of the train split, score on the other 1/5 (for choosing settings)")
    parser.add_argument("--out", help="also write the Markdown here")
    args = parser.parse_args(argv)
    settings = get_settings()
    runs = run(settings, args.only, Path(args.config) if args.config else None, args.tuning)
    text = markdown(runs)
    if args.tuning:
        text = text.replace("scored on the 770 dev sentences", "TUNING RUN: trained on 4/5 of train, scored on the "
                            "held-out 1/5 of train, not on dev")
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
