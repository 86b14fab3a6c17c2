"""Journey: a person creates an API token on their profile, copies it, uses it, revokes it."""

import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.browser


def test_create_copy_use_and_revoke_an_api_token(page, sign_in, make_user, live_server):
    priya = make_user(username="priya", display_name="Priya Patel", email="priya@example.com")
    sign_in(page, priya)

    page.goto("/profile/")
    assert page.get_by_role("heading", name="Your profile").is_visible()
    assert page.get_by_text("priya@example.com").is_visible()
    assert page.get_by_text("No API token yet").is_visible()
    page.screenshot(path="/tmp/profile-empty.png", full_page=True)

    page.get_by_role("button", name="Create API token").click()
    token_text = page.locator("#new-token")
    token_text.wait_for()
    key = token_text.inner_text().strip()
    assert Token.objects.get(user=priya).key == key
    assert page.get_by_text("it will not be shown again").is_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    page.screenshot(path="/tmp/profile-token.png", full_page=True)

    answer = page.request.get(
        f"{live_server.url}/api/v1/portfolios/", headers={"Authorization": f"Token {key}"}
    )
    assert answer.status == 200

    page.reload()
    assert page.locator("#new-token").count() == 0, "a token is shown only once"
    assert page.get_by_text("Active").is_visible()

    page.get_by_role("button", name="Revoke token").click()
    page.get_by_text("No API token yet").wait_for()
    assert not Token.objects.filter(user=priya).exists()

    page.get_by_label("E-mail me the weekly portfolio digest").uncheck()
    page.get_by_role("button", name="Save digest setting").click()
    page.get_by_text("you will no longer receive").wait_for()
    priya.refresh_from_db()
    assert priya.receives_digest is False
    assert page.console_errors == []
