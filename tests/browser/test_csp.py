"""CSP in a real browser (issue 8, point 3): every main page and a few dialogs load
with zero console errors and zero `securitypolicyviolation` events, for the director,
a product manager and a stakeholder of the demo portfolio; plus the security headers
(and HSTS with the production settings)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from okrs.models import KeyResult
from portfolio.models import Portfolio
from roadmap import services as roadmap_services
from teams.models import User

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "lodestar-demo"
ROOT = Path(__file__).resolve().parents[2]

# Registered before any page script runs; nothing inline is injected into the page.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    [event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(" ")
  );
});
"""

PAGES = [
    "/p/acme/",
    "/p/acme/okrs/",
    "/p/acme/alignment/",
    "/p/acme/roadmap/",
    "/p/acme/roadmap/timeline/",
    "/p/acme/products/{product}/",
    "/me/",
    "/p/acme/key-results/{key_result}/",
    "/p/acme/review/",
    "/p/acme/share-links/",
    "/p/acme/settings/",
    "/profile/",
    "/api/docs/",
]

# Dialogs opened by clicking an htmx link on a page: (page, link selector).
DIALOGS = [
    ("/p/acme/okrs/", 'a[hx-get*="/explain/"]'),
    ("/p/acme/okrs/", 'a[hx-get$="/edit/"]'),
    ("/p/acme/roadmap/", 'a[hx-get*="/roadmap/items/"]'),
]


def sign_in_demo(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


@pytest.fixture
def demo(live_server):
    call_command("seed_demo")
    portfolio = Portfolio.objects.get(slug="acme")
    product = portfolio.products.order_by("pk").first()
    key_result = KeyResult.objects.filter(objective__cycle__portfolio=portfolio).first()
    _link, token = roadmap_services.share_link_create(
        portfolio=portfolio, created_by=User.objects.get(username="dana"), label="CSP check"
    )
    return {"product": product.slug, "key_result": key_result.pk, "token": token}


@pytest.mark.parametrize("username", ["dana", "priya", "sofia"])
def test_every_main_page_loads_without_console_errors_or_csp_violations(page, demo, username):
    page.add_init_script(LISTEN)
    sign_in_demo(page, username)
    # Pages this person may not open: the server answers 403 (which Chromium logs as a
    # failed resource, the only console error allowed, and only there).
    refused = {
        "dana": set(),
        "priya": {"/p/acme/settings/"},
        "sofia": {"/p/acme/settings/", "/p/acme/share-links/"},
    }[username]
    for template in PAGES:
        path = template.format(**demo)
        before = len(page.console_errors)
        response = page.goto(path)
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], f"{username} on {path}"
        errors = page.console_errors[before:]
        if path in refused:
            assert response.status == 403, path
            assert all("status of 403" in error for error in errors), errors
            del page.console_errors[before:]
        else:
            assert response.status == 200, path
            assert errors == [], f"{username} on {path}: {errors}"

    opened = 0
    for path, selector in DIALOGS:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        links = page.locator(selector)
        if links.count() == 0:
            continue  # this person may not edit here: no edit link is offered
        links.first.click()
        page.locator("dialog#dialog[open]").wait_for()
        opened += 1
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], f"{username}: dialog {selector} on {path}"
        page.keyboard.press("Escape")
    assert opened >= 1  # at least the explain dialog, which everybody may open
    if username == "dana":
        assert opened == len(DIALOGS)
        page.screenshot(path="/tmp/csp-dialog.png", full_page=False)

    assert page.console_errors == []


def test_the_share_page_signed_out_has_no_violations_and_no_referrer(page, demo):
    page.add_init_script(LISTEN)

    response = page.goto(f"/share/{demo['token']}/")
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert violations(page) == []
    assert page.console_errors == []
    assert page.locator('meta[name="robots"]').get_attribute("content").startswith("noindex")


def test_pages_send_the_security_headers(page, demo):
    sign_in_demo(page, "dana")

    headers = page.goto("/p/acme/").headers

    policy = headers["content-security-policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'self'" in script_src
    assert "unsafe-inline" not in script_src
    assert "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def production_settings(*names) -> dict:
    """The values `config.settings.production` gives `names` (read in a subprocess, as
    this process runs the test settings)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="a-long-random-production-secret-" + "k3y" * 12,
        ALLOWED_HOSTS="lodestar.example.com",
    )
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_production_settings_send_hsts_over_https(client):
    values = production_settings(
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"
    )
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60

    with override_settings(**values):
        response = client.get("/accounts/login/", secure=True)

    assert response["Strict-Transport-Security"] == (
        f"max-age={values['SECURE_HSTS_SECONDS']}; includeSubDomains; preload"
    )
