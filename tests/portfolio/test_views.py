"""Portfolio administration: products, people, teams and new portfolios (DESIGN.md §7)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okrs.models import CheckIn
from portfolio.models import Membership, Product, Role
from teams.models import Discipline, Team
from tests.okrs.factories import CheckInFactory
from tests.portfolio.factories import MembershipFactory, ProductFactory
from tests.teams.factories import TeamFactory, UserFactory

HX = {"HTTP_HX_REQUEST": "true"}
MEMBER_ROLES = ["owning_pm", "other_pm", "contributor", "other_contributor", "stakeholder"]


def settings_url(portfolio, name="portfolio_settings", *args):
    return reverse(name, args=[portfolio.slug, *args])


@pytest.fixture
def everyone(director, owning_pm, other_pm, contributor, other_contributor, stakeholder, outsider):
    return None


def assert_refused(client, person, role, url, data=None):
    """Members without the right get 403, outsiders 404, anonymous visitors sign in."""
    user = person(role)
    if role != "anonymous":
        client.force_login(user)
    response = client.post(url, data or {}) if data is not None else client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    elif role == "outsider":
        assert response.status_code == 404
    else:
        assert response.status_code == 403


REFUSED = [*MEMBER_ROLES, "outsider", "anonymous"]


class TestProducts:
    def test_director_sees_products_and_the_form(self, client, director, portfolio, product):
        client.force_login(director)
        response = client.get(settings_url(portfolio))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Checkout" in html
        assert "Priya Owner" in html
        assert "Add a product" in html

    def test_director_adds_a_product(self, client, director, portfolio, owning_pm):
        team = TeamFactory(name="Payments")
        client.force_login(director)
        response = client.post(
            settings_url(portfolio),
            {"name": "Wallet", "slug": "", "owner": owning_pm.pk, "team": team.pk},
        )
        assert response.status_code == 302
        wallet = Product.objects.get(portfolio=portfolio, name="Wallet")
        assert (wallet.slug, wallet.owner, wallet.team) == ("wallet", owning_pm, team)

    def test_duplicate_slug_is_an_inline_error(self, client, director, portfolio, product):
        client.force_login(director)
        response = client.post(settings_url(portfolio), {"name": "Other", "slug": "checkout"})
        assert response.status_code == 200
        assert "already uses this slug" in response.content.decode()
        assert not Product.objects.filter(name="Other").exists()

    def test_owner_must_be_a_pm_or_director(self, client, director, portfolio, contributor):
        client.force_login(director)
        response = client.get(settings_url(portfolio))
        assert f'value="{contributor.pk}"' not in response.content.decode()
        response = client.post(settings_url(portfolio), {"name": "X", "owner": contributor.pk})
        assert "Select a valid choice" in response.content.decode()
        assert not Product.objects.filter(name="X").exists()

    def test_director_renames_and_reassigns(self, client, director, portfolio, product, other_pm):
        client.force_login(director)
        url = settings_url(portfolio, "settings_product", product.pk)
        assert "Save product" in client.get(url).content.decode()
        response = client.post(
            url,
            {
                "action": "save",
                "name": "Pay",
                "slug": "pay",
                "owner": other_pm.pk,
                "description": "d",
            },
        )
        assert response.status_code == 302
        product.refresh_from_db()
        assert (product.name, product.slug, product.owner, product.description) == (
            "Pay",
            "pay",
            other_pm,
            "d",
        )

    def test_director_archives_and_restores(self, client, director, portfolio, product):
        client.force_login(director)
        url = settings_url(portfolio, "settings_product", product.pk)
        client.post(url, {"action": "archive"})
        product.refresh_from_db()
        assert product.is_archived
        assert "Restore" in client.get(settings_url(portfolio)).content.decode()
        client.post(url, {"action": "unarchive"})
        product.refresh_from_db()
        assert not product.is_archived

    def test_another_portfolios_product_is_404(self, client, director, portfolio, other_portfolio):
        foreign = ProductFactory(portfolio=other_portfolio)
        client.force_login(director)
        url = settings_url(portfolio, "settings_product", foreign.pk)
        assert client.get(url).status_code == 404

    @pytest.mark.parametrize("role", REFUSED)
    def test_only_the_director_may_add(self, client, person, role, portfolio, everyone):
        assert_refused(client, person, role, settings_url(portfolio), {"name": "Sneaky"})
        assert not Product.objects.filter(name="Sneaky").exists()

    @pytest.mark.parametrize("role", REFUSED)
    def test_only_the_director_may_edit_or_archive(
        self, client, person, role, portfolio, product, everyone
    ):
        url = settings_url(portfolio, "settings_product", product.pk)
        assert_refused(client, person, role, url, {"action": "archive"})
        assert_refused(client, person, role, url, {"action": "save", "name": "Renamed"})
        product.refresh_from_db()
        assert not product.is_archived
        assert product.name == "Checkout"

    @pytest.mark.parametrize("role", REFUSED)
    def test_only_the_director_may_read_settings(self, client, person, role, portfolio, everyone):
        assert_refused(client, person, role, settings_url(portfolio))


class TestPeople:
    def test_lists_members_with_roles(self, client, director, portfolio, owning_pm, stakeholder):
        client.force_login(director)
        html = client.get(settings_url(portfolio, "settings_people")).content.decode()
        assert "Priya Owner" in html
        assert "Sofia Stakeholder" in html
        assert 'value="stakeholder" selected' in html

    def test_adds_an_existing_person_by_username_or_email(self, client, director, portfolio):
        ada = UserFactory(username="ada", email="ada@example.com")
        bob = UserFactory(username="bob", email="bob@example.com")
        client.force_login(director)
        url = settings_url(portfolio, "settings_people")
        client.post(url, {"identifier": "ADA", "role": Role.CONTRIBUTOR})
        client.post(url, {"identifier": "Bob@Example.com", "role": Role.STAKEHOLDER})
        roles = dict(Membership.objects.filter(portfolio=portfolio).values_list("user", "role"))
        assert roles[ada.pk] == Role.CONTRIBUTOR
        assert roles[bob.pk] == Role.STAKEHOLDER

    def test_unknown_username_is_an_inline_error(self, client, director, portfolio):
        client.force_login(director)
        response = client.post(
            settings_url(portfolio, "settings_people"),
            {"identifier": "nobody", "role": "contributor"},
        )
        assert "No one uses the username “nobody”" in response.content.decode()

    def test_changes_a_role_with_htmx(self, client, director, portfolio, contributor):
        client.force_login(director)
        url = settings_url(portfolio, "settings_member", contributor.pk)
        response = client.post(url, {"action": "role", "role": Role.PRODUCT_MANAGER}, **HX)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="people-table"' in html
        assert "<html" not in html
        assert response["HX-Trigger"] == "membershipChanged"
        membership = Membership.objects.get(portfolio=portfolio, user=contributor)
        assert membership.role == Role.PRODUCT_MANAGER

    def test_changes_a_role_without_htmx(self, client, director, portfolio, contributor):
        client.force_login(director)
        url = settings_url(portfolio, "settings_member", contributor.pk)
        response = client.post(url, {"action": "role", "role": Role.STAKEHOLDER})
        assert response.status_code == 302
        assert Membership.objects.get(user=contributor, portfolio=portfolio).role == "stakeholder"

    def test_last_director_is_an_inline_error(self, client, director, portfolio):
        client.force_login(director)
        url = settings_url(portfolio, "settings_member", director.pk)
        response = client.post(url, {"action": "role", "role": Role.CONTRIBUTOR}, **HX)
        html = response.content.decode()
        assert "is the last director" in html
        assert 'role="alert"' in html
        response = client.post(url, {"action": "remove"}, **HX)
        assert "is the last director" in response.content.decode()
        assert Membership.objects.get(user=director, portfolio=portfolio).role == Role.DIRECTOR

    def test_last_director_error_without_htmx(self, client, director, portfolio):
        client.force_login(director)
        url = settings_url(portfolio, "settings_member", director.pk)
        response = client.post(url, {"action": "remove"})
        assert response.status_code == 400
        assert "is the last director" in response.content.decode()

    def test_a_director_stepping_down_leaves_the_settings(self, client, director, portfolio):
        deputy = UserFactory()
        MembershipFactory(portfolio=portfolio, user=deputy, role=Role.DIRECTOR)
        client.force_login(director)
        url = settings_url(portfolio, "settings_member", director.pk)
        response = client.post(url, {"action": "role", "role": Role.STAKEHOLDER}, **HX)
        assert response["HX-Redirect"] == reverse("home")
        assert Membership.objects.get(user=director, portfolio=portfolio).role == "stakeholder"

    def test_removing_keeps_check_ins(self, client, director, portfolio, contributor):
        check_in = CheckInFactory(author=contributor)
        client.force_login(director)
        url = settings_url(portfolio, "settings_member", contributor.pk)
        response = client.post(url, {"action": "remove"})
        assert response.status_code == 302
        assert not Membership.objects.filter(portfolio=portfolio, user=contributor).exists()
        assert CheckIn.objects.filter(pk=check_in.pk, author=contributor).exists()

    def test_a_non_member_is_404(self, client, director, portfolio, outsider):
        client.force_login(director)
        url = settings_url(portfolio, "settings_member", outsider.pk)
        assert client.post(url, {"action": "remove"}).status_code == 404

    @pytest.mark.parametrize("role", REFUSED)
    def test_only_the_director_may_add_people(self, client, person, role, portfolio, everyone):
        UserFactory(username="newbie")
        url = settings_url(portfolio, "settings_people")
        assert_refused(client, person, role, url, {"identifier": "newbie", "role": "director"})
        assert not Membership.objects.filter(user__username="newbie").exists()

    @pytest.mark.parametrize("role", REFUSED)
    def test_only_the_director_may_change_roles_or_remove(
        self, client, person, role, portfolio, everyone
    ):
        target = person("contributor")
        url = settings_url(portfolio, "settings_member", target.pk)
        assert_refused(client, person, role, url, {"action": "role", "role": "director"})
        assert_refused(client, person, role, url, {"action": "remove"})
        assert Membership.objects.get(user=target, portfolio=portfolio).role == Role.CONTRIBUTOR


class TestTeams:
    def test_director_creates_a_team_from_the_portfolios_people(
        self, client, director, portfolio, owning_pm, contributor
    ):
        client.force_login(director)
        url = settings_url(portfolio, "settings_teams")
        response = client.post(
            url,
            {
                "name": "Growth squad",
                "discipline": Discipline.ENGINEERING,
                "lead": owning_pm.pk,
                "members": [contributor.pk],
            },
        )
        assert response.status_code == 302
        team = Team.objects.get(name="Growth squad")
        assert team.lead == owning_pm
        assert set(team.members.all()) == {owning_pm, contributor}

    def test_people_from_elsewhere_are_not_offered(self, client, director, portfolio, outsider):
        client.force_login(director)
        html = client.get(settings_url(portfolio, "settings_teams")).content.decode()
        assert "organisation" in html
        assert f'value="{outsider.pk}"' not in html

    def test_editing_keeps_members_from_other_portfolios(
        self, client, director, portfolio, contributor, outsider
    ):
        team = TeamFactory(name="Data", discipline=Discipline.DATA)
        team.members.set([contributor, outsider])
        client.force_login(director)
        url = settings_url(portfolio, "settings_team", team.pk)
        response = client.post(
            url, {"name": "Data & AI", "discipline": Discipline.DATA, "members": []}
        )
        assert response.status_code == 302
        team.refresh_from_db()
        assert team.name == "Data & AI"
        assert set(team.members.all()) == {outsider}

    def test_duplicate_name_is_an_inline_error(self, client, director, portfolio):
        TeamFactory(name="Design")
        client.force_login(director)
        response = client.post(
            settings_url(portfolio, "settings_teams"), {"name": "Design", "discipline": "design"}
        )
        assert "already exists" in response.content.decode()

    @pytest.mark.parametrize("role", REFUSED)
    def test_only_directors_may_manage_teams(self, client, person, role, portfolio, everyone):
        team = TeamFactory(name="Core")
        url = settings_url(portfolio, "settings_teams")
        assert_refused(client, person, role, url, {"name": "Sneaky", "discipline": "data"})
        edit = settings_url(portfolio, "settings_team", team.pk)
        assert_refused(client, person, role, edit, {"name": "Renamed", "discipline": "data"})
        assert not Team.objects.filter(name__in=["Sneaky", "Renamed"]).exists()


class TestNewPortfolio:
    def test_staff_creates_a_portfolio_with_an_existing_director(self, client, director):
        staff = UserFactory(is_staff=True)
        client.force_login(staff)
        url = reverse("portfolio_create")
        assert "Create portfolio" in client.get(url).content.decode()
        response = client.post(
            url, {"name": "Initech", "slug": "initech", "director": director.username}
        )
        assert response.status_code == 302
        membership = Membership.objects.get(portfolio__slug="initech")
        assert (membership.user, membership.role) == (director, Role.DIRECTOR)

    def test_slug_taken_is_an_inline_error(self, client, portfolio, director):
        client.force_login(UserFactory(is_staff=True))
        response = client.post(
            reverse("portfolio_create"),
            {"name": "Acme 2", "slug": "acme", "director": director.email},
        )
        assert response.status_code == 200
        assert "slug already exists" in response.content.decode().lower()

    @pytest.mark.parametrize("role", ["director", "owning_pm", "contributor", "stakeholder"])
    def test_non_staff_are_refused(self, client, person, role, everyone):
        client.force_login(person(role))
        url = reverse("portfolio_create")
        assert client.get(url).status_code == 403
        response = client.post(url, {"name": "N", "slug": "n", "director": "x@example.com"})
        assert response.status_code == 403

    def test_anonymous_signs_in_first(self, client, db):
        response = client.get(reverse("portfolio_create"))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


class TestQueryCounts:
    def test_settings_pages_do_not_grow(self, client, director, portfolio, owning_pm):
        client.force_login(director)

        def add(n):
            for _i in range(n):
                user = UserFactory()
                MembershipFactory(portfolio=portfolio, user=user, role=Role.PRODUCT_MANAGER)
                team = TeamFactory()
                team.members.set([user, owning_pm])
                team.lead = user
                team.save()
                ProductFactory(portfolio=portfolio, owner=user, team=team)

        add(2)
        team = Team.objects.first()
        product = Product.objects.filter(portfolio=portfolio).first()
        urls = [
            settings_url(portfolio),
            settings_url(portfolio, "settings_people"),
            settings_url(portfolio, "settings_teams"),
            settings_url(portfolio, "settings_team", team.pk),
            settings_url(portfolio, "settings_product", product.pk),
        ]
        small = [count(client, url) for url in urls]
        add(8)
        large = [count(client, url) for url in urls]
        print("settings query counts", small, large)
        assert small == large
