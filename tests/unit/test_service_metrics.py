"""The service metrics on a known history (tests/support/metrics_history.py): every figure and table of the
page's API and of `python -m bot report` equals the value computed by hand below.

The history, Shanghai time, "now" Friday 2026-11-20 12:00; the 7-day period is Sat 11-14 … Fri 11-20:
  C12 web:e12       Sat 14 10:00 zh  2 msgs, upset, complaint ticket T3 (billing, normal, still open: breached)
  C11 wechat:o11    Sun 15 22:30 zh  asks for a person out of hours: callback H5, claimed next day 10:00, resolved
                                     10:20, rated 4
  C1  web:a1        Mon 16 10:00 zh  3 msgs, KB answer shipping_fee (helpful); contained; comes back 3 days later
  C2  wechat:o2     Mon 16 21:30 zh  upset, unanswered question, choices, picks track_order (not helpful), calms
                                     down; contained, but the same sender is back 11 hours later (C3)
  C3  wechat:o2     Tue 17 09:00 en  KB answer return_policy (not helpful), angry, handoff H1 at once: waited 120 s,
                                     agent replied after 30 s, resolved after 600 s, rated 5 "Quick and kind"
  C13 rest:shop:u13 Tue 17 16:00 zh  upset, ticket T4 (delivery, normal) resolved after 30 h: breached
  C4  rest:shop:u4  Wed 18 14:00 zh  two unanswered questions, then leaves: abandoned after a miss (contained)
  C5  web:b5        Wed 18 15:00 en  angry, ticket T1 (delivery, high) resolved in 3 h: met; handoff H2 only 15 min
                                     after the first angry message: waited 300 s, reply after 60 s, resolved after
                                     1200 s, rated 2 with a phone number in the comment
  C6  web:c6        Thu 19 20:00 zh  asks for a person (H3), still queued when they leave: abandoned while waiting
  C10 web:a1        Thu 19 09:00 en  KB answer shipping_fee (helpful), VIP asks for a person with nobody there:
                                     callback H4, due 11:01, nobody has called back: overdue
  C7  wechat:o7     Fri 20 11:30 zh  angry, safety ticket T2 (critical, due 13:31: not yet due), 29 minutes quiet
  outside the period: C8 rest:shop:u8 Thu 12 (one KB answer), ticket T5 of 11-10 (open: overdue);
  not a conversation: C9 web:d9 (the widget greeted, nobody wrote).
"""
import asyncio
import csv
import io
import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.handoff.desk import HandoffDesk
from bot.metrics.formats import render
from bot.metrics.report import Policy, ServiceMetrics
from bot.metrics.scope import Filters, ScopeError
from bot.services import Services
from bot.web.app import create_app
from tests.support import metrics_history as history
from tests.support.fake_rasa import fake_rasa

DAYS = ["2026-11-14", "2026-11-15", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]


@pytest.fixture
def known(database, tmp_settings):
    ids = history.build(database)
    metrics = ServiceMetrics(database, Policy.from_settings(tmp_settings), HandoffDesk(tmp_settings, database).followups,
                             clock=lambda: history.NOW)
    return metrics, ids


def figures(report):
    return {s["key"]: {f["key"]: f["value"] for f in s["figures"]} for s in report["sections"]}


def tables(report):
    return {t["key"]: t["rows"] for s in report["sections"] for t in s["tables"]}


def compute(metrics, since="7d", until=None, channel=None, language=None, refresh=True):
    return metrics.compute(metrics.period(since, until), Filters.parse(channel, language), refresh=refresh)


