"""`python -m benchmarks`: run the benchmarks and write a Markdown report (what `make bench` runs)."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from bot.settings import get_settings


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from benchmarks.runner import run_all

    settings = get_settings()
    if args.part == "cluster":  # only the scale-out comparison (benchmarks/cluster_bench.py)
        from benchmarks import cluster_bench

        out = Path(args.out) if args.out else settings.project_root / "benchmarks" / "reports" / "cluster.md"
        levels = tuple(int(x) for x in args.cluster_levels.split(","))
        report = cluster_bench.run_and_report(settings, out, levels, args.load_duration)
        print(f"Report written to {report}")
        print(report.read_text(encoding="utf-8"))
        return 0
    out = Path(args.out) if args.out else settings.project_root / "benchmarks" / "reports" / "latest.md"
    if args.smoke:  # a few seconds of everything: for the test suite
        report = run_all(settings, 1000, False, out, load_levels=(2,), load_duration=5, with_baseline=False,
                         with_training=False, metrics_conversations=2000, metrics_runs=1, cluster_levels=(),
                         with_nlu=False, with_routing=False)
    else:
        levels = tuple(int(x) for x in args.levels.split(","))
        report = run_all(settings, args.synthetic_size, not args.skip_response_selector, out, load_levels=levels,
                         load_duration=args.load_duration, with_load=not args.skip_load,
                         with_baseline=not args.skip_baseline, metrics_conversations=args.metrics_conversations,
                         cluster_levels=() if args.skip_cluster or args.skip_load else
                         tuple(int(x) for x in args.cluster_levels.split(",")),
                         with_nlu=not args.skip_nlu, with_routing=not args.skip_routing)
    print(f"Report written to {report}")
    print(report.read_text(encoding="utf-8"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    bench = argparse.ArgumentParser(prog="python -m benchmarks",
                                    description="run the benchmarks and write a Markdown report")
    bench.add_argument("part", nargs="?", choices=("all", "cluster"), default="all",
                       help="'cluster': only the scale-out comparison (1 replica on SQLite, on PostgreSQL + Redis, "
                            "2 replicas behind nginx), report in benchmarks/reports/cluster.md")
    bench.add_argument("--out", help="report path (default benchmarks/reports/latest.md)")
    bench.add_argument("--synthetic-size", type=int, default=50_000, help="entries in the synthetic knowledge base")
    bench.add_argument("--skip-response-selector", action="store_true", help="skip training Rasa's ResponseSelector")
    bench.add_argument("--levels", default="1,10,50", help="concurrent customers, comma-separated")
    bench.add_argument("--load-duration", type=float, default=120, help="seconds of load per level and channel")
    bench.add_argument("--skip-load", action="store_true", help="skip the latency-under-load benchmark")
    bench.add_argument("--skip-baseline", action="store_true", help="skip the plain `rasa init` comparison")
    bench.add_argument("--metrics-conversations", type=int, default=100_000,
                       help="conversations in the service metrics' synthetic history (0 skips it)")
    bench.add_argument("--cluster-levels", default="10,50", help="concurrent customers for the scale-out comparison")
    bench.add_argument("--skip-cluster", action="store_true", help="skip the scale-out comparison")
    bench.add_argument("--skip-nlu", action="store_true", help="skip the SMP2017-ECDT intent benchmark")
    bench.add_argument("--skip-routing", action="store_true", help="skip the routing check (208 first messages)")
    bench.add_argument("--smoke", action="store_true", help="a few seconds of each benchmark (used by the tests)")
    return bench


def main(argv: Optional[List[str]] = None) -> int:
    from bot.observability.masking import configure_logging

    configure_logging(get_settings().log_level)
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
