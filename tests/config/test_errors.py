from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import Client


@pytest.mark.django_db
class TestErrorPages:
    def test_a_database_outage_answers_a_friendly_503(self, make_user):
        client = Client(raise_request_exception=False)
        client.force_login(make_user())

        with mock.patch(
            "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
            side_effect=OperationalError("could not connect to server"),
        ):
            response = client.get("/")

        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert b"cannot reach its database" in response.content
        assert b"Traceback" not in response.content

    def test_an_unexpected_error_answers_500_without_details(self, make_user):
        client = Client(raise_request_exception=False)
        client.force_login(make_user())

        with mock.patch("portfolio.views.portfolio_cards_for", side_effect=RuntimeError("boom")):
            response = client.get("/")

        assert response.status_code == 500
        assert b"Something went wrong" in response.content
        assert b"boom" not in response.content

    def test_unknown_pages_answer_a_helpful_404(self, client, make_user):
        client.force_login(make_user())

        response = client.get("/no-such-page/")

        assert response.status_code == 404
        assert b"couldn't find that page" in response.content
