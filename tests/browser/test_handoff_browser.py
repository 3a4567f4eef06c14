"""A customer on the website chat asks for a person; an agent signs in to the console, sees the
context, claims, replies; the customer's page shows the reply; the agent resolves; the survey appears."""
import subprocess
import sys

import pytest

from tests.support.processes import PROJECT_ROOT, AssistantProcess

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp("browser-var"),
                               extra_env={"BOT_SERVICE_HOURS": "00:00-24:00"})
    process.start()
    subprocess.run([sys.executable, "-m", "bot", "agents", "add", "zhao", "--name", "小赵", "--password-stdin"],
                   input="zhao-password-1\n", text=True, check=True, cwd=PROJECT_ROOT, env=process.environment(),
                   capture_output=True)
    yield process
    process.stop()


def open_chat(page, url):
    page.goto(url)
    page.click(".rw-launcher")
    page.wait_for_selector(".rw-response .rw-message-text", timeout=TIMEOUT_MS)


def send(page, text):
    page.fill(".rw-new-message", text)
    page.keyboard.press("Enter")


def test_customer_to_agent_and_back_in_real_browsers(assistant, browser):
    customer = browser.new_context().new_page()
    agent = browser.new_context().new_page()

    # The agent signs in first, so someone is online when the customer asks.
    agent.goto(assistant.web_url + "/console/")
    agent.fill("input[name=username]", "zhao")
    agent.fill("input[name=password]", "zhao-password-1")
    agent.click("#login-form button[type=submit]")
    agent.wait_for_selector("#app:not([hidden])", timeout=TIMEOUT_MS)

    open_chat(customer, assistant.web_url + "/")
    customer.wait_for_selector(".rw-response:has-text('小星')", timeout=TIMEOUT_MS)  # welcomed on opening
    send(customer, "耳机左耳没有声音，保修吗？")
    customer.locator(".rw-response").nth(1).wait_for(timeout=TIMEOUT_MS)  # answered
    send(customer, "我要转人工")
    customer.wait_for_selector(".rw-reply:has-text('不等了')", timeout=TIMEOUT_MS)  # queued, with the way back

    item = agent.wait_for_selector("#queue li", timeout=TIMEOUT_MS)
    item.click()
    agent.wait_for_selector("#summary:has-text('客户主动要求转人工')", timeout=TIMEOUT_MS)
    assert "耳机左耳没有声音" in agent.inner_text("#summary")
    assert "耳机左耳没有声音" in agent.inner_text("#transcript")
    agent.click("#claim")
    customer.wait_for_selector("text=/客服小赵/", timeout=TIMEOUT_MS)

    agent.fill("#reply-text", "您好，耳机在保修期内，我这就帮您登记维修")
    agent.click("#reply-form button[type=submit]")
    customer.wait_for_selector("text=我这就帮您登记维修", timeout=TIMEOUT_MS)

    send(customer, "好的，谢谢")
    agent.wait_for_selector("#transcript .msg.customer:has-text('好的，谢谢')", timeout=TIMEOUT_MS)

    agent.click("#resolve")
    customer.wait_for_selector(".rw-reply:has-text('5 非常满意')", timeout=TIMEOUT_MS)
    customer.click(".rw-reply:has-text('5 非常满意')")
    customer.wait_for_selector("text=/好评/", timeout=TIMEOUT_MS)