def test_every_figure_of_the_week_equals_the_hand_computed_value(known):
    metrics, _ids = known
    report = compute(metrics)
    assert report["period"]["from"] == "2026-11-14" and report["period"]["to"] == "2026-11-20"
    got, rows = figures(report), tables(report)

    # Volume: 11 conversations (C9 had no customer message, C8 is older); customer messages 2+2+3+4+4+2+2+3+2+4+2;
    # bot 2+3+4+4+4+2+2+4+2+4+2 (C11 and C3, C5 end with the rating question); agents wrote 2 (C3) + 1 (C5).
    assert got["volume"] == {"conversations": 11, "customer_messages": 30, "bot_messages": 33, "agent_messages": 3}
    assert rows["conversations_by_day"] == [
        # day, web, wechat, rest, other, total
        ["2026-11-14", 1, 0, 0, 0, 1], ["2026-11-15", 0, 1, 0, 0, 1], ["2026-11-16", 1, 1, 0, 0, 2],
        ["2026-11-17", 0, 1, 1, 0, 2], ["2026-11-18", 1, 0, 1, 0, 2], ["2026-11-19", 2, 0, 0, 0, 2],
        ["2026-11-20", 0, 1, 0, 0, 1]]
    assert rows["messages_by_day"] == [
        ["2026-11-14", 4, 0, 0, 0, 4], ["2026-11-15", 0, 5, 0, 0, 5], ["2026-11-16", 7, 8, 0, 0, 15],
        ["2026-11-17", 0, 10, 4, 0, 14], ["2026-11-18", 8, 0, 4, 0, 12], ["2026-11-19", 12, 0, 0, 0, 12],
        ["2026-11-20", 0, 4, 0, 0, 4]]
    # en: C3 (10 messages), C5 (8), C10 (8); zh: the other 8 conversations, 66 - 26 = 40 messages.
    assert rows["volume_by_language"] == [["zh", 8, 40, 0.7273], ["en", 3, 26, 0.2727]]
    heat = {(row[0], hour): n for row in rows["busiest_hours"] for hour, n in enumerate(row[1:]) if n}
    assert heat == {("Sat", 10): 1, ("Sun", 22): 1, ("Mon", 10): 1, ("Mon", 21): 1, ("Tue", 9): 1, ("Tue", 16): 1,
                    ("Wed", 14): 1, ("Wed", 15): 1, ("Thu", 20): 1, ("Thu", 9): 1, ("Fri", 11): 1}

    # Containment: C1, C2, C4 had neither a person nor a ticket: 3/11. Ended (quiet an hour): all but C7 = 10;
    # C4 left after a miss, C6 while waiting: 2/10. Settled (24 h old or returned): all but C6 and C7 = 9; of
    # the contained, C2's sender came back within 24 h: C1 and C4 = 2/9.
    assert got["containment"] == {
        "contained": 3, "containment_rate": 0.2727, "settled": 9, "contained_no_return": 2,
        "contained_no_return_rate": 0.2222, "ended": 10, "abandoned_after_miss": 1, "abandoned_while_waiting": 1,
        "abandonment_rate": 0.2}
    assert rows["containment_by_day"] == [
        ["2026-11-14", 1, 0, 0.0, 0], ["2026-11-15", 1, 0, 0.0, 0], ["2026-11-16", 2, 2, 1.0, 0],
        ["2026-11-17", 2, 0, 0.0, 0], ["2026-11-18", 2, 1, 0.5, 1], ["2026-11-19", 2, 0, 0.0, 1],
        ["2026-11-20", 1, 0, 0.0, 0]]

    # Knowledge base: answered 运费多少, return policy?, shipping fee? (3); choices 物流查询 (1); unanswered
    # 我的快递…, 怎么开发票 twice (3): 7 questions; 1 pick. Feedback: 2 helpful of 4.
    assert got["knowledge_base"] == {"kb_questions": 7, "kb_answered_rate": 0.4286, "kb_choices_rate": 0.1429,
                                     "kb_unanswered_rate": 0.4286, "kb_chosen": 1, "kb_feedback": 4,
                                     "kb_helpful_rate": 0.5}
    assert rows["kb_top_unanswered"] == [["怎么开发票", 2], ["我的快递怎么还没到", 1]]
    assert rows["kb_top_unhelpful"] == [["return_policy", "return policy?", 1, 1, 0.0], ["track_order", "物流查询", 1, 1, 0.0]]
    assert rows["kb_top_entries"] == [["shipping_fee", 2, 2, 1.0], ["return_policy", 1, 1, 0.0], ["track_order", 1, 1, 0.0]]

    # Handoff: C3, C5, C6, C10, C11 asked for a person: 5/11. Waits of queued, claimed handoffs: 120 (H1), 300 (H2):
    # nearest-rank p50 120, p90 300. Handling 600 (H1), 1200 (H2), 1200 (H5): p50 and p90 1200. First replies 30,
    # 60: p50 30. One callback open (H4), overdue since 11:01 the day before.
    assert got["handoff"] == {"handoff_rate": 0.4545, "handoffs": 5, "callback_requests": 2, "wait_p50": 120.0,
                              "wait_p90": 300.0, "still_queued": 1, "handling_p50": 1200.0, "handling_p90": 1200.0,
                              "first_reply_p50": 30.0, "callbacks_open": 1, "callbacks_overdue": 1}
    assert rows["handoff_reasons"] == [["explicit", 2, 0.4, None], ["angry", 2, 0.4, 120.0], ["vip", 1, 0.2, None]]
    assert rows["handoff_outcomes"] == [["queued", 1, 0.2], ["resolved", 3, 0.6], ["callback", 1, 0.2]]
    # Left 09:01, due two hours later, 24 h 59 min overdue at noon the next day.
    assert rows["overdue_callbacks"] == [["HD2611190001", "2026-11-19 09:01", "2026-11-19 11:01", 25.0, "vip", "", "yes"]]

    # Satisfaction: 5, 2, 4: average 3.67, two of three satisfied. 小李 had H1 (5) and H5 (4), 小王 H2 (2).
    assert got["satisfaction"] == {"csat_average": 3.67, "csat_ratings": 3, "csat_share": 0.6667}
    assert rows["csat_distribution"] == [["5", 1, 0.3333], ["4", 1, 0.3333], ["3", 0, 0.0], ["2", 1, 0.3333],
                                         ["1", 0, 0.0]]
    assert rows["csat_by_day"] == [["2026-11-14", 0, None], ["2026-11-15", 0, None], ["2026-11-16", 1, 4.0],
                                   ["2026-11-17", 1, 5.0], ["2026-11-18", 1, 2.0], ["2026-11-19", 0, None],
                                   ["2026-11-20", 0, None]]
    assert rows["csat_by_agent"] == [["小李", 2, 4.5, 1.0], ["小王", 1, 2.0, 0.0]]
    assert rows["csat_by_reason"] == [["angry", 2, 3.5], ["explicit", 1, 4.0]]
    assert rows["csat_comments"] == [["2026-11-18 15:41", 2, "小王", "Too slow, call me at 138****5678"],
                                     ["2026-11-17 09:13", 5, "小李", "Quick and kind, thanks"]]

    # Complaints: T3, T4, T1, T2 in the period. T1 met; T3 (open past due) and T4 (late) breached; T2 not yet due.
    # Overdue now, whenever filed: T5 (218 h) and T3 (121 h 59 min). 李雷 filed T3 and T4.
    assert got["complaints"] == {"tickets": 4, "tickets_open": 2, "tickets_resolved": 2, "sla_met": 1,
                                 "sla_breached": 2, "sla_pending": 1, "sla_met_rate": 0.3333, "tickets_overdue": 2,
                                 "repeat_complainants": 1}
    assert rows["tickets_by_category"] == [["delivery", 0, 1, 1, 2, 0], ["quality", 1, 0, 0, 1, 1],
                                           ["billing", 0, 0, 1, 1, 1]]
    assert rows["tickets_sla"] == [["critical", 0, 0, 1, None], ["high", 1, 0, 0, 1.0], ["normal", 0, 2, 0, 0.0]]
    assert rows["overdue_tickets"] == [
        ["TK2611100001", "other", "normal", "2026-11-10 10:00", "2026-11-11 10:00", 218.0, ""],
        ["TK2611140001", "billing", "normal", "2026-11-14 10:01", "2026-11-15 10:01", 122.0, ""]]
    assert rows["repeat_complainants_list"] == [["c-li 李雷", 2, "TK2611170001", "billing, delivery"]]

    # Mood: upset at worst C12, C2, C13, C6 (4/11); angry C3, C5, C7 (3/11). Handed over C6, C3, C5; calmed C2;
    # left upset C12, C13; C7 still going on.
    assert got["mood"] == {"upset_share": 0.3636, "angry_share": 0.2727, "moody": 7}
    assert rows["mood_by_day"] == [
        ["2026-11-14", 1, 1, 0, 1.0, 0.0], ["2026-11-15", 1, 0, 0, 0.0, 0.0], ["2026-11-16", 2, 1, 0, 0.5, 0.0],
        ["2026-11-17", 2, 1, 1, 0.5, 0.5], ["2026-11-18", 2, 0, 1, 0.0, 0.5], ["2026-11-19", 2, 1, 0, 0.5, 0.0],
        ["2026-11-20", 1, 0, 1, 0.0, 1.0]]
    assert rows["mood_outcomes"] == [["handed_over", 1, 2, 3, 0.4286], ["calmed", 1, 0, 1, 0.1429],
                                     ["left", 2, 0, 2, 0.2857], ["ongoing", 0, 1, 1, 0.1429]]

    # SERVQUAL. 29 bot replies (C3's "ok" came while an agent had it): 13 within 0.5 s, 8 within 1 s, 4 within
    # 2 s, 2 within 3 s, 2 within 5 s; the 28th is in the 5 s bucket; 25/29 within 2 s. Angry customers: C3 reached
    # a person at once, C5 after 15 minutes, C7 not at all: 1/3. Promises: T4, T1, H5 kept; T3 and H4 overdue
    # (T2 not due yet): 3/5.
    assert got["servqual"] == {"bot_reply_p95": 5.0, "bot_replies_fast": 0.8621, "angry_handed_over": 0.3333,
                               "promises_honoured": 0.6}
    assert rows["servqual"] == [
        ["responsiveness", "bot_reply_p95", 5.0, "seconds"], ["responsiveness", "bot_replies_fast", 0.8621, "share"],
        ["responsiveness", "wait_p90", 300.0, "seconds"], ["reliability", "kb_helpful_rate", 0.5, "share"],
        ["reliability", "containment_rate", 0.2727, "share"], ["assurance", "sla_met_rate", 0.3333, "share"],
        ["empathy", "angry_handed_over", 0.3333, "share"], ["tangibles", "promises_honoured", 0.6, "share"]]

    # Every figure and table has its definition in both languages, for the page's legend.
    for section in report["sections"]:
        for key in [f["key"] for f in section["figures"]] + [t["key"] for t in section["tables"]]:
            definition = report["definitions"][key]
            assert definition["means"]["en"] and definition["means"]["zh"] and definition["name"]["zh"], key


