"""Trains the Rasa model when the data or config changed (Rasa's fingerprinting), and times it."""
from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from bot.runtime.environment import MODEL_NAME, child_environment, model_path, rasa_command
from bot.settings import Settings


class TrainingError(RuntimeError):
    """`rasa train` failed; its output above says why."""


@dataclass(frozen=True)
class TrainingResult:
    model: Path
    seconds: float
    retrained: bool


# Everything the trained model depends on: data, config, our NLU components (the tokenizer's code shapes
# the features; the model stores the components' class paths). The policies have no parameters: their
# code is loaded at run time, so changing it needs no training.
_INPUTS = ("config.yml", "domain.yml", "data", "knowledge_base/dictionary", "bot/rasa/jieba_tokenizer.py",
           "bot/rasa/signals_component.py", "requirements/lock.txt")


def training_fingerprint(root: Path, inputs: Iterable[str] = _INPUTS) -> str:
    """A hash of every file the model is trained from; equal hashes mean the model can be reused."""
    digest = hashlib.sha256()
    for name in inputs:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.suffix in (".pyc",) or "__pycache__" in file.parts or not file.exists():
                continue
            digest.update(str(file.relative_to(root)).encode("utf-8") + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_model(settings: Settings, force: bool = False) -> TrainingResult:
    """Trains when the data, config or our components changed; otherwise reuses the model at once.
    (Rasa's own training cache cannot tell: its fingerprints of featurized data differ run to run.)"""
    target = model_path(settings)
    stamp = target.with_suffix("").with_suffix(".fingerprint")
    fingerprint = training_fingerprint(settings.project_root)
    if not force and target.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        print(f"==> Model unchanged, reusing {target}", flush=True)
        return TrainingResult(model=target, seconds=0.0, retrained=False)
    before = target.stat().st_mtime if target.exists() else None
    command = rasa_command(
        "train",
        "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(settings.models_dir), "--fixed-model-name", MODEL_NAME,
    )
    if force:
        command.append("--force")
    print("==> Checking the model (trains only when data or config changed)", flush=True)
    started = time.monotonic()
    completed = subprocess.run(command, cwd=settings.project_root, env=child_environment(settings))
    seconds = time.monotonic() - started
    if completed.returncode != 0 or not target.exists():
        raise TrainingError(f"rasa train failed with exit code {completed.returncode}")
    stamp.write_text(fingerprint + "\n", encoding="utf-8")
    retrained = before is None or target.stat().st_mtime != before
    if retrained:
        print(f"==> Trained {target} in {seconds:.1f} s", flush=True)
    else:
        print(f"==> Model unchanged, reusing {target} (checked in {seconds:.1f} s)", flush=True)
    return TrainingResult(model=target, seconds=seconds, retrained=retrained)
