"""Journey: a director presents the quarterly review; later slides load as they come up."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_slides_load_when_the_presenter_reaches_them(page, monkeypatch):
    monkeypatch.setattr("roadmap.review.REVIEW_SLIDES", 1)
    call_command("seed_demo", verbosity=0)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("lodestar-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")

    page.goto("/p/acme/review/")
    pending = page.locator("[data-review-pending]")
    assert pending.count() >= 1, "the demo has more than one portfolio objective"
    second = page.locator("[data-review-section]").nth(2)
    slide_id = second.get_attribute("id")

    page.locator("#review-summary").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")

    loaded = page.locator(f"#{slide_id}")
    expect(loaded).not_to_have_attribute("data-review-pending", "")
    expect(loaded.get_by_role("heading", name="Key results")).to_be_visible()
    expect(loaded).to_be_focused()
    page.screenshot(path="/tmp/review_lazy.png", full_page=False)
    assert page.console_errors == []