def test_filters_and_periods(known):
    metrics, _ids = known
    web = compute(metrics, channel="web")  # C12, C1, C5, C6, C10
    got, rows = figures(web), tables(web)
    assert got["volume"]["conversations"] == 5 and got["containment"]["contained"] == 1
    assert got["handoff"]["handoffs"] == 3 and got["handoff"]["callbacks_overdue"] == 1  # H2, H3, H4
    assert got["knowledge_base"]["kb_questions"] == 2 and got["knowledge_base"]["kb_answered_rate"] == 1.0
    assert got["satisfaction"] == {"csat_average": 2.0, "csat_ratings": 1, "csat_share": 0.0}
    assert got["complaints"]["tickets"] == 2 and got["complaints"]["tickets_overdue"] == 2  # T3, T1; T5, T3
    assert [row[5] for row in rows["conversations_by_day"]] == [1, 0, 1, 0, 1, 2, 0]

    english = compute(metrics, language="en")  # C3, C5, C10
    got = figures(english)
    assert got["volume"] == {"conversations": 3, "customer_messages": 11, "bot_messages": 12, "agent_messages": 3}
    assert got["handoff"]["handoffs"] == 3 and got["satisfaction"]["csat_average"] == 3.5  # H1, H2, H4; 5 and 2
    assert got["knowledge_base"]["kb_questions"] == 2  # return policy?, shipping fee?
    assert got["complaints"]["tickets"] == 1 and got["mood"]["angry_share"] == 0.6667  # T1; C3, C5

    month = compute(metrics, since="30d")  # C8 of the 12th too
    assert figures(month)["volume"]["conversations"] == 12 and len(month["period"]["days"]) == 30
    assert figures(month)["knowledge_base"]["kb_questions"] == 8

    today = compute(metrics, since="today")
    assert today["period"]["from"] == today["period"]["to"] == "2026-11-20"
    assert figures(today)["volume"]["conversations"] == 1 and figures(today)["mood"]["angry_share"] == 1.0

    custom = compute(metrics, since="2026-11-16", until="2026-11-17")
    assert figures(custom)["volume"]["conversations"] == 4  # C1, C2, C3, C13

    for since, until, channel, language in (("yesterday", None, None, None), ("2026-11-20", "2026-11-01", None, None),
                                            ("7d", None, "fax", None), ("7d", None, None, "fr"), ("999d", None, None, None)):
        with pytest.raises(ScopeError):
            compute(metrics, since, until, channel, language)


