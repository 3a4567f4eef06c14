"""Conversation tests: Rasa's own test runner on our test stories and the held-out NLU split."""
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.runtime.environment import child_environment, venv_bin

HERE = Path(__file__).resolve().parent
HELD_OUT = HERE.parent / "data" / "nlu_heldout.yml"
MIN_HELD_OUT_ACCURACY = 0.85
ISSUE_INTENTS = {
    "greet", "goodbye", "thanks", "affirm", "deny", "ask_question", "complain", "request_human",
    "check_ticket_status", "inform", "chitchat", "out_of_scope", "bot_challenge",
}


@pytest.fixture(scope="module")
def rasa_test_results(trained_model, project_settings, tmp_path_factory):
    out = tmp_path_factory.mktemp("rasa-test")
    completed = subprocess.run(
        [venv_bin("rasa"), "test", "--model", str(trained_model), "--stories", str(HERE / "stories.yml"),
         "--nlu", str(HELD_OUT), "--out", str(out)],
        cwd=project_settings.project_root, env=child_environment(project_settings),
        capture_output=True, text=True,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return out


def test_every_test_story_passes(rasa_test_results):
    failed = (rasa_test_results / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed


def test_held_out_intent_accuracy(rasa_test_results, capsys):
    report = json.loads((rasa_test_results / "intent_report.json").read_text(encoding="utf-8"))
    lines = [f"Held-out intent accuracy: {report['accuracy']:.3f} ({report['macro avg']['support']} messages)"]
    for intent, scores in sorted(report.items()):
        if isinstance(scores, dict) and "f1-score" in scores and not intent.endswith("avg"):
            lines.append(f"  {intent:<22} f1 {scores['f1-score']:.2f}  support {scores['support']}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert report["accuracy"] >= MIN_HELD_OUT_ACCURACY


def test_held_out_messages_are_not_in_the_training_data(project_settings):
    def examples(path):
        found = set()
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                found.add(line.strip().lstrip("- ").lower())
        return found

    training = set().union(*(examples(p) for p in (project_settings.project_root / "data" / "nlu").glob("*.yml")))
    assert not (examples(HELD_OUT) - {""}) & training


def test_each_intent_has_30_examples_per_language(project_settings):
    from bot.text.language import detect_language

    counts = {}
    for path in (project_settings.project_root / "data" / "nlu").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                text = line.strip().lstrip("- ")
                language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"
                counts.setdefault((block["intent"], language), 0)
                counts[(block["intent"], language)] += 1
    too_few = {key: n for key, n in counts.items() if n < 30 and key[0] in ISSUE_INTENTS}
    assert not too_few, too_few
    assert {intent for intent, _ in counts} >= ISSUE_INTENTS


def test_rasa_data_validate_finds_no_story_conflicts(project_settings):
    completed = subprocess.run(
        [venv_bin("rasa"), "data", "validate", "--max-history", "4"],
        cwd=project_settings.project_root, env=child_environment(project_settings),
        capture_output=True, text=True,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "No story structure conflicts found" in output
