"""Service metrics benchmark: how long the console's metrics page takes to get its data on a large history.

A synthetic history of N conversations (100,000 by default, 10 of Rasa's events each: 1,000,000 events) over
30 days on three channels and two languages, with knowledge-base questions and feedback, handoffs, ratings and
complaint tickets in proportion, is written to a fresh SQLite file and, when it answers, to PostgreSQL
(`--postgres-url`, default postgresql://postgres@127.0.0.1:5432/test, in a schema of its own that is dropped
afterwards). Measured: folding the events into conversations once (what the first page view after an
upgrade does), then the page's data (`ServiceMetrics.compute`, which first folds in what is new) for the 30-
and 7-day periods with and without filters, p50/p95 over the runs; and folding in 1,000 new events.

`python -m benchmarks.metrics_bench [--conversations N] [--runs N] [--out report.md]` runs it alone;
`python -m benchmarks` includes it (`--smoke`: 2,000 conversations)."""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from bot.handoff.followups import FollowUps
from bot.metrics.report import Policy, ServiceMetrics
from bot.metrics.scope import Filters
from bot.settings import Settings, get_settings, parse_service_hours
from bot.storage.database import Database, create_database
from bot.storage.migrations import migrate

TARGET_S = 1.0
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
EVENTS = sa.Table(  # Rasa's tracker store table, as rasa.core.tracker_store.SQLTrackerStore creates it
    "events", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False), sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)), sa.Column("action_name", sa.String(255)), sa.Column("data", sa.Text))
QUERIES = (("30d", None, None), ("7d", None, None), ("30d", "wechat", None), ("30d", None, "en"),
           ("7d", "web", "zh"), ("today", None, None))


# the synthetic history ---------------------------------------------------------------------------------
def history(conversations: int, now: datetime, seed: int = 14, days: int = 30) -> Dict[str, List[Dict[str, Any]]]:
    """Rows for every table over the `days` before `now`, 10 events per conversation on average (3 to open the
    session, 3 per turn, 2 or 3 turns)."""
    rng = random.Random(seed)
    start = now - timedelta(days=days)
    rows: Dict[str, List[Dict[str, Any]]] = {k: [] for k in ("events", "handoffs", "tickets", "kb_queries",
                                                             "kb_feedback", "satisfaction_ratings", "ticket_events")}
    senders: List[str] = []
    next_id = 1
    for n in range(conversations):
        if senders and rng.random() < 0.2:
            sender = rng.choice(senders)  # a customer who comes back
        else:
            channel = rng.choices(("web", "wechat", "rest"), (5, 4, 1))[0]
            sender = f"{channel}:{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
            senders.append(sender)
        begin = start + timedelta(seconds=days * 86400 * n / conversations + rng.random() * 60)
        ts = begin.replace(tzinfo=timezone.utc).timestamp()
        language = "zh" if rng.random() < 0.7 else "en"
        mood = rng.choices(("calm", "upset", "angry"), (80, 15, 5))[0]
        turns = 2 if n % 3 else 3
        events = [("action", "action_session_start", {}), ("session_started", None, {}), ("action", "action_listen", {})]
        for turn in range(turns):
            events.append(("user", None, {"text": "在吗" if language == "zh" else "hello", "parse_data": {
                "intent": {"name": "ask", "confidence": 0.9},
                "entities": [{"entity": "language", "value": language}, {"entity": "emotion", "value": mood}]}}))
            miss = rng.random() < 0.1
            response = "utter_default" if miss else "utter_kb_answer"
            events.append(("action", response, {}))
            events.append(("bot", None, {"text": "…", "metadata": {"utter_action": response}}))
        for index, (kind, name, data) in enumerate(events):
            at = ts + index * 3 + (rng.random() * 2 if kind == "bot" else 0)
            payload = {"event": kind, "timestamp": at, **({"name": name} if name else {}), **data}
            rows["events"].append({"id": next_id, "sender_id": sender, "type_name": kind, "timestamp": at,
                                   "intent_name": None, "action_name": name, "data": json.dumps(payload)})
            next_id += 1
        created = begin + timedelta(seconds=10)
        if rng.random() < 0.4:
            outcome = rng.choices(("answered", "choices", "unanswered"), (70, 10, 20))[0]
            rows["kb_queries"].append({"conversation_id": sender, "question": f"问题 {rng.randrange(500)}",
                                       "normalized": f"q{rng.randrange(500)}", "language": language, "outcome": outcome,
                                       "entry_id": f"entry_{rng.randrange(150)}" if outcome == "answered" else None,
                                       "created_at": created})
            if outcome == "answered" and rng.random() < 0.4:
                rows["kb_feedback"].append({"conversation_id": sender, "entry_id": rows["kb_queries"][-1]["entry_id"],
                                            "question": "…", "helpful": rng.random() < 0.75,
                                            "created_at": created + timedelta(seconds=5)})
        if rng.random() < 0.08 or mood == "angry":
            callback = rng.random() < 0.15
            claimed = None if callback and rng.random() < 0.5 else created + timedelta(seconds=rng.randrange(20, 900))
            closed = claimed + timedelta(seconds=rng.randrange(60, 1800)) if claimed else None
            rows["handoffs"].append({
                "number": f"HD{len(rows['handoffs']):010d}", "conversation_id": sender, "channel": sender.split(":")[0],
                "language": language, "tier": "regular", "reason": rng.choice(("explicit", "misunderstood", "angry")),
                "summary": "", "base_priority": 0, "context_json": "{}", "callback_requested": callback,
                "status": "callback" if callback and not claimed else ("resolved" if closed else "queued"),
                "agent_id": None, "created_at": created, "claimed_at": claimed, "closed_at": closed})
            if closed and rng.random() < 0.6:
                rows["satisfaction_ratings"].append({"conversation_id": sender, "handoff_id": len(rows["handoffs"]),
                                                     "score": rng.choice((1, 2, 3, 4, 4, 5, 5, 5)), "comment": None,
                                                     "created_at": closed + timedelta(seconds=30)})
        if rng.random() < 0.03 or (mood == "angry" and rng.random() < 0.3):
            severity = rng.choice(("critical", "high", "normal", "normal"))
            due = created + timedelta(hours={"critical": 2, "high": 4, "normal": 24}[severity])
            done = rng.random() < 0.7
            number = f"TK{len(rows['tickets']):010d}"
            rows["tickets"].append({
                "number": number, "idempotency_key": number, "conversation_id": sender, "customer_id": None,
                "category": rng.choice(("delivery", "quality", "billing", "other")), "severity": severity,
                "emotion_level": mood, "emotion_score": 0.5, "description": "…", "language": language,
                "status": "resolved" if done else "open", "sla_due_at": due, "escalated": False,
                "created_at": created, "updated_at": created})
            if done:
                rows["ticket_events"].append({"ticket_id": len(rows["tickets"]), "status": "resolved", "actor": "bench",
                                              "created_at": created + timedelta(hours=rng.random() * 30)})
    return rows


