"""Journey: the director changes a roadmap item's status on the board, then reads its
history: who changed what, from what to what."""

import re

import pytest
from django.core.management import call_command

from roadmap.models import ItemStatus, RoadmapItem

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "lodestar-demo"


def sign_in_demo(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_director_changes_a_status_and_reads_the_history(page, live_server):
    call_command("seed_demo")
    item = RoadmapItem.objects.filter(status=ItemStatus.PLANNED, is_archived=False).first()
    sign_in_demo(page, "dana")

    page.goto("/p/acme/roadmap/")
    card = page.locator(f"#item-{item.pk}")
    card.get_by_role("link", name=item.title, exact=True).click()
    dialog = page.locator("dialog#dialog")
    dialog.get_by_role("heading", name="Edit item").wait_for()
    dialog.get_by_label("Status", exact=True).select_option(ItemStatus.IN_PROGRESS)
    with page.expect_response(lambda r: f"/roadmap/items/{item.pk}/" in r.url):
        dialog.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state("networkidle")
    assert RoadmapItem.objects.get(pk=item.pk).status == ItemStatus.IN_PROGRESS

    page.goto("/p/acme/roadmap/")
    page.locator(f"#item-{item.pk}").get_by_role("link", name=re.compile("^History")).click()
    page.wait_for_url(re.compile(rf"/p/acme/history/roadmap-item/{item.pk}/"))
    page.get_by_role("heading", name=item.title).wait_for()

    newest = page.locator(".history-entry").first
    assert "Changed" in newest.inner_text()
    assert newest.locator(".history-entry__actor").inner_text() == "Dana Whitfield"
    status_row = newest.locator("tr.history-change", has_text="Status")
    assert status_row.locator(".history-change__before").inner_text() == "Planned"
    assert status_row.locator(".history-change__after").inner_text() == "In progress"
    page.screenshot(path="/tmp/history.png", full_page=True)
    assert page.console_errors == []
