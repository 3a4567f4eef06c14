"""End-to-end latency under load, against this assistant and a plain `rasa init` assistant in the same run."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from bot.runtime.assistant import start_assistant
from bot.runtime.environment import child_environment, venv_bin
from bot.runtime.supervisor import Supervisor
from bot.settings import Settings


def _progress(message: str) -> None:
    print(f"[bench:perf] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    total = 0
    try:
        out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)], capture_output=True, text=True)
        total = sum(int(x) for x in out.stdout.split())
    except (OSError, ValueError):
        pass
    return total / 1024


class _MemorySampler:
    def __init__(self, pids: Dict[str, int]) -> None:
        self.pids = pids
        self.peak: Dict[str, float] = {name: 0.0 for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], _rss_mb(pid))
            self._stop.wait(1.0)

    def __enter__(self) -> "_MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def summarize(samples: List[Dict], duration: float) -> Dict:
    ok = [s["ms"] for s in samples if s["ok"]]
    by_kind: Dict[str, Dict] = {}
    for kind in sorted({s["kind"] for s in samples}):
        values = [s["ms"] for s in samples if s["kind"] == kind and s["ok"]]
        if values:
            by_kind[kind] = {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)),
                             "n": len(values)}
    return {
        "n": len(samples),
        "errors": sum(1 for s in samples if not s["ok"]),
        "p50": float(np.percentile(ok, 50)) if ok else float("nan"),
        "p95": float(np.percentile(ok, 95)) if ok else float("nan"),
        "p99": float(np.percentile(ok, 99)) if ok else float("nan"),
        "throughput": len(ok) / duration if duration else 0.0,
        "by_kind": by_kind,
    }


def _load(url: str, channel: str, users: int, duration: float, workdir: Path) -> Dict:
    out = workdir / f"load-{channel}-{users}-{time.time_ns()}.json"
    subprocess.run(
        [sys.executable, "-m", "bot.bench.loadgen", "--url", url, "--channel", channel, "--users", str(users),
         "--duration", str(duration), "--out", str(out)],
        check=True,
    )
    data = json.loads(out.read_text())
    return summarize(data["samples"], data["wall_seconds"])


def _measure(name: str, url: str, pids: Dict[str, int], levels: Sequence[int], channels: Sequence[str],
             duration: float, workdir: Path) -> Dict:
    result: Dict = {"memory_at_rest": {k: _rss_mb(p) for k, p in pids.items()}, "runs": {}}
    peak: Dict[str, float] = {k: 0.0 for k in pids}
    for channel in channels:
        for users in levels:
            _progress(f"{name}: {channel}, {users} customer(s), {duration:.0f} s")
            with _MemorySampler(pids) as sampler:
                result["runs"][f"{channel}/{users}"] = _load(url, channel, users, duration, workdir)
            for k, v in sampler.peak.items():
                peak[k] = max(peak[k], v)
    result["memory_under_load"] = peak
    return result


def _baseline(settings: Settings, workdir: Path, levels: Sequence[int], channels: Sequence[str],
              duration: float) -> Optional[Dict]:
    project = workdir / "rasa-init"
    env = child_environment(settings)
    _progress("creating and training a plain `rasa init` assistant (the floor)…")
    project.mkdir(parents=True, exist_ok=True)  # rasa init wants the folder to exist
    started = time.monotonic()
    completed = subprocess.run([venv_bin("rasa"), "init", "--no-prompt", "--init-dir", str(project)],
                               cwd=workdir, env=env, capture_output=True, text=True)
    if completed.returncode != 0 or not list((project / "models").glob("*.tar.gz")):
        _progress("rasa init failed:\n" + (completed.stdout + completed.stderr)[-2000:])
        return None
    train_seconds = time.monotonic() - started
    (project / "credentials.yml").write_text("rest:\nsocketio:\n  user_message_evt: user_uttered\n"
                                             "  bot_message_evt: bot_uttered\n  session_persistence: true\n")
    port = _free_port()
    supervisor = Supervisor()
    server = supervisor.start("rasa init server", [venv_bin("rasa"), "run", "--enable-api", "--port", str(port),
                                                   "--interface", "127.0.0.1", "--credentials", "credentials.yml"],
                              env, project)
    try:
        supervisor.wait_until_ready(server, f"http://127.0.0.1:{port}/", 300)
        result = _measure("rasa init", f"http://127.0.0.1:{port}", {"rasa server": server.process.pid}, levels,
                          channels, duration, workdir)
        result["train_seconds"] = train_seconds
        return result
    finally:
        supervisor.stop_all()


def _without_speedups(settings: Settings, workdir: Path, levels: Sequence[int], duration: float) -> Dict:
    """The profiling fix measured in the same run: the same assistant with BOT_RASA_SPEEDUPS=false."""
    users = 10 if 10 in levels else max(levels)
    off = settings.with_overrides(
        rasa_port=_free_port(), action_port=_free_port(), web_port=_free_port(), var_dir=workdir / "var-off",
        database_url=f"sqlite:///{workdir / 'var-off' / 'assistant.db'}", rasa_speedups=False,
    )
    supervisor = Supervisor()
    try:
        _progress(f"the same assistant without the speed-up: rest, {users} customers")
        start_assistant(off, supervisor)
        pids = {child.name: child.process.pid for child in supervisor.children}
        result = _measure("without the speed-up", off.rasa_url, pids, [users], ["rest"], duration, workdir)
        return {"users": users, "without": result["runs"][f"rest/{users}"]}
    finally:
        supervisor.stop_all()


def _training(settings: Settings, workdir: Path) -> Dict:
    models = workdir / "models"
    env = child_environment(settings)
    env["BOT_MODELS_DIR"] = str(models)
    _progress("training from scratch…")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "bot", "train", "--force"], env=env, cwd=settings.project_root, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scratch = time.monotonic() - started
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "bot", "train"], env=env, cwd=settings.project_root, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    unchanged = time.monotonic() - started
    size = sum(p.stat().st_size for p in models.glob("*.tar.gz")) / 1024 / 1024
    return {"scratch_seconds": scratch, "unchanged_seconds": unchanged, "model_mb": size}


def run(settings: Settings, levels: Sequence[int] = (1, 10, 50), channels: Sequence[str] = ("rest", "socketio"),
        duration: float = 120, with_baseline: bool = True, with_training: bool = True,
        wechat_users: int = 10, compare_speedups: bool = True) -> Dict:
    figures: Dict = {"levels": list(levels), "channels": list(channels), "duration": duration}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if with_training:
            figures["training"] = _training(settings, workdir)
        from bot.bench import wechat_bench
        from bot.channels.wechat.fake_server import FakeWeChatServer

        wechat_api = FakeWeChatServer(settings.wechat_app_id, settings.wechat_app_secret)
        ours_settings = settings.with_overrides(
            rasa_port=_free_port(), action_port=_free_port(), web_port=_free_port(), var_dir=workdir / "var",
            database_url=f"sqlite:///{workdir / 'var' / 'assistant.db'}", wechat_api_base=wechat_api.url,
        )
        supervisor = Supervisor()
        try:
            wechat_api.__enter__()
            _progress("starting this assistant…")
            start_assistant(ours_settings, supervisor)
            pids = {child.name: child.process.pid for child in supervisor.children}
            figures["ours"] = _measure("this assistant", ours_settings.rasa_url, pids, levels, channels, duration,
                                       workdir)
            _progress(f"WeChat: {wechat_users} customers, {min(duration, 60):.0f} s")
            figures["wechat"] = wechat_bench.run(ours_settings, f"{ours_settings.rasa_url}/webhooks/wechat/webhook",
                                                 users=wechat_users, duration=min(duration, 60))
        finally:
            supervisor.stop_all()
            wechat_api.__exit__(None, None, None)
        if compare_speedups and "rest" in channels:
            figures["speedups"] = _without_speedups(settings, workdir, levels, duration)
        if with_baseline:
            figures["baseline"] = _baseline(settings, workdir, levels, channels, duration)
    return figures


def chart(figures: Dict, out: Path) -> Optional[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(figures["channels"]), figsize=(5 * len(figures["channels"]), 3.6), squeeze=False)
    for axis, channel in zip(axes[0], figures["channels"]):
        for name, label in (("ours", "this assistant"), ("baseline", "rasa init")):
            data = figures.get(name)
            if not data:
                continue
            levels = figures["levels"]
            axis.plot(levels, [data["runs"][f"{channel}/{u}"]["p95"] for u in levels], marker="o", label=label)
        axis.set_title(f"p95 latency, {channel}")
        axis.set_xlabel("concurrent customers")
        axis.set_ylabel("ms")
        axis.set_xscale("log")
        axis.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def markdown(figures: Dict, chart_name: Optional[str]) -> str:
    lines = ["## Latency under load", "",
             f"Simulated customers (`bot/bench/loadgen.py`, a separate asyncio process) each repeat a 9-message "
             f"conversation (small talk, FAQ in both languages, complaint-form steps) with ~1 s think time, for "
             f"{figures['duration']:.0f} s per level. REST latency is the full reply; socket.io latency is the "
             f"first reply. Action-server round trips included.", ""]
    lines.append("| system | channel | customers | p50 ms | p95 ms | p99 ms | msg/s | errors | FAQ p95 | complaint p95 | small talk p95 |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, label in (("ours", "this assistant"), ("baseline", "rasa init")):
        data = figures.get(name)
        if not data:
            continue
        for key, run in data["runs"].items():
            channel, users = key.split("/")
            kinds = run["by_kind"]

            def kind(k: str) -> str:
                return f"{kinds[k]['p95']:.0f}" if k in kinds else "-"

            lines.append(f"| {label} | {channel} | {users} | {run['p50']:.0f} | {run['p95']:.0f} | {run['p99']:.0f} | "
                         f"{run['throughput']:.1f} | {run['errors']} | {kind('faq')} | {kind('complaint')} | "
                         f"{kind('small_talk')} |")
    if figures.get("speedups") and figures.get("ours"):
        users = figures["speedups"]["users"]
        without, with_ = figures["speedups"]["without"], figures["ours"]["runs"].get(f"rest/{users}")
        if with_:
            lines += ["", f"Profiling fix, same run (REST, {users} customers): the Rasa server spent almost half its "
                      "CPU re-checking the JSON schema of every action-server response (py-spy); with the schema "
                      "checked once (`bot/runtime/rasa_entry.py`) p50/p95 went from "
                      f"{without['p50']:.0f}/{without['p95']:.0f} ms to {with_['p50']:.0f}/{with_['p95']:.0f} ms "
                      f"and throughput from {without['throughput']:.1f} to {with_['throughput']:.1f} msg/s."]
    if figures.get("baseline") and figures.get("ours"):
        lines.append("")
        lines.append("Ratio of p95 latencies, this assistant ÷ rasa init, same run:")
        lines.append("")
        for key in figures["ours"]["runs"]:
            ours = figures["ours"]["runs"][key]["p95"]
            theirs = figures["baseline"]["runs"].get(key, {}).get("p95")
            if theirs:
                lines.append(f"- {key.replace('/', ', ')} customers: {ours / theirs:.2f}×")
    lines.append("")
    if chart_name:
        lines.append(f"![p95 latency]({chart_name})")
        lines.append("")
    lines.append("| process | memory at rest (MiB) | peak under load (MiB) |")
    lines.append("|---|---|---|")
    for name, label in (("ours", ""), ("baseline", "rasa init: ")):
        data = figures.get(name)
        if not data:
            continue
        for process, rest in data["memory_at_rest"].items():
            lines.append(f"| {label}{process} | {rest:.0f} | {data['memory_under_load'].get(process, 0):.0f} |")
    lines.append("")
    if "training" in figures:
        t = figures["training"]
        lines.append("| training | figure |")
        lines.append("|---|---|")
        lines.append(f"| from scratch (`python -m bot train --force`) | {t['scratch_seconds']:.0f} s |")
        lines.append(f"| unchanged data (`python -m bot train`) | {t['unchanged_seconds']:.0f} s |")
        lines.append(f"| model size | {t['model_mb']:.1f} MiB |")
        if figures.get("baseline"):
            lines.append(f"| rasa init (creates and trains the moodbot) | {figures['baseline']['train_seconds']:.0f} s |")
        lines.append("")
    if not figures.get("wechat"):
        lines.append("WeChat: not measured in this run.")
    lines.append("")
    return "\n".join(lines)
