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
