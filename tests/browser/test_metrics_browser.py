"""The service metrics page in Chromium, on the known history of tests/support/metrics_history.py served by the
web server alone (`python -m bot web`): an admin signs in on the console, follows the link to the metrics,
picks the history's week and a channel; the charts are drawn, the figures are the history's, a table's CSV
downloads with its rows, an overdue ticket is assigned to an agent, and no error shows in the console. An agent
is refused, and sees the overdue callback marked on the queue. Screenshots go to tests/browser/artifacts/."""
import csv
import io
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.settings import load_settings
from bot.storage.database import create_database
from bot.storage.migrations import migrate
from bot.web.chart_asset import chart_script
from tests.browser.conftest import console_sign_in
from tests.support import metrics_history as history
from tests.support.processes import PROJECT_ROOT, free_port

TIMEOUT_MS = 30_000
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("metrics-var")
    environment = {**os.environ, "BOT_VAR_DIR": str(var_dir), "BOT_DATABASE_URL": f"sqlite:///{var_dir / 'assistant.db'}",
                   "BOT_WEB_PORT": str(free_port()), "BOT_RASA_PORT": str(free_port()),
                   "BOT_SERVICE_HOURS": "09:00-21:00"}
    settings = load_settings(environment)
    assert chart_script(settings) is not None, "Chart.js is not installed: run scripts/install_charts.sh (make setup)"
    database = create_database(settings.database_url)
    migrate(database.engine)
    history.build(database)
    database.engine.dispose()
    log = open(var_dir / "web.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "bot", "web"], cwd=PROJECT_ROOT, env=environment,
                               stdout=log, stderr=subprocess.STDOUT)
    url = settings.web_url
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError((var_dir / "web.log").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
    yield url
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def watch_errors(page):
    """Console errors and uncaught exceptions on the page (a refused script or style shows here too)."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def sign_in(page, url, username):
    console_sign_in(page, url, username, history.AGENT_PASSWORD)


def figure(page, key):
    return page.inner_text(f"[data-testid=figure-{key}] .value")


def wait_for_report(page, first_day, last_day):
    page.wait_for_selector(f"#status:has-text('{first_day} — {last_day}')", timeout=TIMEOUT_MS)


def test_an_admin_reads_the_metrics_filters_them_exports_a_table_and_assigns_an_overdue_ticket(web, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, web, "boss")
    errors.clear()  # the console asks who is signed in before the sign-in (401): not this page's
    link = page.locator("#metrics-link")
    assert link.is_visible()
    response_policy = []
    page.on("response", lambda r: response_policy.append(r.headers.get("content-security-policy", ""))
            if r.url.endswith("/console/metrics") else None)
    link.click()
    page.wait_for_selector("[data-testid=section-servqual]", timeout=TIMEOUT_MS)
    assert response_policy and "'unsafe-inline'" not in response_policy[0] and "script-src 'self'" in response_policy[0]

    # The history's week (it is in the past): a custom period.
    page.select_option("#period", "custom")
    page.fill("#from", "2026-11-14")
    page.fill("#to", "2026-11-20")
    page.dispatch_event("#to", "change")
    wait_for_report(page, "2026-11-14", "2026-11-20")
    assert figure(page, "conversations") == "11"
    assert figure(page, "containment_rate") == "27.3%"
    assert figure(page, "csat_average") == "3.67"
    assert page.locator("[data-testid=section-volume] canvas").count() >= 3
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll('canvas[data-table]'))
        .filter(c => window.Chart.getChart(c) && c.width > 0 && c.height > 0).length""")
    assert drawn == page.locator("canvas[data-table]").count() >= 10
    page.locator("[data-testid=table-busiest_hours] td.h5").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "metrics-week.png"), full_page=True)

    # A filter: the website only.
    page.select_option("#channel", "web")
    page.wait_for_selector("[data-testid=figure-conversations] .value:text-is('5')", timeout=TIMEOUT_MS)
    assert figure(page, "handoffs") == "3" and figure(page, "csat_average") == "2.00"

    # The table's CSV: its columns, then a row per day.
    with page.expect_download() as download_info:
        page.click("[data-testid=csv-conversations_by_day]")
    download = download_info.value
    assert download.suggested_filename == "conversations_by_day_2026-11-14_2026-11-20.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows == [["day", "web", "wechat", "rest", "other", "total"],
                    ["2026-11-14", "1", "0", "0", "0", "1"], ["2026-11-15", "0", "0", "0", "0", "0"],
                    ["2026-11-16", "1", "0", "0", "0", "1"], ["2026-11-17", "0", "0", "0", "0", "0"],
                    ["2026-11-18", "1", "0", "0", "0", "1"], ["2026-11-19", "2", "0", "0", "0", "2"],
                    ["2026-11-20", "0", "0", "0", "0", "0"]]

    # Acting on it: the overdue billing ticket goes to 小李.
    row = page.locator("[data-testid=table-overdue_tickets] tr:has-text('TK2611140001')")
    row.locator("select").select_option(label="小李 (li)")
    row.locator("button").click()
    page.wait_for_selector("[data-testid=table-overdue_tickets] tr:has-text('TK2611140001'):has-text('小李')",
                           timeout=TIMEOUT_MS)

    # In English too, with a definition on hover.
    page.click("[data-lang=en]")
    page.wait_for_selector("h2:has-text('Containment')")
    assert "without a person" in page.get_attribute("[data-testid=figure-handoff_rate]", "title") or \
        "handed to a person" in page.get_attribute("[data-testid=figure-handoff_rate]", "title")
    page.screenshot(path=str(ARTIFACTS / "metrics-web-en.png"), full_page=True)
    assert errors == []
    context.close()


def test_an_agent_is_refused_and_sees_overdue_work_marked_on_the_queue(web, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, web, "li")
    errors.clear()  # the console's question before the sign-in (401)
    assert page.locator("#metrics-link").is_hidden()
    page.locator("[data-testid=handoff-HD2611190001] [data-testid=overdue]").wait_for(timeout=TIMEOUT_MS)
    page.locator("[data-testid=overdue-TK2611140001]").wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "console-overdue.png"))
    api = page.request.get(web + "/api/admin/metrics?since=7d")
    assert api.status == 403
    page.goto(web + "/console/metrics")
    page.wait_for_selector("[data-testid=refused]:not([hidden])", timeout=TIMEOUT_MS)
    assert "管理员" in page.inner_text("[data-testid=refused]")
    assert page.locator("#sections .section").count() == 0
    page.screenshot(path=str(ARTIFACTS / "metrics-refused.png"))
    assert errors == []
    context.close()