def load(database: Database, rows: Dict[str, List[Dict[str, Any]]]) -> None:
    """Writes the history (PostgreSQL: COPY for the events; SQLite: one transaction of batched inserts)."""
    migrate(database.engine)
    tables = sa.MetaData()
    tables.reflect(database.engine)
    with database.engine.begin() as connection:
        EVENTS.create(connection, checkfirst=True)
        if database.engine.dialect.name == "postgresql":
            buffer = io.StringIO()
            for r in rows["events"]:
                buffer.write("\t".join([str(r["id"]), r["sender_id"], r["type_name"], repr(r["timestamp"]),
                                        "\\N", r["action_name"] or "\\N",
                                        r["data"].replace("\\", "\\\\").replace("\t", "\\t")]) + "\n")
            buffer.seek(0)
            cursor = connection.connection.cursor()
            cursor.copy_expert("COPY events (id, sender_id, type_name, timestamp, intent_name, action_name, data) "
                               "FROM STDIN", buffer)
        else:
            for start in range(0, len(rows["events"]), 20000):
                connection.execute(EVENTS.insert(), rows["events"][start:start + 20000])
        for name in ("handoffs", "tickets", "ticket_events", "kb_queries", "kb_feedback", "satisfaction_ratings"):
            if rows[name]:
                connection.execute(tables.tables[name].insert(), rows[name])
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


# measuring -----------------------------------------------------------------------------------------------
def _metrics(database: Database, settings: Settings, now: datetime) -> ServiceMetrics:
    followups = FollowUps(database, parse_service_hours(settings.service_hours, settings.service_days),
                          settings.timezone, settings.callback_due_hours)
    return ServiceMetrics(database, Policy.from_settings(settings), followups, clock=lambda: now)


