"""End-to-end latency under load, against this assistant and a plain `rasa init` assistant in the same run."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.runtime.assistant import start_assistant
from bot.runtime.environment import child_environment, venv_bin
from bot.runtime.supervisor import Supervisor
from bot.runtime.training import ensure_model
from bot.settings import Settings
from bot.runtime.ports import free_port


def _progress(message: str) -> None:
    print(f"[bench:perf] {message}", flush=True)


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
    by_step: Dict[str, Dict] = {}
    for step in sorted({s["step"] for s in samples if "step" in s}):
        values = [s["ms"] for s in samples if s.get("step") == step and s["ok"]]
        if values:
            by_step[str(step)] = {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}
    return {
        "n": len(samples),
        "errors": sum(1 for s in samples if not s["ok"]),
        "p50": float(np.percentile(ok, 50)) if ok else float("nan"),
        "p95": float(np.percentile(ok, 95)) if ok else float("nan"),
        "p99": float(np.percentile(ok, 99)) if ok else float("nan"),
        "throughput": len(ok) / duration if duration else 0.0,
        "by_kind": by_kind,
        "by_step": by_step,
    }


def _load(url: str, channel: str, users: int, duration: float, workdir: Path, rest_token: str = "",
          empty_replies_ok: bool = False) -> Dict:
    out = workdir / f"load-{channel}-{users}-{time.time_ns()}.json"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen", "--url", url, "--channel", channel, "--users", str(users),
         "--duration", str(duration), "--out", str(out), "--rest-token", rest_token,
         *(["--empty-replies-ok"] if empty_replies_ok else [])],
        check=True,
    )
    data = json.loads(out.read_text())
    return summarize(data["samples"], data["wall_seconds"])


class _System:
    """One assistant under test: where to send customers and which processes to watch."""

    def __init__(self, label: str, url: str, pids: Dict[str, int], rest_token: str = "",
                 empty_replies_ok: bool = False) -> None:
        self.label = label
        self.empty_replies_ok = empty_replies_ok  # rasa init says nothing to much of the script: still an answer
        self.url = url
        self.pids = pids
        self.rest_token = rest_token  # an integration's bearer token for our REST channel
        self.result: Dict = {"memory_at_rest": {}, "runs": {}, "memory_under_load": {k: 0.0 for k in pids}}

    def measure(self, channel: str, users: int, duration: float, workdir: Path) -> None:
        _progress(f"{self.label}: {channel}, {users} customer(s), {duration:.0f} s")
        with _MemorySampler(self.pids) as sampler:
            self.result["runs"][f"{channel}/{users}"] = _load(self.url, channel, users, duration, workdir,
                                                              self.rest_token, self.empty_replies_ok)
        peak = self.result["memory_under_load"]
        for name, value in sampler.peak.items():
            peak[name] = max(peak[name], value)


def _start_baseline(settings: Settings, workdir: Path, supervisor: Supervisor) -> Optional[_System]:
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
    port = free_port()
    server = supervisor.start("rasa init server", [venv_bin("rasa"), "run", "--enable-api", "--port", str(port),
                                                   "--interface", "127.0.0.1", "--credentials", "credentials.yml"],
                              env, project)
    supervisor.wait_until_ready(server, f"http://127.0.0.1:{port}/", 300)
    system = _System("rasa init", f"http://127.0.0.1:{port}", {"rasa server": server.process.pid},
                     empty_replies_ok=True)
    system.result["train_seconds"] = train_seconds
    return system


UNLIMITED_RATE = 1_000_000  # messages or requests a minute


def _start_ours(settings: Settings, label: str, workdir: Path, supervisor: Supervisor, **overrides: object
                ) -> Tuple[_System, Settings]:
    folder = workdir / label.replace(" ", "-")
    # The load comes from one address and its simulated customers type faster than people: the rate limits
    # would answer most of it with "slow down", and the figures are about answering.
    overrides = {"rate_per_sender": UNLIMITED_RATE, "rate_per_address": UNLIMITED_RATE, **overrides}
    ours = settings.with_overrides(
        rasa_port=free_port(), action_port=free_port(), web_port=free_port(), var_dir=folder,
        database_url=f"sqlite:///{folder / 'assistant.db'}", **overrides,
    )
    _progress(f"starting {label}…")
    ours = start_assistant(ours, supervisor, train=False).settings  # with the secrets it generated
    rest_token = next(iter(ours.rest_integrations), "")
    return _System(label, ours.rasa_url, {child.name: child.process.pid for child in supervisor.children},
                   rest_token), ours


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
    """All systems stay up side by side and each load level runs on them back to back (in turns), so
    what else the shared machine is doing weighs on both sides of every comparison alike."""
    figures: Dict = {"levels": list(levels), "channels": list(channels), "duration": duration}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if with_training:
            figures["training"] = _training(settings, workdir)
        from benchmarks import wechat_bench
        from tools.wechat.fake_server import FakeWeChatServer

        ensure_model(settings)  # once, before the instances below start without training
        wechat_api = FakeWeChatServer(settings.wechat_app_id, settings.wechat_app_secret)
        supervisors = {"ours": Supervisor(), "without": Supervisor(), "baseline": Supervisor()}
        systems: Dict[str, _System] = {}
        try:
            wechat_api.__enter__()
            systems["ours"], ours_settings = _start_ours(settings, "this assistant", workdir, supervisors["ours"],
                                                         wechat_api_base=wechat_api.url)
            speedup_users = 10 if 10 in levels else max(levels)
            if compare_speedups and "rest" in channels:
                systems["without"], _ = _start_ours(settings, "without the speed-up", workdir,
                                                    supervisors["without"], rasa_speedups=False)
            if with_baseline:
                baseline = _start_baseline(settings, workdir, supervisors["baseline"])
                if baseline:
                    systems["baseline"] = baseline
            for system in systems.values():
                system.result["memory_at_rest"] = {k: _rss_mb(p) for k, p in system.pids.items()}
            turn = 0
            for channel in channels:
                for users in levels:
                    names = [n for n in ("ours", "baseline", "without") if n in systems
                             and (n != "without" or (channel == "rest" and users == speedup_users))]
                    turn += 1
                    for name in names if turn % 2 else list(reversed(names)):  # alternate who goes first
                        systems[name].measure(channel, users, duration, workdir)
            _progress(f"WeChat: {wechat_users} customers, {min(duration, 60):.0f} s")
            figures["wechat"] = wechat_bench.run(ours_settings, f"{ours_settings.rasa_url}/webhooks/wechat/webhook",
                                                 users=wechat_users, duration=min(duration, 60))
        finally:
            for supervisor in supervisors.values():
                supervisor.stop_all()
            wechat_api.__exit__(None, None, None)
        figures["ours"] = systems["ours"].result
        if "baseline" in systems:
            figures["baseline"] = systems["baseline"].result
        if "without" in systems:
            figures["speedups"] = {"users": speedup_users,
                                   "without": systems["without"].result["runs"][f"rest/{speedup_users}"]}
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


def _steps_table(figures: Dict, users: int) -> List[str]:
    """Where the time goes: each message of the scripted conversation, this assistant and rasa init."""
    from benchmarks.loadgen import SCRIPT

    ours = figures["ours"]["runs"].get(f"rest/{users}", {}).get("by_step") or {}
    theirs = ((figures.get("baseline") or {}).get("runs", {}).get(f"rest/{users}") or {}).get("by_step") or {}
    if not ours:
        return []
    lines = ["", f"Per message of the conversation (REST, {users} customers), p50 / p95 ms:", "",
             "| # | customer says | this assistant | rasa init |", "|---|---|---|---|"]
    for step, (_kind, message) in enumerate(SCRIPT):
        mine, base = ours.get(str(step)), theirs.get(str(step))
        cell = (lambda v: f"{v['p50']:.0f} / {v['p95']:.0f}" if v else "-")
        lines.append(f"| {step + 1} | {message.replace('|', '/')} | {cell(mine)} | {cell(base)} |")
    return lines


def markdown(figures: Dict, chart_name: Optional[str]) -> str:
    lines = ["## Latency under load", "",
             f"Simulated customers (`benchmarks/loadgen.py`, a separate asyncio process) each repeat a 9-message "
             f"conversation (small talk, FAQ in both languages, complaint-form steps) with ~1 s think time, for "
             f"{figures['duration']:.0f} s per level. REST latency is the full reply; socket.io latency is the "
             f"first reply. Action-server round trips included. All systems stay up side by side and every level "
             f"runs on each of them back to back, the order alternating, so the shared machine's other work "
             f"weighs on both sides of each comparison.", ""]
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
            lines += ["", f"First profiling fix, same run (REST, {users} customers): the Rasa server had spent almost "
                      "half its CPU re-checking the JSON schema of every action-server response (py-spy); the same "
                      "assistant without the fix (`BOT_RASA_SPEEDUPS=false`, schema re-checked each time) against "
                      "this one (`bot/rasa/server_entry.py`, checked once): p50/p95 "
                      f"{without['p50']:.0f}/{without['p95']:.0f} ms → {with_['p50']:.0f}/{with_['p95']:.0f} ms, "
                      f"throughput {without['throughput']:.1f} → {with_['throughput']:.1f} msg/s."]
        lines += _steps_table(figures, users)
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
