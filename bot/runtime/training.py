"""Trains the Rasa model when the data or config changed (Rasa's fingerprinting), and times it."""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bot.runtime.environment import MODEL_NAME, child_environment, model_path, venv_bin
from bot.settings import Settings


class TrainingError(RuntimeError):
    """`rasa train` failed; its output above says why."""


@dataclass(frozen=True)
class TrainingResult:
    model: Path
    seconds: float
    retrained: bool


def ensure_model(settings: Settings, force: bool = False) -> TrainingResult:
    """Runs `rasa train`; Rasa reuses the existing model when nothing it depends on changed."""
    target = model_path(settings)
    before = target.stat().st_mtime if target.exists() else None
    command = [
        venv_bin("rasa"), "train",
        "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(settings.models_dir), "--fixed-model-name", MODEL_NAME,
    ]
    if force:
        command.append("--force")
    print("==> Checking the model (trains only when data or config changed)", flush=True)
    started = time.monotonic()
    completed = subprocess.run(command, cwd=settings.project_root, env=child_environment(settings))
    seconds = time.monotonic() - started
    if completed.returncode != 0 or not target.exists():
        raise TrainingError(f"rasa train failed with exit code {completed.returncode}")
    retrained = before is None or target.stat().st_mtime != before
    if retrained:
        print(f"==> Trained {target} in {seconds:.1f} s", flush=True)
    else:
        print(f"==> Model unchanged, reusing {target} (checked in {seconds:.1f} s)", flush=True)
    return TrainingResult(model=target, seconds=seconds, retrained=retrained)
