"""Token auth, the token exchange and its throttle, and the 401 answer."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rate(monkeypatch):
    def set_rate(value: str):
        rates = {**api_settings.DEFAULT_THROTTLE_RATES, "auth-token": value}
        monkeypatch.setattr(api_settings, "DEFAULT_THROTTLE_RATES", rates, raising=False)

    return set_rate


class TestTokenExchange:
    def test_gives_the_person_their_token_creating_it_once(self, director, password):
        client = APIClient()

        first = client.post(TOKEN_URL, {"username": director.username, "password": password})
        second = client.post(TOKEN_URL, {"username": director.username, "password": password})

        assert first.status_code == 200
        assert first.json()["token"] == Token.objects.get(user=director).key
        assert second.json()["token"] == first.json()["token"]

    def test_refuses_a_wrong_password_with_the_error_shape(self, director):
        response = APIClient().post(TOKEN_URL, {"username": director.username, "password": "x"})

        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert "Unable to log in" in error["message"]
        assert not Token.objects.filter(user=director).exists()

    def test_is_throttled_per_ip(self, director, password, rate):
        rate("3/min")
        client = APIClient()
        answers = [
            client.post(TOKEN_URL, {"username": director.username, "password": "wrong"})
            for _ in range(3)
        ]
        blocked = client.post(TOKEN_URL, {"username": director.username, "password": password})

        assert [answer.status_code for answer in answers] == [400, 400, 400]
        assert blocked.status_code == 429
        assert blocked.json()["error"]["code"] == "throttled"
        assert "Retry-After" in blocked.headers

    def test_the_token_authenticates_api_calls(self, world, director, password):
        client = APIClient()
        key = client.post(TOKEN_URL, {"username": director.username, "password": password}).json()[
            "token"
        ]
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

        response = client.get("/api/v1/products/")

        assert response.status_code == 200
        assert {row["name"] for row in response.json()["results"]} == {"Checkout", "Search"}


class TestUnauthenticated:
    def test_answers_401_with_www_authenticate(self, world):
        response = APIClient().get("/api/v1/key-results/")

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Token"
        assert response.json() == {
            "error": {
                "code": "not_authenticated",
                "message": "Authentication credentials were not provided.",
            }
        }

    def test_a_revoked_token_stops_working(self, world, director, api):
        client = api(director)
        Token.objects.filter(user=director).delete()

        response = client.get("/api/v1/products/")

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"

    def test_session_auth_serves_the_browsable_api(self, world, director, client):
        client.force_login(director)

        response = client.get("/api/v1/products/", HTTP_ACCEPT="text/html")

        assert response.status_code == 200
        assert b"Checkout" in response.content


class TestSchemaAndDocs:
    def test_schema_describes_every_resource_and_the_error_shape(self, client):
        response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

        schema = response.json()
        assert response.status_code == 200
        for resource in [
            "portfolios",
            "products",
            "cycles",
            "objectives",
            "key-results",
            "check-ins",
            "roadmap-items",
            "alignments",
            "dependencies",
        ]:
            assert f"/api/v1/{resource}/" in schema["paths"]
        bulk = schema["paths"]["/api/v1/check-ins/bulk/"]["post"]
        assert bulk["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
        assert "Error" in schema["components"]["schemas"]
        assert set(bulk["responses"]) >= {"201", "400", "401", "403"}
        assert "tokenAuth" in schema["components"]["securitySchemes"]

    def test_docs_load_their_assets_from_this_server_without_inline_code(self, client):
        response = client.get("/api/docs/")

        html = response.content.decode()
        assert response.status_code == 200
        assert "<style" not in html
        assert "<script>" not in html
        assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
        assert "script=" in html
        script = client.get("/api/docs/?script=")
        assert script.status_code == 200
        assert script["Content-Type"].startswith("application/javascript")
        assert b"/api/schema/" in script.content
