"""Hostile text in real browsers: a customer on the website chat writes HTML, their handoff's context
carries an attribute-breaking mood level (as a crafted `/request_human{"emotion": …}` once could), and
the agent's reply carries a `javascript:` link. The console shows all of it as text under its own strict
policy, no script runs on either page (no dialog ever opens), the customer's widget gets no
`javascript:` link; and the admin panel is an admin's only, who can deactivate an agent."""
import json
import sqlite3

import pytest

from tests.browser.conftest import add_agents, console_sign_in
from tests.support.processes import AssistantProcess

TIMEOUT_MS = 30_000
HOSTILE_MESSAGE = "<img src=x onerror=alert(1)>"
HOSTILE_LEVEL = 'x" onmouseover="alert(2)" data-x="'


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp("console-security-var"),
                               extra_env={"BOT_SERVICE_HOURS": "00:00-24:00"})
    process.start()
    add_agents(process, [("qin", "小秦", "--role", "agent"), ("guan", "管理员", "--role", "admin")])
    yield process
    process.stop()


def watch_dialogs(page):
    """Every dialog a page opens (alert, confirm…): a script of someone else's running there."""
    opened = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    return opened


def sign_in(page, url, username):
    return console_sign_in(page, url, username)


def poison_the_context(assistant, conversation_id):
    """What a crafted payload or another hostile source could leave in the handoff's context: a mood level
    that closes the attribute, and HTML in every other field the console shows."""
    with sqlite3.connect(assistant.var_dir / "assistant.db") as db:
        handoff_id, context = db.execute("SELECT id, context_json FROM handoffs WHERE conversation_id = ?",
                                         (conversation_id,)).fetchone()
        context = json.loads(context)
        context["emotions"] = [{"level": HOSTILE_LEVEL, "score": 0.9}, {"level": "angry", "score": "<b>x</b>"}]
        context["customer"] = {**context.get("customer", {}), "name": "<img src=x onerror=alert(3)>"}
        context["tickets"] = [{"number": "<b>T1</b>", "category": "x", "severity": "high",
                               "description": "<script>alert(4)</script>"}]
        context["kb_answers"] = [{"question": "<svg onload=alert(5)>", "entry_id": None, "outcome": "unanswered"}]
        context["summary"] = {"zh": "<iframe src=javascript:alert(6)>", "en": "<iframe src=javascript:alert(6)>"}
        db.execute("UPDATE handoffs SET context_json = ?, summary = ? WHERE id = ?",
                   (json.dumps(context, ensure_ascii=False), "<iframe src=javascript:alert(6)>", handoff_id))
    return handoff_id