def test_new_events_are_folded_in_without_counting_a_conversation_twice(known, database):
    metrics, _ids = known
    before = figures(compute(metrics))
    # C7 goes on (a calm message and an answer), and the customer of C12 starts a new conversation today.
    more = history.Conversation("wechat:o7", history.local(20, 11, 30))
    more.rows = []
    more.user(history.local(20, 11, 40), "好的，谢谢", "zh", "calm").bot(0.5, "utter_thanks")
    again = (history.Conversation("web:e12", history.local(20, 11, 45))
             .user(history.local(20, 11, 45), "工单怎么样了", "zh", "calm").bot(0.5, "utter_ticket_status"))
    with database.engine.begin() as connection:
        connection.execute(history.EVENTS.insert(), more.rows + again.rows)
    result = metrics.folder.refresh()
    assert result.senders >= 2 and not result.rebuilt
    after = figures(compute(metrics))
    assert after["volume"]["conversations"] == before["volume"]["conversations"] + 1  # only web:e12's new one
    assert after["volume"]["customer_messages"] == before["volume"]["customer_messages"] + 2
    assert after["mood"]["angry_share"] == round(3 / 12, 4)  # C7 is still an angry customer's conversation
    # The same numbers as folding everything again from scratch.
    incremental = compute(metrics, refresh=False)
    metrics.folder.rebuild()
    assert compute(metrics, refresh=False)["sections"] == incremental["sections"]


