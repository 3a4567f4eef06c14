"""Canned replies for agents, from knowledge_base/canned_replies.yml (read on each request, so edits apply at once)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import yaml


class CannedRepliesError(ValueError):
    """The canned replies file is malformed; the message names the entry."""


def load_canned_replies(path: Path) -> List[Dict[str, object]]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    replies = data.get("replies") or []
    for index, reply in enumerate(replies):
        for key in ("id", "title", "text"):
            if key not in reply:
                raise CannedRepliesError(f"{path.name}: reply {index + 1} has no {key!r}")
        for key in ("title", "text"):
            if not all(reply[key].get(lang) for lang in ("zh", "en")):
                raise CannedRepliesError(f"{path.name}: reply {reply['id']!r} needs {key} in zh and en")
    return replies
