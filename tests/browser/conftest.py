"""Playwright driving Debian's Chromium (`apt-get install chromium`; `make test` installs it when it can)."""
import shutil
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path():
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API keeps an event loop running while it is open, which would
    # break later tests that call asyncio.run().
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium): the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


SIGN_IN_TIMEOUT_MS = 30_000


def console_sign_in(page, url, username, password=None):
    """Signs an agent in on the console page at `url` (the web server's address) and waits for the app;
    returns the page load's response. The password defaults to the one `add_agents` gives."""
    response = page.goto(url + "/console/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password if password is not None else f"{username}-password-1")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])", timeout=SIGN_IN_TIMEOUT_MS)
    return response


def add_agents(process, agents):
    """Adds console users through the real CLI: `agents` holds (username, name, option, value) tuples,
    e.g. ("zhao", "小赵", "--language", "zh"); each password is "<username>-password-1"."""
    import subprocess
    import sys

    from tests.support.processes import PROJECT_ROOT

    for username, name, option, value in agents:
        subprocess.run([sys.executable, "-m", "bot", "agents", "add", username, "--name", name, option, value,
                        "--password-stdin"], input=f"{username}-password-1\n", text=True, check=True,
                       cwd=PROJECT_ROOT, env=process.environment(), capture_output=True)