def measure(database: Database, settings: Settings, rows: Dict[str, List[Dict[str, Any]]], now: datetime,
            runs: int) -> Dict[str, Any]:
    metrics = _metrics(database, settings, now)
    started = time.perf_counter()
    folded = metrics.folder.refresh()
    fold_s = time.perf_counter() - started
    timings: List[float] = []
    per_query: Dict[str, List[float]] = {}
    report: Dict[str, Any] = {}
    for run in range(runs):
        for since, channel, language in QUERIES:
            started = time.perf_counter()
            result = metrics.compute(metrics.period(since, None), Filters.parse(channel, language))
            elapsed = time.perf_counter() - started
            timings.append(elapsed)
            per_query.setdefault("/".join(filter(None, (since, channel, language))), []).append(elapsed)
            if run == 0 and (since, channel, language) == QUERIES[0]:
                report = result
    # About 1,000 new events: 100 conversations of the last hour, folded in by the next page view
    extra = history(100, now, seed=99, days=1)["events"][-1000:]
    first = int(rows["events"][-1]["id"]) + 1
    for offset, event in enumerate(extra):
        event["id"] = first + offset
    with database.engine.begin() as connection:
        connection.execute(EVENTS.insert(), extra)
    started = time.perf_counter()
    metrics.compute(metrics.period("30d", None), Filters())
    incremental_s = time.perf_counter() - started
    volume = next(s for s in report["sections"] if s["key"] == "volume")
    conversations = next(f["value"] for f in volume["figures"] if f["key"] == "conversations")
    ordered = sorted(timings)
    return {
        "dialect": database.engine.dialect.name, "events": folded.events_read, "conversations": conversations,
        "fold_s": fold_s, "runs": len(timings), "p50_s": statistics.median(timings),
        "p95_s": ordered[max(0, -(-95 * len(ordered) // 100) - 1)], "max_s": ordered[-1],
        "per_query_p50": {k: statistics.median(v) for k, v in per_query.items()},
        "incremental_s": incremental_s,
    }


def run(settings: Settings, conversations: int = 100_000, runs: int = 5, postgres_url: Optional[str] = None
        ) -> Dict[str, Any]:
    now = datetime(2026, 11, 30, 4, 0)
    started = time.perf_counter()
    rows = history(conversations, now)
    results: Dict[str, Any] = {"conversations": conversations, "events": len(rows["events"]),
                               "handoffs": len(rows["handoffs"]), "tickets": len(rows["tickets"]),
                               "kb_queries": len(rows["kb_queries"]), "ratings": len(rows["satisfaction_ratings"]),
                               "generate_s": time.perf_counter() - started, "runs_per_query": runs, "databases": []}
    with tempfile.TemporaryDirectory(prefix="metrics-bench-") as folder:
        sqlite = create_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            started = time.perf_counter()
            load(sqlite, rows)
            load_s = time.perf_counter() - started
            results["databases"].append({**measure(sqlite, settings, rows, now, runs), "load_s": load_s})
        finally:
            sqlite.engine.dispose()
    url = postgres_url or DEFAULT_POSTGRES
    schema = f"metrics_bench_{os.getpid()}"
    try:
        admin = sa.create_engine(url, future=True)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except Exception as error:  # not installed, not running, no access: said in the report
        results["postgresql"] = f"not measured: PostgreSQL at {url} did not answer ({type(error).__name__}: " \
                                f"{str(error).splitlines()[0][:160]})"
        return results
    try:
        engine = sa.create_engine(url, future=True, connect_args={"options": f"-csearch_path={schema}"})
        database = Database(engine, sa.orm.sessionmaker(engine, future=True, expire_on_commit=False))
        started = time.perf_counter()
        load(database, rows)
        load_s = time.perf_counter() - started
        results["databases"].append({**measure(database, settings, rows, now, runs), "load_s": load_s})
        engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
    return results


def markdown(results: Dict[str, Any]) -> str:
    lines = ["## Service metrics", "",
             f"Synthetic history: {results['conversations']:,} conversations ({results['events']:,} Rasa events) over "
             f"30 days, with {results['kb_queries']:,} knowledge-base questions, {results['handoffs']:,} handoffs, "
             f"{results['ratings']:,} ratings and {results['tickets']:,} tickets (`benchmarks/metrics_bench.py`). "
             f"Page data = everything `/api/admin/metrics` returns (`ServiceMetrics.compute`, which first folds in "
             f"new events), for {len(QUERIES)} period/filter choices × {results['runs_per_query']} runs. "
             f"Target: p95 under {TARGET_S:.0f} s.", "",
             "| database | folding all events once | page data p50 | page data p95 | max | 1,000 new events, next view |",
             "|---|---|---|---|---|---|"]
    for db in results["databases"]:
        verdict = "✅" if db["p95_s"] < TARGET_S else "❌"
        lines.append(f"| {db['dialect']} | {db['fold_s']:.1f} s ({db['events']:,} events) | {db['p50_s']:.3f} s | "
                     f"**{db['p95_s']:.3f} s** {verdict} | {db['max_s']:.3f} s | {db['incremental_s']:.3f} s |")
    if results.get("postgresql"):
        lines += ["", f"PostgreSQL: {results['postgresql']}."]
    lines += ["", "p50 per choice (period/channel/language): " + "; ".join(
        f"{db['dialect']}: " + ", ".join(f"{k} {v:.3f} s" for k, v in db["per_query_p50"].items())
        for db in results["databases"]), ""]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.metrics_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of each period/filter choice")
    parser.add_argument("--postgres-url", help=f"PostgreSQL to measure too (default {DEFAULT_POSTGRES})")
    parser.add_argument("--out", help="also write the Markdown section to this file")
    args = parser.parse_args(argv)
    results = run(get_settings(), args.conversations, args.runs, args.postgres_url)
    text = markdown(results)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
