from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import override_settings


@pytest.mark.django_db
class TestHealthz:
    def test_needs_no_sign_in_and_reports_eager_without_a_broker(self, client):
        with override_settings(REDIS_URL=""):
            response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"database": "ok", "broker": "eager", "status": "ok"}

    def test_reports_broker_down_when_redis_is_unreachable(self, client):
        with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
            response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json()["broker"] == "down"

    def test_answers_503_when_the_database_is_down(self, client):
        with mock.patch(
            "config.health.connection.cursor", side_effect=OperationalError("connection refused")
        ):
            response = client.get("/healthz")

        assert response.status_code == 503
        assert response.json()["database"] == "down"
        assert response.json()["status"] == "down"

    @pytest.mark.redis
    def test_reports_broker_ok_when_redis_answers(self, client, settings):
        assert settings.REDIS_URL
        response = client.get("/healthz")

        assert response.json()["broker"] == "ok"
