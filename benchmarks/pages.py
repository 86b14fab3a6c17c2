"""Server time of every main page and API list, as the Django test client sees it."""

import hashlib
import secrets

from django.test import Client
from django.urls import NoReverseMatch, reverse

from benchmarks.harness import Measurement, measure
from okrs.models import Cycle, KeyResult
from portfolio.models import Portfolio
from roadmap.models import ShareLink
from teams.models import User

API_LISTS = ["objectives", "key-results", "roadmap-items", "check-ins", "alignments"]


def share_token(portfolio: Portfolio) -> str:
    token = secrets.token_urlsafe(32)
    ShareLink.objects.create(
        portfolio=portfolio,
        label="Benchmark",
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    return token


def scenarios(portfolio: Portfolio) -> list[tuple[str, str, str, str]]:
    """(name, URL name, who signs in, args) for every page that exists."""
    slug = portfolio.slug
    cycle = Cycle.objects.filter(portfolio=portfolio).first()
    key_result = KeyResult.objects.filter(objective__cycle=cycle).order_by("pk").first()
    product = portfolio.products.order_by("pk").first()
    pages = [
        ("dashboard", "dashboard", "director", [slug]),
        ("OKR tree", "okr_tree", "director", [slug]),
        ("alignment matrix", "alignment_matrix", "director", [slug]),
        ("roadmap board", "roadmap_board", "director", [slug]),
        ("product roadmap", "product_roadmap", "pm", [slug, product.slug]),
        ("timeline", "roadmap_timeline", "director", [slug]),
        ("/me/", "my_work", "pm", []),
        ("key result", "key_result_detail", "director", [slug, key_result.pk]),
        ("quarterly review", "review", "director", [slug]),
        ("share page", "share_page", None, [share_token(portfolio)]),
    ]
    urls = []
    for name, url_name, who, args in pages:
        try:
            urls.append((name, reverse(url_name, args=args), who))
        except NoReverseMatch:
            continue
    urls += [(f"API {name}", f"/api/v1/{name}/", "director") for name in API_LISTS]
    return urls


def run(portfolio: Portfolio, size: str, *, runs: int, only: list[str] = ()) -> list[Measurement]:
    prefix = portfolio.slug.replace("-", "_")
    people = {
        "director": User.objects.get(username=f"{prefix}_director"),
        "pm": User.objects.get(username=f"{prefix}_pm0"),
    }
    results = []
    for name, url, who in scenarios(portfolio):
        if only and not any(part.lower() in name.lower() for part in only):
            continue
        client = Client(raise_request_exception=False)
        if who:
            client.force_login(people[who])
        response = client.get(url)
        if response.status_code != 200:
            results.append(
                Measurement(name, size, 0, 0, 0, note=f"GET {url} answered {response.status_code}")
            )
            continue
        results.append(measure(name, size, lambda c=client, u=url: c.get(u), runs=runs))
    return results
