"""docker-compose.yml cannot run here (no Docker engine), so check what it points at."""

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def commands_of(service: dict) -> list[list[str]]:
    command = service["command"]
    text = command if isinstance(command, str) else shlex.join(command)
    if text.startswith("sh -c "):
        text = shlex.split(text)[2]
    return [shlex.split(part) for part in text.split("&&")]


def test_topology_has_every_service(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "db", "redis"}
    assert compose["services"]["db"]["image"] == "postgres:17"
    assert compose["services"]["redis"]["image"] == "redis:7"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_share_one_image_and_the_same_variables(compose, name):
    service = compose["services"][name]
    environment = service["environment"]

    assert service["image"] == "lodestar:latest"
    assert service["build"] == "."
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["REDIS_URL"].startswith("redis://redis:")
    assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    importlib.import_module(environment["DJANGO_SETTINGS_MODULE"].rsplit(".", 1)[0])


def test_web_serves_the_wsgi_application_with_gunicorn(compose):
    migrate, serve = commands_of(compose["services"]["web"])

    assert migrate[:3] == ["python", "manage.py", "migrate"]
    assert serve[0] == "gunicorn"
    module, attribute = serve[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))


@pytest.mark.parametrize(("name", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_point_at_the_celery_app(compose, name, subcommand):
    (command,) = commands_of(compose["services"][name])

    assert command[:2] == ["celery", "-A"]
    assert command[3] == subcommand
    app = importlib.import_module(command[2]).celery_app
    assert app.main == "lodestar"


def test_dockerfile_default_command_matches_web(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert re.search(r'CMD \["gunicorn", "config\.wsgi:application"', dockerfile)
    assert "requirements.lock" in dockerfile
