"""The store page's website chat in a real browser: welcome on open, a Chinese FAQ, a quick reply,
and English when the customer switches the page's language."""
import pytest

from tests.support.processes import AssistantProcess

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    process = AssistantProcess(var_dir=tmp_path_factory.mktemp("webchat-var"))
    process.start()
    yield process
    process.stop()


def ask(page, text):
    page.fill(".rw-new-message", text)
    page.keyboard.press("Enter")


def test_welcome_faq_and_quick_reply_in_chinese(assistant, browser):
    page = browser.new_context().new_page()
    blocked = []
    page.on("requestfailed", lambda request: blocked.append(request.url))
    page.goto(assistant.web_url + "/")
    assert page.title().startswith("星河数码")
    page.click(".rw-launcher")
    page.wait_for_selector(".rw-response:has-text('小星')", timeout=TIMEOUT_MS)

    ask(page, "运费怎么算？包邮吗？")
    page.wait_for_selector(".rw-response:has-text('包邮')", timeout=TIMEOUT_MS)
    page.wait_for_selector(".rw-reply:has-text('有帮助')", timeout=TIMEOUT_MS)  # quick replies as buttons
    page.click(".rw-reply:has-text('有帮助')")
    page.wait_for_selector(".rw-response:has-text('谢谢您的反馈'), .rw-response:has-text('帮上忙')",
                           timeout=TIMEOUT_MS)
    assert not [url for url in blocked if "/vendor/" in url or url.startswith(assistant.url)]


def test_the_page_and_the_assistant_speak_english_when_chosen(assistant, browser):
    page = browser.new_context().new_page()
    page.goto(assistant.web_url + "/?lang=en")
    assert "Genuine electronics" in page.inner_text("h1")
    page.click(".rw-launcher")
    page.wait_for_selector(".rw-response:has-text('Stella')", timeout=TIMEOUT_MS)
    ask(page, "How long does a refund take?")
    page.wait_for_selector(".rw-response:has-text('working days')", timeout=TIMEOUT_MS)


def chat_texts(page):
    return " ".join(page.locator(".rw-response").all_inner_texts())


def test_signing_in_as_a_demo_customer_is_recognised_and_signing_out_starts_over(assistant, browser):
    page = browser.new_context().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if "script-src" in message.text else None)
    page.goto(assistant.web_url + "/")
    # The page runs no inline script (its settings are a JSON data block), so a CSP without
    # 'unsafe-inline' for scripts refuses nothing of it.
    inline = page.eval_on_selector_all("script:not([src])", "els => els.map(e => e.type)")
    assert inline == ["application/json"]

    page.wait_for_selector("#demo-sign-in:not([hidden])", timeout=TIMEOUT_MS)
    assert "演示" in page.inner_text("#demo-sign-in")
    page.select_option("#demo-customer", "C1001")
    page.click("#demo-sign-in-button")
    page.wait_for_selector("#demo-signed-in:not([hidden])", timeout=TIMEOUT_MS)
    assert "王芳" in page.inner_text("#demo-customer-name")
    page.click(".rw-launcher")
    page.wait_for_selector(".rw-response:has-text('小星')", timeout=TIMEOUT_MS)
    ask(page, "帮我查下订单 GD2610150001")
    page.wait_for_selector(".rw-response:has-text('iPhone 16 Pro')", timeout=TIMEOUT_MS)  # her order, in full

    page.click("#demo-sign-out")
    page.wait_for_selector("#demo-sign-in:not([hidden])", timeout=TIMEOUT_MS)
    page.click(".rw-launcher")
    page.wait_for_selector(".rw-response:has-text('小星')", timeout=TIMEOUT_MS)
    assert "iPhone 16 Pro" not in chat_texts(page)  # a new conversation
    ask(page, "帮我查下订单 GD2610150001")
    page.wait_for_selector(".rw-response:has-text('后四位')", timeout=TIMEOUT_MS)  # a guest proves it first
    assert "iPhone 16 Pro" not in chat_texts(page)
    assert not errors, errors


def test_the_demo_sign_in_speaks_english_when_chosen(assistant, browser):
    page = browser.new_context().new_page()
    page.goto(assistant.web_url + "/?lang=en")
    page.wait_for_selector("#demo-sign-in:not([hidden])", timeout=TIMEOUT_MS)
    assert "sign in as a customer" in page.inner_text("#demo-sign-in")
    page.select_option("#demo-customer", "C1003")
    page.click("#demo-sign-in-button")
    page.wait_for_selector("#demo-signed-in:not([hidden])", timeout=TIMEOUT_MS)
    assert "Emily Carter" in page.inner_text("#demo-signed-in") and "Sign out" in page.inner_text("#demo-signed-in")
    page.click(".rw-launcher")
    page.wait_for_selector(".rw-response:has-text('Stella')", timeout=TIMEOUT_MS)
    ask(page, "where is order GD2611210006")
    page.wait_for_selector(".rw-response:has-text('ZT75312098765')", timeout=TIMEOUT_MS)
