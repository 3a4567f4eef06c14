"""`python -m bot emotion score`: scores messages from standard input, one per line."""
from __future__ import annotations

import argparse
import sys

from bot.settings import get_settings


def cmd_score(_args: argparse.Namespace) -> int:
    from bot.emotion.scorer import get_scorer

    settings = get_settings()
    scorer = get_scorer(settings.emotion_upset_at, settings.emotion_angry_at)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        emotion = scorer.score(text)
        print(f"{emotion.level}\t{emotion.score:.3f}\t{text}", flush=True)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    emotion = commands.add_parser("emotion", help="emotion scoring tools")
    sub = emotion.add_subparsers(dest="emotion_command", required=True)
    sub.add_parser(
        "score", help="read messages (one per line) on stdin, print level<TAB>score<TAB>message"
    ).set_defaults(func=cmd_score)
