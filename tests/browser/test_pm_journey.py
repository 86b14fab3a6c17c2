"""Priya, a product manager of the demo portfolio, does her weekly round."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from okrs.models import CheckIn, KeyResult
from portfolio.models import Product
from roadmap.models import RoadmapItem
from roadmap.timeline import LANE_SIZE

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


@pytest.fixture
def priya(page, transactional_db):
    call_command("seed_demo")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("priya")
    page.get_by_label("Password").fill("lodestar-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    return page


def open_check_in(row):
    """The form is open on a key result that is due; on any other, "Check in" loads it."""
    if not row.locator("form.check-in-form").count():
        row.get_by_role("link", name="Check in").click()
    expect(row.locator("form.check-in-form")).to_be_visible()


def test_check_in_from_my_work_without_a_reload(priya):
    page = priya
    key_result = KeyResult.objects.get(title="Weekly active mobile users")
    before = KeyResult.objects.get(pk=key_result.pk).progress
    page.goto("/me/")
    page.screenshot(path=f"{SHOTS}/pm_my_work.png", full_page=True)
    page.evaluate("window.__stillHere = true")
    row = page.locator(f"#kr-{key_result.pk}")
    old_progress = row.get_by_role("meter").first.get_attribute("aria-label")

    open_check_in(row)
    row = page.locator(f"#kr-{key_result.pk}")
    row.get_by_label("New value (users)").fill("19000")
    row.get_by_label("Confidence (0–10)").fill("8")
    row.get_by_label("Note").fill("Offline mode shipped to the pilot teams.")
    row.get_by_role("button", name="Check in").click()

    row = page.locator(f"#kr-{key_result.pk}")
    expect(row.get_by_text("Check-in saved.")).to_be_visible()
    new_progress = row.get_by_role("meter").first.get_attribute("aria-label")
    assert new_progress != old_progress
    assert page.evaluate("window.__stillHere") is True  # no reload
    assert KeyResult.objects.get(pk=key_result.pk).progress > before
    assert CheckIn.objects.filter(key_result=key_result, value=19000).exists()
    assert page.console_errors == [], page.console_errors


def test_an_invalid_value_shows_an_inline_error_and_saves_nothing(priya):
    page = priya
    key_result = KeyResult.objects.get(title="Weekly active mobile users")
    count = CheckIn.objects.filter(key_result=key_result).count()
    page.goto("/me/")
    row = page.locator(f"#kr-{key_result.pk}")
    open_check_in(row)
    row = page.locator(f"#kr-{key_result.pk}")
    row.get_by_label("New value (users)").fill("lots")
    row.get_by_role("button", name="Check in").click()

    row = page.locator(f"#kr-{key_result.pk}")
    expect(row.get_by_text("Enter a number, such as 42 or 3.5.")).to_be_visible()
    expect(row.get_by_label("New value (users)")).to_have_attribute("aria-invalid", "true")
    assert CheckIn.objects.filter(key_result=key_result).count() == count
    assert page.console_errors == [], page.console_errors


def test_a_key_result_checked_in_this_week_loads_its_form_on_demand(priya):
    page = priya
    key_result = KeyResult.objects.get(title="Weekly active mobile users")
    KeyResult.objects.filter(owner__username="priya").update(last_checked_in_at=timezone.now())
    page.goto("/me/")
    expect(page.get_by_text("Every key result you check in is up to date")).to_be_visible()
    assert page.locator("form.check-in-form").count() == 0  # nothing due: no form rendered
    page.evaluate("window.__stillHere = true")
    row = page.locator(f"#kr-{key_result.pk}")
    row.get_by_role("link", name="Check in").click()

    row = page.locator(f"#kr-{key_result.pk}")
    expect(row.get_by_label("New value (users)")).to_be_focused()
    page.screenshot(path=f"{SHOTS}/pm_my_work_open_form.png", full_page=True)
    page.keyboard.type("18500")
    row.get_by_role("button", name="Check in").click()
    expect(row.get_by_text("Check-in saved.")).to_be_visible()
    assert page.evaluate("window.__stillHere") is True
    assert CheckIn.objects.filter(key_result=key_result, value=18500).exists()
    assert page.console_errors == [], page.console_errors


def _column(page, horizon):
    return page.locator(f'ol.board__cards[data-horizon="{horizon}"]')


def test_drag_a_card_from_next_to_now(priya):
    page = priya
    item = RoadmapItem.objects.get(title="3-D Secure 2 challenge flow")
    assert item.horizon == "next"
    page.goto("/p/acme/products/checkout/")
    page.screenshot(path=f"{SHOTS}/pm_board.png", full_page=True)
    card = page.locator(f"#item-{item.pk}")
    target = _column(page, "now").locator(".board-card").first

    with page.expect_response(re.compile(rf"/items/{item.pk}/move/")) as moved:
        box, goal = card.bounding_box(), target.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
        page.mouse.down()
        for step in range(1, 21):
            page.mouse.move(
                box["x"] + box["width"] / 2 + (goal["x"] - box["x"]) * step / 20,
                box["y"] + 20 + (goal["y"] + 10 - box["y"] - 20) * step / 20,
            )
        page.mouse.up()
    assert moved.value.status == 204

    page.reload()
    expect(_column(page, "now").locator(f"#item-{item.pk}")).to_be_visible()
    item.refresh_from_db()
    assert item.horizon == "now"
    assert page.console_errors == [], page.console_errors


def test_move_a_card_with_the_keyboard(priya):
    page = priya
    item = RoadmapItem.objects.get(title="Address autocomplete")
    page.goto("/p/acme/products/checkout/")
    menu = page.locator(f"#item-{item.pk} summary")
    menu.focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Move to Later").and_(
        page.locator(f"#item-{item.pk} button")
    ).focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")

    expect(_column(page, "later").locator(f"#item-{item.pk}")).to_be_visible()
    expect(page.locator(f"#item-{item.pk} summary")).to_be_focused()  # focus comes back
    assert RoadmapItem.objects.get(pk=item.pk).horizon == "later"


def test_open_a_timeline_lane_and_show_more_of_its_bars(priya):
    """Past the first products, lanes are closed: "Show items" loads a lane in place,
    "Show N more" adds the next bars, and keyboard focus follows what was loaded."""
    page = priya
    products = Product.objects.filter(portfolio__slug="acme", is_archived=False)
    first, second = products.order_by("name")[:2]
    start = timezone.localdate()
    for index in range(LANE_SIZE + 3):
        RoadmapItem.objects.create(
            product=first,
            title=f"Lane work {index:02}",
            starts_on=start + datetime.timedelta(days=index),
            ends_on=start + datetime.timedelta(days=index + 4),
        )
    page.goto("/p/acme/roadmap/timeline/")
    second_lane = page.locator(f"#timeline-lane-{second.slug}")
    first_lane = page.locator(f"#timeline-lane-{first.slug}")
    drawn = first_lane.locator(".timeline__bar").count()
    assert second_lane.locator(".timeline__bar").count() == 0

    second_lane.get_by_role("link", name=f"Show items of {second.name}").click()
    expect(second_lane.locator(".timeline-lane__title")).to_be_focused()
    assert second_lane.locator(".timeline__bar").count() > 0

    more = first_lane.get_by_role("link", name=re.compile(r"^Show \d+ more"))
    more.focus()
    page.keyboard.press("Enter")
    expect(first_lane.locator(".timeline-chunk").nth(1)).to_be_focused()
    assert first_lane.locator(".timeline__bar").count() > drawn
    page.screenshot(path=f"{SHOTS}/pm_timeline_lanes.png", full_page=True)
    assert page.console_errors == [], page.console_errors


def test_screenshots_of_the_timeline_and_key_result_page(priya):
    page = priya
    page.goto("/p/acme/roadmap/timeline/")
    expect(page.get_by_role("heading", name="Not scheduled").first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/pm_timeline.png", full_page=True)
    key_result = KeyResult.objects.get(title="Checkout conversion rate")
    page.goto(f"/p/acme/key-results/{key_result.pk}/")
    expect(page.get_by_role("heading", name="Check-in history")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/pm_key_result.png", full_page=True)
    page.goto("/p/acme/roadmap/")
    page.screenshot(path=f"{SHOTS}/pm_board_portfolio.png", full_page=True)
    assert page.console_errors == [], page.console_errors


def test_the_item_dialog_refuses_a_dependency_cycle_inline(priya, monkeypatch):
    monkeypatch.setattr("roadmap.selectors.BLOCKER_CHOICES", 1)
    page = priya
    item = RoadmapItem.objects.get(title="One-page checkout")
    page.goto("/p/acme/products/checkout/")
    page.locator(f"#item-{item.pk}").get_by_role("link", name="One-page checkout").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog.get_by_role("heading", name="Edit item")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/pm_item_dialog.png")

    # The select lists one item; the search finds the one that closes the loop.
    dialog.get_by_label("Find an item this waits for").fill("saved carts")
    blockers = dialog.get_by_label("Add an item this waits for")
    expect(blockers.locator("option", has_text="Saved carts across devices")).to_have_count(1)
    blockers.select_option(label="Saved carts across devices · Checkout")
    dialog.get_by_role("button", name="Add dependency").click()

    expect(dialog.get_by_text("This would create a cycle")).to_be_visible()
    assert not item.blocked_by_links.exists()
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page.console_errors == [], page.console_errors


def test_the_item_dialog_finds_key_results_and_blockers_by_search(priya, monkeypatch):
    """The dialog shows a few key results and blockers; searching adds the others in
    place, and saving keeps the alignments the item had."""
    monkeypatch.setattr("roadmap.selectors.KEY_RESULT_CHOICES", 1)
    monkeypatch.setattr("roadmap.selectors.BLOCKER_CHOICES", 1)
    page = priya
    item = RoadmapItem.objects.get(title="One-page checkout")
    served = set(item.alignments.values_list("key_result_id", flat=True))
    cycle = KeyResult.objects.get(pk=next(iter(served))).objective.cycle
    wanted = KeyResult.objects.get(title="Net promoter score", objective__cycle=cycle)
    blocker = RoadmapItem.objects.get(title="Webhooks v2")
    page.goto("/p/acme/products/checkout/")
    page.evaluate("window.__stillHere = true")
    page.locator(f"#item-{item.pk}").get_by_role("link", name="One-page checkout").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog.get_by_role("heading", name="Edit item")).to_be_visible()
    expect(dialog.get_by_text("Search to find the other").first).to_be_visible()
    expect(dialog.get_by_label(wanted.title, exact=False)).to_have_count(0)

    dialog.get_by_label("Find a key result").fill("promoter")
    found = dialog.locator("#item-kr-results").get_by_label(f"{wanted.title} ·", exact=False)
    expect(found).to_be_visible()
    found.check()

    dialog.get_by_label("Find an item this waits for").fill("webhooks")
    blockers = dialog.get_by_label("Add an item this waits for")
    expect(blockers.locator("option", has_text="Webhooks v2")).to_have_count(1)
    blockers.select_option(label=f"Webhooks v2 · {blocker.product.name}")
    dialog.get_by_role("button", name="Add dependency").click()
    expect(dialog.get_by_role("button", name="Remove Webhooks v2")).to_be_visible()
    expect(found).to_be_checked()  # adding a blocker left the item form alone
    page.screenshot(path=f"{SHOTS}/pm_item_dialog_search.png")

    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    assert set(item.alignments.values_list("key_result_id", flat=True)) == served | {wanted.pk}
    assert item.blocked_by_links.filter(blocking_item=blocker).exists()
    assert page.evaluate("window.__stillHere") is True
    assert page.console_errors == [], page.console_errors


def test_show_more_cards_in_a_column_without_a_reload(priya, monkeypatch):
    monkeypatch.setattr("roadmap.board.CARDS_PER_PAGE", 1)
    page = priya
    page.goto("/p/acme/products/checkout/")
    page.evaluate("window.__stillHere = true")
    now = _column(page, "now")
    expect(now.locator(".board-card")).to_have_count(1)
    more = now.get_by_role("link", name="Show 1 more in Now")
    second = RoadmapItem.objects.filter(
        product__slug="checkout", horizon="now", is_archived=False
    ).order_by("position", "id")[1]

    more.click()

    card = now.locator(f"#item-{second.pk}")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name=second.title)).to_be_focused()
    expect(now.locator(".board-card")).to_have_count(2)
    assert page.evaluate("window.__stillHere") is True  # no reload
    page.screenshot(path=f"{SHOTS}/pm_board_more.png", full_page=True)
    assert page.console_errors == [], page.console_errors