def test_hostile_text_stays_text_in_the_console_and_in_the_widget(assistant, browser):
    agent = browser.new_context().new_page()
    customer = browser.new_context().new_page()
    dialogs = watch_dialogs(agent)
    customer_dialogs = watch_dialogs(customer)

    response = sign_in(agent, assistant.web_url, "qin")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert agent.locator("#admin-toggle").is_hidden()  # not an admin

    customer.goto(assistant.web_url + "/")
    customer.click(".rw-launcher")
    customer.wait_for_selector(".rw-response .rw-message-text", timeout=TIMEOUT_MS)
    customer.fill(".rw-new-message", HOSTILE_MESSAGE)
    customer.keyboard.press("Enter")
    customer.locator(".rw-response").nth(1).wait_for(timeout=TIMEOUT_MS)
    customer.fill(".rw-new-message", '/request_human{"emotion": "' + HOSTILE_LEVEL.replace('"', '\\"') + '"}')
    customer.keyboard.press("Enter")
    customer.locator(".rw-response").nth(2).wait_for(timeout=TIMEOUT_MS)
    customer.fill(".rw-new-message", "我要转人工")
    customer.keyboard.press("Enter")
    # Asked again while waiting: told the place. (Each message while waiting refreshes the context the agent
    # reads, so the context is poisoned after the last one.)
    customer.wait_for_selector(", ".join(f".rw-response:has-text('{words}')" for words in (
        "已经在排队", "已经在为您排队", "位置一直保留", "一空下来就接您")), timeout=TIMEOUT_MS)

    item = agent.wait_for_selector("#queue li", timeout=TIMEOUT_MS)  # queued
    with sqlite3.connect(assistant.var_dir / "assistant.db") as db:
        (conversation_id,) = db.execute("SELECT conversation_id FROM handoffs").fetchone()
    poison_the_context(assistant, conversation_id)
    item.click()
    agent.wait_for_selector("#summary:has-text('<iframe')", timeout=TIMEOUT_MS)
    agent.wait_for_selector(f"#transcript .msg.customer:has-text('{HOSTILE_MESSAGE}')", timeout=TIMEOUT_MS)

    # Everything hostile is there, as text.
    assert agent.inner_text("#summary") == "<iframe src=javascript:alert(6)>"
    assert "<img src=x onerror=alert(3)>" in agent.inner_text("#customer")
    assert "<script>alert(4)</script>" in agent.inner_text("#tickets")
    assert "<svg onload=alert(5)>" in agent.inner_text("#kb")
    # No element was made of it: no image, no frame, no handler attribute; the mood marks have known classes.
    for selector in ("#detail img", "#detail iframe", "#detail svg", "#detail script", "[onmouseover]", "[onerror]",
                     "[data-x]", "#queue img"):
        assert agent.locator(selector).count() == 0, selector
    # The mood is read from the messages themselves (their checked emotion entities), never from the stored
    # context: each mark is one of the three known levels.
    marks = agent.locator("#emotions li")
    assert marks.count() >= 1
    assert {marks.nth(i).get_attribute("class") for i in range(marks.count())} <= {"calm", "upset", "angry"}
    marks.nth(0).hover()

    # The agent's reply with a javascript: link reaches the customer's widget without the link.
    agent.click("#claim")
    customer.wait_for_selector("text=/客服小秦/", timeout=TIMEOUT_MS)
    agent.fill("#reply-text", "请点 [领取补偿](javascript:alert(7)) 或看 [说明](https://shop.example/help)")
    agent.click("#reply-form button[type=submit]")
    customer.wait_for_selector("text=/领取补偿/", timeout=TIMEOUT_MS)
    assert customer.locator(".rw-conversation-container a[href^='javascript']").count() == 0
    assert customer.locator(".rw-conversation-container a[href='https://shop.example/help']").count() == 1
    links = customer.locator(".rw-conversation-container a")
    for index in range(links.count()):
        links.nth(index).hover()
    agent.wait_for_selector("#transcript .msg.agent:has-text('领取补偿')", timeout=TIMEOUT_MS)
    agent.wait_for_timeout(1500)  # a couple of the console's polls with all of it on screen

    assert dialogs == [] and customer_dialogs == []


def test_the_admin_panel_is_an_admins_and_deactivation_signs_the_agent_out(assistant, browser):
    agent = browser.new_context().new_page()
    admin = browser.new_context().new_page()
    sign_in(agent, assistant.web_url, "qin")
    sign_in(admin, assistant.web_url, "guan")
    assert agent.locator("#admin-toggle").is_hidden()
    admin.click("#admin-toggle")
    admin.wait_for_selector("[data-testid=agent-qin]", timeout=TIMEOUT_MS)
    admin.click("[data-testid=toggle-qin]")
    admin.wait_for_selector("[data-testid=agent-qin].inactive", timeout=TIMEOUT_MS)
    agent.wait_for_selector("#login:not([hidden])", timeout=TIMEOUT_MS)  # the next poll finds the session gone
    admin.click("[data-testid=toggle-qin]")  # reactivated: may sign in again
    admin.wait_for_selector("[data-testid=agent-qin]:not(.inactive)", timeout=TIMEOUT_MS)
    sign_in(agent, assistant.web_url, "qin")
