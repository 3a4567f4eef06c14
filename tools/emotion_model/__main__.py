"""`python -m tools.emotion_model train`: prepares nothing itself (run `python -m benchmarks.datasets_emotion
prepare` first), trains the emotion classifier and writes bot/emotion/model/."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.emotion_model",
                                     description="train the emotion classifier shipped in bot/emotion/model/")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train on var/datasets/ and write the weights")
    train.add_argument("--out", help="output folder (default bot/emotion/model/)")
    args = parser.parse_args(argv)
    from bot.emotion.model import MODEL_DIR
    from tools.emotion_model.train import train as run_training

    root = Path(__file__).resolve().parents[2]
    try:
        metadata = run_training(root, Path(args.out) if args.out else MODEL_DIR)
    except FileNotFoundError as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    print(json.dumps({"knots": metadata["knots"], "held_out": metadata["held_out"],
                      "training": metadata["training"]}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
