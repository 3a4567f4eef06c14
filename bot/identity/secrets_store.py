"""Secrets the embedded (demo) setup generates on first run and keeps in var/, readable by the owner only."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_secret(directory: Path, name: str, nbytes: int = 32) -> str:
    """The secret stored as `directory/name`, created (random, mode 0600) when missing."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
