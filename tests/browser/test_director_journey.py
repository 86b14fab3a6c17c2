"""Journey: the director reads the dashboard, filters the OKR tree and adds a key result."""

import re

import pytest
from django.core.management import call_command

from okrs.models import KeyResult

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "lodestar-demo"


def sign_in_demo(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_director_reads_the_portfolio_and_adds_a_key_result(page, live_server):
    call_command("seed_demo")
    sign_in_demo(page, "dana")

    page.goto("/p/acme/")
    page.get_by_role("heading", name="Portfolio progress").wait_for()
    chart = page.locator("svg.burn-up__chart")
    assert chart.is_visible()
    assert chart.locator("path.burn-up__progress").get_attribute("d").count("L") >= 3
    assert page.get_by_role("heading", name="Needs attention").is_visible()
    page.screenshot(path="/tmp/director-dashboard.png", full_page=True)

    # A check-in elsewhere on the page refreshes the live regions, not the page.
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(
        lambda r: "/p/acme/" in r.url and r.request.headers.get("hx-request") == "true"
    ) as refresh:
        page.evaluate("document.body.dispatchEvent(new CustomEvent('checkInCreated'))")
    assert refresh.value.status == 200
    page.get_by_role("heading", name="Portfolio progress").wait_for()
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_role("link", name="OKRs", exact=True).click()
    page.wait_for_url(re.compile(r"/p/acme/okrs/"))
    page.get_by_role("heading", name="Objectives and key results").wait_for()
    page.screenshot(path="/tmp/director-okr-tree.png", full_page=True)
    page.evaluate("window.__sameDocument = true")

    # Rows fold in place.
    opened = page.locator('[data-okr-toggle][aria-expanded="true"]').first
    toggle = page.locator(f"[aria-controls='{opened.get_attribute('aria-controls')}']")
    region = page.locator("#" + toggle.get_attribute("aria-controls"))
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert region.is_hidden()
    toggle.click()
    assert region.is_visible()

    # Filtering by a product updates the list and the URL without a reload.
    page.get_by_label("Product").select_option(label="Insights")
    page.wait_for_url(re.compile(r"product=insights"))
    tree = page.locator("#okr-tree")
    tree.get_by_text("Insights").first.wait_for()
    expect_no_product = tree.locator(".okr-tag--product", has_text="Checkout")
    expect_no_product.first.wait_for(state="detached")
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_label("Product").select_option(label="All products")
    page.wait_for_url(re.compile(r"product=(&|$)"))
    tree.locator(".okr-tag--product", has_text="Checkout").first.wait_for()

    # A collapsed objective loads its contents when expanded.
    controls = page.locator('#okr-tree [data-okr-toggle][aria-expanded="false"]').first
    controls = controls.get_attribute("aria-controls")
    collapsed = page.locator(f"[aria-controls='{controls}']")
    lazy_region = page.locator(f"#{controls}")
    assert lazy_region.is_hidden()
    with page.expect_response(lambda r: "/children/" in r.url) as loaded:
        collapsed.click()
    assert loaded.value.status == 200
    lazy_region.locator(".okr-row").first.wait_for()
    assert collapsed.get_attribute("aria-expanded") == "true"
    collapsed.click()  # folds again without asking the server
    assert lazy_region.is_hidden()
    collapsed.click()
    assert lazy_region.is_visible()

    # A key result on the first portfolio objective, through the dialog.
    first_objective = tree.locator(".okr-node--depth-0").first
    title = first_objective.locator(".okr-row__name").first.inner_text()
    first_objective.get_by_role("link", name=f"Add a key result to {title}").click()
    dialog = page.locator("dialog#dialog[open]")
    dialog.get_by_role("heading", name="New key result").wait_for()
    dialog.get_by_label("Title").fill("Expansion revenue from upsells")
    dialog.get_by_label("Unit").fill("k€")
    dialog.get_by_label("Start").fill("120")
    dialog.get_by_label("Target").fill("120")
    dialog.get_by_role("button", name="Create key result").click()
    dialog.get_by_text("To increase, the target must be above the start value.").wait_for()
    assert not KeyResult.objects.filter(title="Expansion revenue from upsells").exists()
    page.screenshot(path="/tmp/director-key-result-error.png")

    dialog.get_by_label("Target").fill("180")
    dialog.get_by_role("button", name="Create key result").click()
    page.locator("dialog#dialog[open]").wait_for(state="detached")
    tree.get_by_text("Expansion revenue from upsells").wait_for()
    # The tree reloaded itself and kept open what was open, lazily loaded rows included.
    assert lazy_region.locator(".okr-row").first.is_visible()
    assert KeyResult.objects.get(title="Expansion revenue from upsells").target_value == 180
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path="/tmp/director-okr-tree-after.png", full_page=True)
    assert page.console_errors == []