def test_the_report_command_prints_the_same_figures(known, tmp_settings, monkeypatch, capsys):
    metrics, _ids = known
    expected = compute(metrics, channel="wechat")
    from bot import cli
    from bot.settings import get_settings

    for name, value in tmp_settings.as_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("bot.metrics.report.utcnow", lambda: history.NOW)
    get_settings.cache_clear()
    try:
        assert cli.main(["report", "--since", "7d", "--channel", "wechat", "--format", "json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed["sections"] == expected["sections"] and printed["period"] == expected["period"]
        assert cli.main(["report", "--since", "7d", "--channel", "wechat", "--format", "csv"]) == 0
        cells = list(csv.reader(io.StringIO(capsys.readouterr().out)))
        assert cells[0] == ["section", "table", "row", "column", "value"]
        assert ["volume", "figures", "conversations", "value", "4"] in cells  # C11, C2, C3, C7
        assert ["handoff", "handoff_reasons", "angry", "handoffs", "1"] in cells  # H1
        assert cli.main(["report", "--since", "7d", "--format", "md"]) == 0
        text = capsys.readouterr().out
        assert "## Containment" in text and "- **Containment rate**: 27.3%" in text
        assert "- **Wait before an agent (p90)**: 5.0 min" in text and "| HD2611190001 |" in text
        assert cli.main(["report", "--since", "yesterday"]) == 2
        assert "a day is written YYYY-MM-DD" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
    assert render(expected, "md").startswith("# Service metrics, 2026-11-14 to 2026-11-20")


class Browser:
    """One person's browser: their own cookies, calling from the console's origin."""

    def __init__(self, server: TestServer, origin=None) -> None:
        self._server = server
        self._origin = origin or str(server.make_url("/").origin())
        self._http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def call(self, method, path, body=None):
        async with self._http.request(method, self._server.make_url(path), json=body if method == "POST" else None,
                                      headers={"Origin": self._origin}) as response:
            return response.status, await response.json(content_type=None)

    async def close(self):
        await self._http.close()


def test_the_metrics_api_is_for_admins_and_lets_them_assign_overdue_work(known, tmp_settings):
    metrics, ids = known

    async def scenario():
        rasa, url = await fake_rasa([], {"down": False})
        services = Services(tmp_settings.with_overrides(rasa_port=int(url.rsplit(":", 1)[1])))
        services.__dict__["service_metrics"] = metrics  # the history's clock
        server = TestServer(create_app(services))
        await server.start_server()
        boss, li, stranger = Browser(server), Browser(server), Browser(server, origin="https://evil.example")
        try:
            assert (await boss.call("GET", "/api/admin/metrics"))[0] == 401
            for who, name in ((boss, "boss"), (li, "li"), (stranger, "boss")):
                await who.call("POST", "/api/login", {"username": name, "password": history.AGENT_PASSWORD})
            status, report = await boss.call("GET", "/api/admin/metrics?since=7d")
            assert status == 200
            assert report["sections"] == compute(metrics)["sections"]  # the page shows exactly these figures
            status, report = await boss.call("GET", "/api/admin/metrics?since=2026-11-16&until=2026-11-17&channel=rest")
            assert status == 200 and figures(report)["volume"]["conversations"] == 1  # C13
            assert await boss.call("GET", "/api/admin/metrics?since=soon") == (
                400, {"error": "a day is written YYYY-MM-DD (or today, 7d, 30d for a period), not 'soon'"})
            assert (await boss.call("GET", "/api/admin/metrics?channel=fax"))[0] == 400

            # An agent is refused the figures and the assignments.
            assert await li.call("GET", "/api/admin/metrics") == (403, {"error": "only an admin may see the service metrics"})
            assert (await li.call("POST", "/api/admin/tickets/TK2611140001/assign", {"agent_id": ids["li"]}))[0] == 403

            # The agents' queue marks the overdue callback and lists the overdue tickets.
            status, overview = await li.call("GET", "/api/overview")
            callback = next(c for c in overview["callbacks"] if c["number"] == "HD2611190001")
            assert callback["overdue"] is True and callback["due_at"] == "2026-11-19T03:01:00Z"
            assert not any(c["overdue"] for c in overview["queue"])  # H3 waits, with no deadline
            # (the console's clock is the real one: T2's deadline of 2026-11-20 has passed too)
            assert [t["number"] for t in overview["overdue_tickets"]] == ["TK2611100001", "TK2611140001", "TK2611200001"]

            # The admin assigns the overdue ticket and the callback; a cross-site request is refused.
            assert (await stranger.call("POST", "/api/admin/tickets/TK2611140001/assign",
                                        {"agent_id": ids["li"]}))[0] == 403
            status, body = await boss.call("POST", "/api/admin/tickets/TK2611140001/assign", {"agent_id": ids["li"]})
            assert status == 200 and body["assigned"] == "小李"
            status, body = await boss.call("POST", "/api/admin/callbacks/HD2611190001/assign", {"agent_id": ids["wang"]})
            assert status == 200 and body["assigned"] == "小王"
            assert (await boss.call("POST", "/api/admin/tickets/TK2611180001/assign", {"agent_id": ids["li"]}))[0] == 400
            assert (await boss.call("POST", "/api/admin/tickets/TK2699999999/assign", {"agent_id": ids["li"]}))[0] == 404
            assert (await boss.call("POST", "/api/admin/callbacks/HD2611190001/assign", {"agent_id": "li"}))[0] == 400
            status, report = await boss.call("GET", "/api/admin/metrics?since=7d")
            rows = tables(report)
            assert rows["overdue_tickets"][1][-1] == "小李" and rows["overdue_callbacks"][0][5] == "小王"
            overview = (await li.call("GET", "/api/overview"))[1]
            assert overview["overdue_tickets"][1]["assigned"] == "小李"
            assert next(c for c in overview["callbacks"] if c["number"] == "HD2611190001")["agent_id"] == ids["wang"]
        finally:
            for who in (boss, li, stranger):
                await who.close()
            await server.close()
            await rasa.cleanup()
            services.database.engine.dispose()

    asyncio.run(scenario())


def test_a_callback_is_due_two_hours_after_it_was_left_counted_from_the_next_opening():
    from bot.handoff.followups import callback_due_at, is_overdue
    from bot.timekeeping import parse_service_hours

    hours = parse_service_hours("09:00-21:00", "1-5")  # Monday to Friday
    due = callback_due_at(history.utc(history.local(18, 14)), hours, "Asia/Shanghai", 2)  # Wednesday 14:00
    assert due == history.utc(history.local(18, 16))
    due = callback_due_at(history.utc(history.local(18, 22, 30)), hours, "Asia/Shanghai", 2)  # after hours
    assert due == history.utc(history.local(19, 11))
    due = callback_due_at(history.utc(history.local(20, 22)), hours, "Asia/Shanghai", 2)  # Friday night
    assert due == history.utc(history.local(23, 11))  # Monday 11:00
    assert is_overdue(due, True, due.replace(minute=1)) and not is_overdue(due, False, due.replace(minute=1))


def test_retention_keeps_the_counts_and_forgets_who(known, database):
    from bot.storage.retention import apply_retention

    metrics, _ids = known
    before = figures(compute(metrics, since="30d"))
    report = apply_retention(database, days=5, now=history.NOW)
    # older than 2026-11-15 12:00 in Shanghai: C8 (11-12) and C12 (11-14)
    assert report.counts["service metrics' conversations (anonymised)"] == 2
    with database.engine.connect() as connection:
        senders = [s for (s,) in connection.exec_driver_sql(
            "SELECT sender_id FROM metrics_conversations WHERE last_ts < 1794715200")]  # 2026-11-15 04:00 UTC
    assert sorted(senders) == ["rest:anonymised", "web:anonymised"]
    after = figures(compute(metrics, since="30d"))
    assert after["volume"] == before["volume"] and after["mood"] == before["mood"]
