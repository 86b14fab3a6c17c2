import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestProductionSettings:
    def test_check_deploy_passes_with_no_warning(self):
        result = run_manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY="a-long-random-production-secret-" + "k3y" * 12,
            ALLOWED_HOSTS="lodestar.example.com",
        )

        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout

    def test_refuses_to_start_without_secret_key(self):
        result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings.production")

        assert result.returncode != 0
        assert "SECRET_KEY is not set" in result.stderr

    def test_development_settings_start_without_secret_key(self):
        result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings.dev")

        assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_migrations_are_up_to_date():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
