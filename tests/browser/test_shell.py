import re

import pytest

pytestmark = pytest.mark.browser


def test_sign_in_see_the_shell_and_sign_out(page, sign_in, make_user):
    dana = make_user(username="dana", display_name="Dana Reyes")

    page.goto("/")
    assert "/accounts/login/" in page.url

    sign_in(page, dana)

    assert page.get_by_role("heading", name="Your portfolios").is_visible()
    assert page.get_by_text("Dana Reyes").is_visible()
    assert page.get_by_role("navigation", name="Main").count() == 1
    assert page.get_by_text("No portfolio yet").is_visible()
    assert page.evaluate("typeof window.htmx") == "object"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.get_by_role("heading", name="Sign in to Lodestar").is_visible()
    assert page.console_errors == []
