"""The conversation-level routing check: 200+ realistic customer messages (benchmarks/data/routing_check.tsv,
written apart from the training data), each sent as the first message of a fresh conversation through the real
servers, and the share that reached the right behaviour (answer, complaint, person, small talk, fallback,
feeling), per language and per category, with every failure listed.

`python -m benchmarks.routing_bench` starts the assistant (`python -m bot run`, a trained model in the models
folder) on free ports with a scratch var folder. What the bot did is read off what the customer sees: each bot
message is matched to the domain.yml response it came from; text from no response is a knowledge-base answer."""
from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

CHECK_FILE = Path(__file__).resolve().parent / "data" / "routing_check.tsv"
BEHAVIOURS = ("answer", "complaint", "person", "small_talk", "fallback", "feeling")

# The domain.yml responses that show each behaviour (prefixes end with "_").
_BY_RESPONSE: Sequence[Tuple[str, Tuple[str, ...]]] = (
    ("complaint", ("utter_complaint_empathy_", "utter_ask_complaint_", "utter_complaint_escalate_")),
    ("person", ("utter_handoff_",)),
    ("feeling", ("utter_feeling_",)),
    ("fallback", ("utter_default", "utter_ask_rephrase")),
    ("answer", ("utter_kb_choose", "utter_kb_no_answer", "utter_kb_ask_feedback")),
    ("small_talk", ("utter_welcome", "utter_greet", "utter_goodbye", "utter_thanks", "utter_iamabot",
                    "utter_chitchat", "utter_out_of_scope", "utter_how_can_help")),
)


@dataclass(frozen=True)
class Case:
    language: str
    category: str
    expected: Tuple[str, ...]  # one or more acceptable behaviours
    message: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    behaviour: str
    reply: str

    @property
    def right(self) -> bool:
        return self.behaviour in self.case.expected


def load_cases(path: Path = CHECK_FILE) -> List[Case]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [Case(row["language"], row["category"], tuple(row["expected"].split("|")), row["message"])
                for row in csv.DictReader(handle, delimiter="\t")]


def _pattern(text: str) -> "re.Pattern[str]":
    """A response variation as a pattern: its {placeholders} match anything."""
    parts = re.split(r"\{[a-z_]+\}", text.strip())
    return re.compile("^" + ".*?".join(re.escape(part) for part in parts) + "$", re.DOTALL)


def response_patterns(domain_file: Path) -> List[Tuple[str, "re.Pattern[str]"]]:
    responses = (yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}).get("responses") or {}
    return [(name, _pattern(variation["text"])) for name, variations in responses.items()
            for variation in variations or [] if variation.get("text")]


def behaviour_of(messages: Iterable[dict], patterns: Sequence[Tuple[str, "re.Pattern[str]"]]) -> str:
    """What the bot did, from the messages the customer saw."""
    names: List[str] = []
    unmatched = False
    for message in messages:
        payloads = [str(b.get("payload") or "") for b in message.get("buttons") or []]
        if any("complaint_category" in payload for payload in payloads):
            names.append("utter_ask_complaint_category")
        text = (message.get("text") or "").strip()
        if not text:
            continue
        found = next((name for name, pattern in patterns if pattern.match(text)), None)
        if found:
            names.append(found)
        else:
            unmatched = True
    for behaviour, prefixes in _BY_RESPONSE:
        if any(name == prefix or (prefix.endswith("_") and name.startswith(prefix))
               for name in names for prefix in prefixes):
            return behaviour
    if unmatched:
        return "answer"  # text from no response: the knowledge base's answer
    return "other:" + ",".join(names) if names else "silence"


def check(say: Callable[[str, str], List[dict]], cases: Sequence[Case], domain_file: Path) -> List[Outcome]:
    """Sends each case as the first message of a new conversation and reads what the bot did."""
    patterns = response_patterns(domain_file)
    outcomes = []
    for case in cases:
        messages = say(f"route-{uuid.uuid4().hex[:10]}", case.message)
        reply = " / ".join((m.get("text") or "").replace("\n", " ")[:60] for m in messages)
        outcomes.append(Outcome(case, behaviour_of(messages, patterns), reply))
    return outcomes


def _share(outcomes: Sequence[Outcome]) -> str:
    right = sum(o.right for o in outcomes)
    return f"{right / len(outcomes):.1%} ({right}/{len(outcomes)})" if outcomes else "-"


def markdown(outcomes: Sequence[Outcome]) -> str:
    lines = ["## Routing: first messages of real-looking conversations", "",
             f"{len(outcomes)} messages (benchmarks/data/routing_check.tsv), each the first message of a fresh "
             "conversation through the real servers; right = the bot did what the label says.", "",
             f"**Overall: {_share(outcomes)}**", "", "| slice | routed right |", "|---|---|"]
    groups: Dict[str, List[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[f"language {outcome.case.language}"].append(outcome)
        groups[f"category {outcome.case.category}"].append(outcome)
    for key in sorted(groups):
        lines.append(f"| {key} | {_share(groups[key])} |")
    failures = [o for o in outcomes if not o.right]
    lines += ["", f"Failures ({len(failures)}):", ""]
    if failures:
        lines += ["| message | expected | got | reply |", "|---|---|---|---|"]
        lines += [f"| {o.case.message} | {'/'.join(o.case.expected)} | {o.behaviour} | {o.reply[:80]} |"
                  for o in failures]
    return "\n".join(lines) + "\n"


def run(project_root: Path, var_dir: Optional[Path] = None) -> List[Outcome]:
    from tests.support.processes import AssistantProcess

    with tempfile.TemporaryDirectory(prefix="routing-bench-") as tmp:
        process = AssistantProcess(var_dir=var_dir or Path(tmp))
        process.start()
        try:
            return check(process.say, load_cases(), project_root / "domain.yml")
        finally:
            process.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.routing_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="also write the Markdown here")
    args = parser.parse_args(argv)
    from bot.settings import get_settings

    text = markdown(run(get_settings().project_root))
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
