"""Rasa's own answer to FAQ: a ResponseSelector over retrieval intents, trained on the same entries."""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

import yaml

from bot.kb.model import KnowledgeBase
from bot.runtime.environment import child_environment, venv_bin
from bot.settings import Settings

PIPELINE = [
    {"name": "bot.rasa.jieba_tokenizer.CleanJiebaTokenizer", "dictionary_path": None},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3},
    {"name": "DIETClassifier", "epochs": 40, "entity_recognition": False, "number_of_transformer_layers": 0,
     "random_seed": 42},
    {"name": "ResponseSelector", "epochs": 100, "retrieval_intent": "faq", "random_seed": 42},
]


@dataclass
class ResponseSelectorRun:
    project: Path
    model: Path
    train_seconds: float


def write_project(knowledge_base: KnowledgeBase, folder: Path, dictionary_dir: Path) -> None:
    """A minimal Rasa project whose `faq/<entry id>` retrieval intents are the knowledge base."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    pipeline = [dict(step) for step in PIPELINE]
    pipeline[0]["dictionary_path"] = str(dictionary_dir)
    config = {"recipe": "default.v1", "language": "zh", "assistant_id": "rs-bench", "pipeline": pipeline,
              "policies": []}
    (folder / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    nlu = []
    responses = {}
    for entry in knowledge_base.entries.values():
        examples = "".join(f"- {p.replace(chr(10), ' ')}\n" for p in entry.phrasings())
        nlu.append({"intent": f"faq/{entry.id}", "examples": examples})
        responses[f"utter_faq/{entry.id}"] = [{"text": entry.answer_in("zh")}]
    # A second intent so the classifier has something to tell apart.
    nlu.append({"intent": "greet", "examples": "- 你好\n- 您好\n- hello\n- hi\n- 在吗\n- hey there\n"})
    (folder / "data" / "nlu.yml").write_text(
        yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    domain = {"version": "3.1", "intents": ["faq", "greet"], "responses": responses}
    (folder / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")


def train(folder: Path, settings: Settings) -> ResponseSelectorRun:
    started = time.monotonic()
    completed = subprocess.run(
        [venv_bin("rasa"), "train", "nlu", "--config", "config.yml", "--nlu", "data", "--domain", "domain.yml",
         "--out", "models", "--fixed-model-name", "rs"],
        cwd=folder, env=child_environment(settings), capture_output=True, text=True,
    )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        raise RuntimeError(f"ResponseSelector training failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return ResponseSelectorRun(project=folder, model=folder / "models" / "rs.tar.gz", train_seconds=seconds)


def rank_all(model: Path, questions: Sequence[str]) -> List[List[str]]:
    """Entry ids ranked by the ResponseSelector for each question."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> List[List[str]]:
        ranked = []
        for question in questions:
            parsed = await agent.parse_message(question)
            selector = parsed.get("response_selector", {}).get("faq", {})
            ranking = selector.get("ranking", [])
            ranked.append([r["intent_response_key"].split("/", 1)[1] for r in ranking[:3]])
        return ranked

    return asyncio.run(parse_all())


def load_seconds(model: Path) -> float:
    from rasa.core.agent import Agent

    started = time.monotonic()
    Agent.load(str(model))
    return time.monotonic() - started
