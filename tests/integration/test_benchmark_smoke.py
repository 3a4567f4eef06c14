"""A few seconds of every benchmark: the report is produced and the load ran without errors.
The figures themselves are not asserted (the machines are shared and noisy)."""
import json
import subprocess
import sys

from tests.support.processes import PROJECT_ROOT


def test_benchmark_smoke_run_writes_a_report_without_errors(trained_model, tmp_path):
    report = tmp_path / "report.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--out", str(report)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    for section in ("## Latency under load", "## WeChat under load", "## Emotion", "## Knowledge base",
                    "## Service metrics", "machine:"):
        assert section in text
    assert (tmp_path / "report-latency.png").stat().st_size > 1000
    summary = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    for run in ("rest/2", "socketio/2"):
        assert summary["load"]["ours"][run]["n"] > 0
        assert summary["load"]["ours"][run]["errors"] == 0, summary
    assert summary["metrics"]["sqlite"]["p95_s"] > 0  # the page's data on the smoke history (PostgreSQL if it runs)
    assert summary["wechat"]["messages"] > 0
    assert summary["wechat"]["errors"] == 0 and summary["wechat"]["duplicate_processings"] == 0, summary
