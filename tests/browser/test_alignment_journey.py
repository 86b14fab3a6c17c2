"""Journey: the director aligns one of a PM's unaligned items from the matrix, in place."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from okrs.models import KeyResult
from okrs.selectors import active_cycle
from portfolio.models import Portfolio
from roadmap.alignment import unaligned_items

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "lodestar-demo"


def sign_in_demo(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_director_aligns_an_unaligned_item_without_a_reload(page, monkeypatch):
    # The picker lists a few key results; the one wanted is found by the search.
    monkeypatch.setattr("roadmap.alignment.PICKER_KEY_RESULTS", 1)
    call_command("seed_demo", verbosity=0)
    portfolio = Portfolio.objects.get(slug="acme")
    cycle = active_cycle(portfolio)
    item = (
        unaligned_items(portfolio, cycle)
        .filter(product__owner__username="priya")
        .select_related("product")
        .first()
    )
    assert item is not None, "the demo has unaligned items of priya's"
    key_result = (
        KeyResult.objects.in_cycle(cycle)
        .filter(objective__product__isnull=True, objective__parent__isnull=True)
        .select_related("objective")
        .order_by("objective__position", "position")
        .first()
    )
    product_row = f"product:{item.product_id}"
    cell = page.get_by_test_id(f"cell-{product_row}-{key_result.objective_id}")

    sign_in_demo(page, "dana")
    page.goto("/p/acme/alignment/")
    expect(page.get_by_role("heading", name="Alignment", exact=True)).to_be_visible()
    unaligned_before = int(page.get_by_test_id("unaligned-count").inner_text())
    score_before = page.locator("#portfolio-score-value").inner_text()
    cell_before = cell.inner_text().strip()
    unaligned_list = page.get_by_test_id("unaligned-list")
    expect(unaligned_list).to_contain_text(item.title)
    page.screenshot(path="/tmp/alignment_matrix.png", full_page=True)

    # A marker on window survives only if the page is not reloaded.
    page.evaluate("window.__noReload = 'still here'")

    unaligned_list.get_by_role("link", name=f"Align {item.title}").click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name=f"Align “{item.title}”")).to_be_visible()
    expect(dialog.locator("#picker-results")).to_contain_text("Search to find the other")
    search = dialog.get_by_label("Find a key result")
    search.fill(key_result.title[:6])
    expect(dialog.locator("#picker-results")).to_contain_text(re.compile(r"key results? matching"))
    dialog.get_by_label("Hypothesis (optional)").fill("Should move it")
    page.screenshot(path="/tmp/alignment_picker.png", full_page=False)
    dialog.get_by_role("button", name=key_result.title).first.click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("unaligned-count")).to_have_text(str(unaligned_before - 1))
    expect(page.get_by_test_id("unaligned-list")).not_to_contain_text(item.title)
    expect(page.locator("#portfolio-score-value")).not_to_have_text(score_before)
    expect(cell).not_to_have_text(cell_before)
    assert page.evaluate("window.__noReload") == "still here"
    assert item.alignments.filter(key_result=key_result).exists()

    # The cell's items open in place and show the new alignment with a remove button.
    cell.click()
    detail = page.locator("#alignment-detail")
    expect(detail).to_contain_text(item.title)
    expect(
        detail.get_by_role(
            "button", name=f"Remove the alignment of {item.title} to {key_result.title}"
        )
    ).to_be_visible()
    assert page.evaluate("window.__noReload") == "still here"
    page.screenshot(path="/tmp/alignment_after.png", full_page=True)
    assert page.console_errors == []

    # The dashboard's recent activity tells the story.
    page.goto("/p/acme/")
    activity = page.get_by_role("region", name="Recent activity")
    expect(activity).to_contain_text("aligned")
    expect(activity).to_contain_text(item.title)


def test_director_shows_more_product_managers_in_place(page, monkeypatch):
    """With one product manager per screenful, "Show more" adds the next one's rows
    without a reload and moves the focus to them."""
    monkeypatch.setattr("roadmap.alignment.MATRIX_GROUPS", 1)
    call_command("seed_demo", verbosity=0)
    sign_in_demo(page, "dana")
    page.goto("/p/acme/alignment/")
    page.evaluate("window.__noReload = 'still here'")
    rows_before = page.locator(".matrix tbody.matrix__group").count()
    assert rows_before == 1

    page.get_by_test_id("matrix-show-more").click()

    expect(page.locator(".matrix tbody.matrix__group")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"groups=2"))
    focused = page.evaluate("document.activeElement.closest('tbody') !== null")
    assert focused
    assert page.evaluate("window.__noReload") == "still here"
    page.screenshot(path="/tmp/alignment_show_more.png", full_page=True)
    assert page.console_errors == []
