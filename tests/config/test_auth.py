import pytest


@pytest.mark.django_db
class TestSignIn:
    @pytest.mark.parametrize("url", ["/"])
    def test_anonymous_requests_are_sent_to_sign_in(self, client, url):
        response = client.get(url)

        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")

    def test_login_page_is_public(self, client):
        response = client.get("/accounts/login/")

        assert response.status_code == 200
        assert b"Sign in to Lodestar" in response.content

    def test_wrong_password_shows_an_error_and_signs_nobody_in(self, client, make_user):
        make_user(username="dana")

        response = client.post("/accounts/login/", {"username": "dana", "password": "nope"})

        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
        assert "_auth_user_id" not in client.session

    def test_sign_in_then_sign_out(self, client, make_user, password):
        make_user(username="dana", display_name="Dana Reyes")

        response = client.post(
            "/accounts/login/", {"username": "dana", "password": password}, follow=True
        )
        assert b"Dana Reyes" in response.content

        response = client.post("/accounts/logout/")
        assert response.status_code == 302
        assert client.get("/").status_code == 302

    def test_logout_refuses_get(self, client, make_user):
        client.force_login(make_user())

        assert client.get("/accounts/logout/").status_code == 405


@pytest.mark.django_db
class TestSecurityHeaders:
    def test_pages_send_a_strict_content_security_policy(self, client):
        response = client.get("/accounts/login/")
        policy = response["Content-Security-Policy"]

        assert "script-src 'self' 'nonce-" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_the_shell_loads_htmx_locally_with_csrf_on_body(self, client, make_user):
        client.force_login(make_user())

        html = client.get("/").content.decode()

        assert "/static/django_htmx/htmx-2" in html
        assert 'hx-headers=\'{"X-CSRFToken": "' in html
        assert "https://" not in html


@pytest.mark.django_db
class TestHome:
    def test_a_member_of_one_portfolio_lands_on_its_dashboard(self, client, director, portfolio):
        client.force_login(director)

        response = client.get("/")

        assert response.status_code == 302
        assert response.url == f"/p/{portfolio.slug}/"

    def test_a_member_of_several_portfolios_chooses_one(
        self, client, director, portfolio, other_portfolio
    ):
        from tests.portfolio.factories import MembershipFactory

        MembershipFactory(portfolio=other_portfolio, user=director, role="stakeholder")
        client.force_login(director)

        response = client.get("/")

        assert response.status_code == 200
        html = response.content.decode()
        assert f'href="/p/{portfolio.slug}/"' in html
        assert f'href="/p/{other_portfolio.slug}/"' in html
        assert "New portfolio" not in html

    def test_staff_can_start_a_new_portfolio(self, client, make_user):
        client.force_login(make_user(is_staff=True))

        assert b'href="/portfolios/new/"' in client.get("/").content

    def test_home_refuses_post(self, client, make_user):
        client.force_login(make_user())

        assert client.post("/").status_code == 405
