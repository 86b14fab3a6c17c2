"""The admin: every registered model opens, lists without N+1, and keeps history read-only."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from okrs.models import (
    CheckIn,
    Cycle,
    KeyResult,
    Measure,
    Objective,
    ProductProgress,
    ProgressSnapshot,
    SnapshotScope,
)
from portfolio.models import Membership, Portfolio, Product, Role
from roadmap.models import Alignment, Dependency, RoadmapItem, ShareLink
from teams.models import Discipline, Team, User

LODESTAR_APPS = {"teams", "portfolio", "okrs", "roadmap"}
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)
LODESTAR_MODELS = [model for model in REGISTERED if model._meta.app_label in LODESTAR_APPS]
READ_ONLY = {CheckIn, ProgressSnapshot, ProductProgress, Dependency, ShareLink}
# Third-party admins that only show records: the audit log and sign-in attempts.
READ_ONLY_APPS = {"auditlog", "axes"}

serial = itertools.count(1)


def model_id(model):
    return model._meta.label_lower


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_portfolio(slug="acme"):
    portfolio, _ = Portfolio.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    return portfolio


def make_cycle(portfolio, name="2027 Q1"):
    cycle, _ = Cycle.objects.get_or_create(
        portfolio=portfolio,
        name=name,
        defaults={"starts_on": date(2027, 1, 1), "ends_on": date(2027, 3, 31)},
    )
    return cycle


def make_objective(cycle, **kwargs):
    kwargs.setdefault("title", f"Objective {next(serial)}")
    return Objective.objects.create(cycle=cycle, **kwargs)


def make_key_result(objective, **kwargs):
    kwargs.setdefault("title", f"Key result {next(serial)}")
    kwargs.setdefault("measure", Measure.INCREASE)
    kwargs.setdefault("start_value", Decimal(0))
    kwargs.setdefault("target_value", Decimal(100))
    return KeyResult.objects.create(objective=objective, **kwargs)


def make_item(product, **kwargs):
    kwargs.setdefault("title", f"Item {next(serial)}")
    return RoadmapItem.objects.create(product=product, **kwargs)


def populate(rows: int) -> None:
    """Add `rows` rows of every kind that the admin lists, all in the `acme` portfolio."""
    portfolio = make_portfolio()
    cycle = make_cycle(portfolio)
    root = Objective.objects.filter(cycle=cycle, parent=None).first() or make_objective(cycle)
    previous_item = RoadmapItem.objects.last()
    for _ in range(rows):
        n = next(serial)
        person = User.objects.create_user(username=f"person{n}", display_name=f"Person {n}")
        make_portfolio(f"portfolio-{n}")
        Token.objects.create(user=person)
        team = Team.objects.create(name=f"Team {n}", discipline=Discipline.DESIGN, lead=person)
        team.members.add(person)
        Membership.objects.create(portfolio=portfolio, user=person, role=Role.CONTRIBUTOR)
        product = Product.objects.create(
            portfolio=portfolio, name=f"Product {n}", slug=f"product-{n}", owner=person, team=team
        )
        Cycle.objects.create(
            portfolio=portfolio,
            name=f"Cycle {n}",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 3, 31),
        )
        objective = make_objective(cycle, product=product, parent=root, depth=1, owner=person)
        key_result = make_key_result(objective, owner=person)
        CheckIn.objects.create(
            key_result=key_result,
            author=person,
            value=Decimal(10),
            confidence=7,
            checked_in_at=timezone.now(),
        )
        item = make_item(product, owner=person)
        Alignment.objects.create(item=item, key_result=key_result, created_by=person)
        if previous_item is not None:
            Dependency.objects.create(blocked_item=item, blocking_item=previous_item)
        previous_item = item
        ShareLink.objects.create(
            portfolio=portfolio, product=product, token_hash=f"{n:064x}", created_by=person
        )
        ProgressSnapshot.objects.create(
            cycle=cycle,
            scope=SnapshotScope.KEY_RESULT,
            scope_id=key_result.pk,
            day=date(2027, 1, 10),
            progress=0.1,
            expected=0.1,
        )
        ProductProgress.objects.create(cycle=cycle, product=product, progress=0.5)


def changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def populated(db):
    populate(2)


@pytest.mark.usefixtures("populated")
class TestEveryModelOpens:
    @pytest.mark.parametrize("model", REGISTERED, ids=model_id)
    def test_changelist(self, admin_client, model):
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200

    @pytest.mark.parametrize("model", REGISTERED, ids=model_id)
    def test_changelist_search(self, admin_client, model):
        response = admin_client.get(admin_url(model, "changelist"), {"q": "x"})
        assert response.status_code == 200

    @pytest.mark.parametrize("model", REGISTERED, ids=model_id)
    def test_add_page(self, admin_client, model):
        response = admin_client.get(admin_url(model, "add"))
        read_only = model in READ_ONLY or model._meta.app_label in READ_ONLY_APPS
        assert response.status_code == (403 if read_only else 200)

    @pytest.mark.parametrize("model", LODESTAR_MODELS, ids=model_id)
    def test_change_page(self, admin_client, model):
        obj = model._default_manager.first()
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200

    def test_search_finds_by_title(self, admin_client):
        make_key_result(Objective.objects.first(), title="Weekly active teams")
        response = admin_client.get(admin_url(KeyResult, "changelist"), {"q": "weekly active"})
        assert response.context["cl"].result_count == 1

    def test_requires_staff(self, client):
        user = User.objects.create_user(username="sofia", password="pw-sofia-123")
        client.force_login(user)
        response = client.get(admin_url(KeyResult, "changelist"))
        assert response.status_code == 302
        assert "/admin/login/" in response.url


class TestChangelistQueries:
    @pytest.mark.parametrize("model", LODESTAR_MODELS, ids=model_id)
    def test_do_not_grow_with_rows(self, admin_client, model):
        populate(2)
        few = changelist_queries(admin_client, model)
        rows = model._default_manager.count()
        populate(10)
        many = changelist_queries(admin_client, model)
        assert model._default_manager.count() == rows + 10
        assert many == few

    def test_team_member_count_is_annotated(self, admin_client, db):
        populate(1)
        team = Team.objects.get()
        team.members.add(User.objects.create_user(username="eli"))
        response = admin_client.get(admin_url(Team, "changelist"))
        assert response.context["cl"].result_list[0]._member_count == 2


@pytest.mark.usefixtures("populated")
class TestHistoryIsReadOnly:
    def test_check_in_cannot_be_changed(self, admin_client):
        check_in = CheckIn.objects.first()
        url = admin_url(CheckIn, "change", check_in.pk)
        response = admin_client.post(url, {"value": "99", "checked_in_at_0": "2027-01-01"})
        check_in.refresh_from_db()
        assert response.status_code == 403
        assert check_in.value == Decimal(10)

    def test_check_in_cannot_be_deleted(self, admin_client):
        check_in = CheckIn.objects.first()
        response = admin_client.post(admin_url(CheckIn, "delete", check_in.pk), {"post": "yes"})
        assert response.status_code == 403
        assert CheckIn.objects.filter(pk=check_in.pk).exists()

    def test_snapshot_cannot_be_changed(self, admin_client):
        snapshot = ProgressSnapshot.objects.first()
        url = admin_url(ProgressSnapshot, "change", snapshot.pk)
        response = admin_client.post(url, {"progress": "0.9"})
        snapshot.refresh_from_db()
        assert response.status_code == 403
        assert snapshot.progress == 0.1

    def test_share_link_label_editable_but_not_its_token(self, admin_client):
        link = ShareLink.objects.first()
        token_hash = link.token_hash
        response = admin_client.post(
            admin_url(ShareLink, "change", link.pk),
            {"label": "Board deck", "token_hash": "0" * 64, "expires_at_0": "", "expires_at_1": ""},
        )
        link.refresh_from_db()
        assert response.status_code == 302
        assert link.label == "Board deck"
        assert link.token_hash == token_hash


def objective_form(cycle, **fields):
    data = {
        "cycle": cycle.pk,
        "title": "Win the mid-market",
        "description": "",
        "kind": "committed",
        "weight": "1",
        "rollup_children": "on",
        "position": "0",
        "key_results-TOTAL_FORMS": "0",
        "key_results-INITIAL_FORMS": "0",
        "key_results-MIN_NUM_FORMS": "0",
        "key_results-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


class TestObjectiveAdmin:
    def test_add_with_parent_sets_depth(self, admin_client, db):
        cycle = make_cycle(make_portfolio())
        parent = make_objective(cycle)
        child = make_objective(cycle, parent=parent, depth=1)
        response = admin_client.post(
            admin_url(Objective, "add"), objective_form(cycle, parent=child.pk)
        )
        assert response.status_code == 302
        assert Objective.objects.get(title="Win the mid-market").depth == 2

    def test_parent_must_be_in_the_same_cycle(self, admin_client, db):
        portfolio = make_portfolio()
        cycle = make_cycle(portfolio)
        other = make_objective(make_cycle(portfolio, name="2026 Q4"))
        response = admin_client.post(
            admin_url(Objective, "add"), objective_form(cycle, parent=other.pk)
        )
        assert response.status_code == 200
        assert "same cycle" in str(response.context["adminform"].form.errors["parent"])
        assert not Objective.objects.filter(title="Win the mid-market").exists()

    def test_portfolio_objective_cannot_cascade_from_a_product_objective(self, admin_client, db):
        portfolio = make_portfolio()
        cycle = make_cycle(portfolio)
        product = Product.objects.create(portfolio=portfolio, name="Atlas", slug="atlas")
        product_objective = make_objective(cycle, product=product)
        response = admin_client.post(
            admin_url(Objective, "add"), objective_form(cycle, parent=product_objective.pk)
        )
        assert response.status_code == 200
        assert "portfolio objective" in str(response.context["adminform"].form.errors["parent"])

    def test_place_in_the_tree_is_read_only_once_created(self, admin_client, db):
        objective = make_objective(make_cycle(make_portfolio()))
        response = admin_client.get(admin_url(Objective, "change", objective.pk))
        form = response.context["adminform"].form
        assert "parent" not in form.fields
        assert "cycle" not in form.fields
        assert "title" in form.fields

    def test_key_result_inline_shows_computed_fields_read_only(self, admin_client, db):
        objective = make_objective(make_cycle(make_portfolio()))
        make_key_result(objective)
        response = admin_client.get(admin_url(Objective, "change", objective.pk))
        inline_form = response.context["inline_admin_formsets"][0].formset.forms[0]
        assert "title" in inline_form.fields
        assert "progress" not in inline_form.fields
        assert "current_value" not in inline_form.fields


class TestKeyResultAdmin:
    def test_milestone_must_go_from_zero_to_one(self, admin_client, db):
        objective = make_objective(make_cycle(make_portfolio()))
        response = admin_client.post(
            admin_url(KeyResult, "add"),
            {
                "objective": objective.pk,
                "title": "Ship SSO",
                "description": "",
                "measure": Measure.MILESTONE,
                "unit": "",
                "start_value": "0",
                "target_value": "5",
                "weight": "1",
                "position": "0",
            },
        )
        assert response.status_code == 200
        assert "milestone" in str(response.context["adminform"].form.non_field_errors())
        assert not KeyResult.objects.filter(title="Ship SSO").exists()


class TestRoadmapItemAdmin:
    def item_form(self, product, key_result):
        return {
            "product": product.pk,
            "title": "Self-serve onboarding",
            "description": "",
            "status": "planned",
            "horizon": "now",
            "starts_on": "",
            "ends_on": "",
            "effort": "",
            "position": "0",
            "alignments-TOTAL_FORMS": "1",
            "alignments-INITIAL_FORMS": "0",
            "alignments-MIN_NUM_FORMS": "0",
            "alignments-MAX_NUM_FORMS": "1000",
            "alignments-0-key_result": key_result.pk,
            "alignments-0-note": "Fewer drop-offs in week one",
        }

    def test_add_with_alignment_records_who_aligned(self, admin_client, db):
        portfolio = make_portfolio()
        product = Product.objects.create(portfolio=portfolio, name="Atlas", slug="atlas")
        key_result = make_key_result(make_objective(make_cycle(portfolio)))
        response = admin_client.post(
            admin_url(RoadmapItem, "add"), self.item_form(product, key_result)
        )
        assert response.status_code == 302
        alignment = Alignment.objects.get(item__title="Self-serve onboarding")
        assert alignment.key_result == key_result
        assert alignment.created_by.username == "admin"

    def test_alignment_to_another_portfolio_is_refused(self, admin_client, db):
        product = Product.objects.create(portfolio=make_portfolio(), name="Atlas", slug="atlas")
        foreign = make_key_result(make_objective(make_cycle(make_portfolio("globex"))))
        response = admin_client.post(
            admin_url(RoadmapItem, "add"), self.item_form(product, foreign)
        )
        assert response.status_code == 200
        assert not RoadmapItem.objects.filter(title="Self-serve onboarding").exists()
        assert not Alignment.objects.exists()

    def test_lists_how_many_key_results_an_item_serves(self, admin_client, db):
        portfolio = make_portfolio()
        product = Product.objects.create(portfolio=portfolio, name="Atlas", slug="atlas")
        objective = make_objective(make_cycle(portfolio))
        item = make_item(product)
        for _ in range(3):
            Alignment.objects.create(item=item, key_result=make_key_result(objective))
        response = admin_client.get(admin_url(RoadmapItem, "changelist"))
        assert response.context["cl"].result_list[0]._alignment_count == 3
