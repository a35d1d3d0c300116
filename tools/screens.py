"""`make screens`: photograph the demo at phone size, for docs/screens/ and the README.

It sets up a fresh demo on a scratch SQLite database (`var/screens.sqlite3`), serves it
with `kinga demo` on a free local port, and walks it in Debian's headless Chromium at
390x844: the public report form in English and Kiswahili, then each demo account's home
after signing in through the real pages (the demo shows the current two-factor code). The
pictures replace those in `docs/screens/`; nothing else is written.

Run it with the project's virtual environment: `.venv/bin/python tools/screens.py`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SCREENS = ROOT / "docs" / "screens"
DATABASE = ROOT / "var" / "screens.sqlite3"
PASSWORD = "pwani-demo-2026"  # noqa: S105 (the demo's synthetic accounts share it)
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# (demo username, file name, language): one account of each role
HOMES = [
    ("caseworker", "home-caseworker", "en"),
    ("supervisor", "home-supervisor", "en"),
    ("counsellor", "home-counsellor", "sw"),
    ("helpline", "home-helpline", "sw"),
    ("investigator", "home-investigator", "en"),
    ("prosecutor", "home-prosecutor", "en"),
    ("shelter", "home-shelter", "sw"),
    ("analyst", "home-analyst", "en"),
    ("trainer", "home-trainer", "en"),
    ("dpo", "home-dpo", "sw"),
    ("admin", "home-admin", "en"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, server: subprocess.Popen[bytes], seconds: int = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the demo server stopped (exit {server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (a local http URL)
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    raise SystemExit(f"the demo did not answer on {url} within {seconds} s")


def _language(page: Page, base: str, language: str) -> None:
    """Choose the interface language with the header's switch, as a person would."""
    page.goto(f"{base}/accounts/login/")
    page.select_option("#lang-select", language)
    page.click(".lang-switch button")
    page.wait_for_load_state()


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=demo-code] strong")
    code = page.inner_text("[data-testid=demo-code] strong").strip()
    page.fill("#id_code", code)
    page.click("main button[type=submit]")
    page.wait_for_selector(".main-nav")


def _shoot(page: Page, name: str) -> None:
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"  {path.relative_to(ROOT)}")


def main() -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    DATABASE.parent.mkdir(parents=True, exist_ok=True)
    for leftover in DATABASE.parent.glob(DATABASE.name + "*"):
        leftover.unlink()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{DATABASE}",
        "KINGA_ENV": "demo",
        "KINGA_BASE_URL": base,
    }
    print(f"Setting up the demo on {DATABASE.relative_to(ROOT)} (log: var/screens.log) ...")
    log = (ROOT / "var" / "screens.log").open("wb")
    # this interpreter running our own demo on a free local port
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kinga", "demo", "--port", str(port)],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,  # the demo starts a worker: stop both together
    )
    try:
        _wait_for(f"{base}/", server)
        print("Photographing at 390x844:")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            for language in ("en", "sw"):
                context = browser.new_context(viewport=PHONE)
                page = context.new_page()
                page.goto(f"{base}/report/?lang={language}")
                _shoot(page, f"report-{language}")
                context.close()
            for username, name, language in HOMES:
                context = browser.new_context(viewport=PHONE)
                page = context.new_page()
                page.set_default_timeout(30000)
                _language(page, base, language)
                _sign_in(page, base, username)
                page.goto(f"{base}/")
                _shoot(page, name)
                context.close()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
