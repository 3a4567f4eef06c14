"""Runs every benchmark and writes one Markdown report."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Sequence

from bot.settings import Settings


def machine_description() -> str:
    cpus = os.cpu_count()
    try:
        model = next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
             if line.startswith("model name")), platform.processor() or "unknown CPU")
    except OSError:
        model = platform.processor() or "unknown CPU"
    try:
        memory_kb = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
                             if l.startswith("MemTotal")))
        memory = f"{memory_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown memory"
    return f"{cpus} cores ({model}), {memory}, Python {platform.python_version()}, {platform.system()}"


def run_all(
    settings: Settings,
    synthetic_size: int,
    with_response_selector: bool,
    out: Path,
    load_levels: Sequence[int] = (1, 10, 50),
    load_duration: float = 120,
    with_load: bool = True,
    with_baseline: bool = True,
    with_training: bool = True,
    metrics_conversations: int = 100_000,
    metrics_runs: int = 5,
    cluster_levels: Sequence[int] = (10, 50),
    with_nlu: bool = True,
    with_routing: bool = True,
) -> Path:
    from benchmarks import emotion_bench, kb_bench, metrics_bench, perf_bench

    started = time.monotonic()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=settings.project_root,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    sections = [emotion_bench.markdown(emotion_bench.run(settings))]
    summary: Dict = {}
    if with_load:
        perf = perf_bench.run(settings, levels=load_levels, duration=load_duration, with_baseline=with_baseline,
                              with_training=with_training, compare_speedups=with_baseline)
        chart = perf_bench.chart(perf, out.parent / (out.stem + "-latency.png"))
        sections.insert(0, perf_bench.markdown(perf, chart.name if chart else None))
        if perf.get("wechat"):
            from benchmarks import wechat_bench

            sections.insert(1, wechat_bench.markdown(perf["wechat"]))
            summary["wechat"] = perf["wechat"]
        summary["load"] = {side: {k: {"p95": r["p95"], "errors": r["errors"], "n": r["n"]}
                                  for k, r in perf[side]["runs"].items()}
                           for side in ("ours", "baseline") if perf.get(side)}
    if cluster_levels:
        from benchmarks import cluster_bench

        scale = cluster_bench.run(settings, cluster_levels, load_duration)
        sections.insert(1, cluster_bench.markdown(scale))
        summary["cluster"] = {k: {"p95": r["p95"], "throughput": r["throughput"], "errors": r["errors"]}
                              for k, r in scale.get("runs", {}).items()}
    kb = kb_bench.run(settings, synthetic_size=synthetic_size, with_response_selector=with_response_selector)
    sections.append(kb_bench.markdown(kb))
    summary["kb_top1"] = kb["ours"].overall.top1_rate
    if metrics_conversations:
        metrics = metrics_bench.run(settings, metrics_conversations, metrics_runs)
        sections.append(metrics_bench.markdown(metrics))
        summary["metrics"] = {db["dialect"]: {"p95_s": db["p95_s"], "fold_s": db["fold_s"]}
                              for db in metrics["databases"]}
    if with_nlu:
        from benchmarks import nlu_bench

        try:
            sections.append(nlu_bench.markdown(nlu_bench.run(settings)))
        except RuntimeError as missing:  # SMP2017 data not prepared (python -m benchmarks.datasets_nlu prepare)
            sections.append(f"## NLU: SMP2017-ECDT intent accuracy\n\nSkipped: {missing}\n")
    if with_routing:
        from benchmarks import routing_bench

        sections.append(routing_bench.markdown(routing_bench.run(settings.project_root)))
    header = [
        "# Benchmark report",
        "",
        f"- when: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}",
        f"- machine: {machine_description()}",
        "- command: `make bench`",
        f"- took: {time.monotonic() - started:.0f} s",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(header + sections), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return out
