"""`python -m bot report`: the service metrics page's figures in the terminal or as a file (Markdown, CSV, JSON),
computed by the same code (`bot.metrics.report`)."""
from __future__ import annotations

import argparse
import sys

from bot.settings import get_settings


def cmd_report(args: argparse.Namespace) -> int:
    from bot.handoff.followups import FollowUps
    from bot.metrics.formats import render
    from bot.metrics.report import Policy, ServiceMetrics
    from bot.metrics.scope import Filters, ScopeError
    from bot.settings import parse_service_hours
    from bot.storage.migrations import migrated_database

    settings = get_settings()
    database = migrated_database(settings)
    followups = FollowUps(database, parse_service_hours(settings.service_hours, settings.service_days),
                          settings.timezone, settings.callback_due_hours)
    metrics = ServiceMetrics(database, Policy.from_settings(settings), followups)
    try:
        period = metrics.period(args.since, args.until)
        filters = Filters.parse(args.channel, args.language)
    except ScopeError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    if args.rebuild:
        metrics.folder.rebuild()
    text = render(metrics.compute(period, filters), args.format)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"Report written to {args.out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report", help="service metrics for a period (the console's metrics page in the terminal)",
        description="How well customers were served: volume, containment, knowledge base, handoff, satisfaction, "
                    "complaints, mood and SERVQUAL. Definitions: bot/metrics/ (and the page's legend).")
    report.add_argument("--since", default="7d", help="today, 7d, 30d, Nd or a day YYYY-MM-DD (default 7d)")
    report.add_argument("--until", help="last day included, YYYY-MM-DD (default today, business time zone)")
    report.add_argument("--channel", choices=("web", "wechat", "rest", "other"), help="only this channel")
    report.add_argument("--language", choices=("zh", "en"), help="only customers writing this language")
    report.add_argument("--format", choices=("md", "csv", "json"), default="md", help="output format (default md)")
    report.add_argument("--out", help="write to this file instead of the terminal")
    report.add_argument("--rebuild", action="store_true",
                        help="fold every stored conversation again (after changing the time zone is automatic)")
    report.set_defaults(func=cmd_report)
