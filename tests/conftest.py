"""Shared fixtures: service markers, people, and a headless Chromium for journeys."""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; the ORM calls made
# by fixtures in that thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["tests.fixtures"]

REQUIRE_SERVICES = os.environ.get("LODESTAR_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("LODESTAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(what: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (LODESTAR_REQUIRE_SERVICES=1) but is not available")
    pytest.skip(f"needs {what}")


def redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    url = urlparse(settings.REDIS_URL)
    try:
        with socket.create_connection((url.hostname, url.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist turns groups into node ids
def pytest_collection_modifyitems(config, items):
    """Browser journeys share one xdist worker, so two Chromiums never compete for
    the machine's two cores with a live server each."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL (set DATABASE_URL=postgres://…)")
    if item.get_closest_marker("redis") and not redis_reachable():
        _missing("Redis (set REDIS_URL=redis://…)")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture
def password():
    return "correct-horse-battery-staple"


@pytest.fixture
def make_user(db, password):
    from tests.teams.factories import UserFactory

    def make(**kwargs):
        kwargs.setdefault("password", password)
        return UserFactory(**kwargs)

    return make


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    console_errors = []
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.console_errors = console_errors
    yield page
    context.close()


@pytest.fixture
def sign_in(password):
    """Sign in through the real login form, as a person would."""

    def sign_in_as(page, user):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")

    return sign_in_as
