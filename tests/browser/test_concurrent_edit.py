"""Two people edit the same roadmap item at once: the second save is refused, not lost."""

import pytest
from playwright.sync_api import expect

from roadmap.models import Horizon, RoadmapItem
from tests.roadmap.factories import RoadmapItemFactory

pytestmark = pytest.mark.browser

SHOTS = "/tmp"


@pytest.fixture
def item(product, owning_pm):
    return RoadmapItemFactory(
        product=product, title="One-page checkout", owner=owning_pm, horizon=Horizon.NEXT
    )


@pytest.fixture
def second_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield page
    context.close()


def open_dialog(page, title):
    page.goto("/p/acme/roadmap/")
    page.get_by_role("link", name=title, exact=True).click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_label("Title")).to_be_visible()
    return dialog


def test_the_second_save_sees_the_message_and_nothing_is_lost(
    page, second_page, sign_in, item, owning_pm, director
):
    sign_in(page, owning_pm)
    sign_in(second_page, director)
    priya = open_dialog(page, "One-page checkout")
    dana = open_dialog(second_page, "One-page checkout")

    priya.get_by_label("Title").fill("One-page checkout (Priya)")
    dana.get_by_label("Title").fill("One-page checkout (Dana)")

    priya.get_by_role("button", name="Save changes").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    dana.get_by_role("button", name="Save changes").click()

    alert = second_page.locator("#dialog").get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed this roadmap item since you opened it")
    second_page.screenshot(path=f"{SHOTS}/concurrency_conflict.png", full_page=True)
    # Dana's typing is still in the form, Priya's save is in the database.
    expect(dana.get_by_label("Title")).to_have_value("One-page checkout (Dana)")
    fresh = RoadmapItem.objects.get(pk=item.pk)
    assert (fresh.title, fresh.version) == ("One-page checkout (Priya)", 2)

    # Reload shows Priya's change; saving again from there works.
    alert.get_by_role("link", name="Reload").click()
    expect(dana.get_by_label("Title")).to_have_value("One-page checkout (Priya)")
    dana.get_by_label("Title").fill("One-page checkout (both)")
    dana.get_by_role("button", name="Save changes").click()
    expect(second_page.locator("#dialog")).not_to_be_visible()
    assert RoadmapItem.objects.get(pk=item.pk).title == "One-page checkout (both)"
    assert page.console_errors == [], page.console_errors
    assert second_page.console_errors == [], second_page.console_errors
