"""`python -m bot emotion score`: scores messages from standard input, one per line."""
from __future__ import annotations

import argparse
import sys

from bot.settings import get_settings


def cmd_score(args: argparse.Namespace) -> int:
    from bot.emotion.scorer import get_scorer

    settings = get_settings()
    scorer = get_scorer(settings.emotion_upset_at, settings.emotion_angry_at)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        if not getattr(args, "explain", False):
            emotion = scorer.score(text)
            print(f"{emotion.level}\t{emotion.score:.3f}\t{text}", flush=True)
            continue
        explained = scorer.explain(text)
        emotion = explained.emotion
        why = []
        if explained.probabilities:
            calm, upset, angry = explained.probabilities
            why.append(f"model calm {calm:.2f} upset {upset:.2f} angry {angry:.2f} → {explained.model_score:.3f}")
        if explained.lexicon_score is not None:
            why.append(f"lexicon {explained.lexicon_score:.3f}")
        why += [o.reason for o in explained.overrides]
        print(f"{emotion.level}\t{emotion.score:.3f}\t{text}\t{'; '.join(why)}", flush=True)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    emotion = commands.add_parser("emotion", help="emotion scoring tools")
    sub = emotion.add_subparsers(dest="emotion_command", required=True)
    score = sub.add_parser(
        "score", help="read messages (one per line) on stdin, print level<TAB>score<TAB>message"
    )
    score.add_argument("--explain", action="store_true",
                       help="add a fourth column: the model's probabilities and the lexicon overrides that applied")
    score.set_defaults(func=cmd_score)
