"""Settings come from the environment, with safe production defaults."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest


def settings_value(expression: str, **env) -> subprocess.CompletedProcess:
    code = f"import batea.settings as s; print({expression})"
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = settings_value("s.DEBUG")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_defaults_are_safe():
    result = settings_value(
        "s.DEBUG, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE", SECRET_KEY="x" * 50
    )
    assert result.stdout.strip() == "False [] True"


def test_database_url_selects_postgresql():
    result = settings_value(
        "s.DATABASES['default']['ENGINE']",
        SECRET_KEY="x",
        DATABASE_URL="postgres://u@127.0.0.1:5432/db",
    )
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_sqlite_is_the_default_for_newcomers():
    result = settings_value("s.DATABASES['default']['ENGINE']", DEBUG="1")
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_passwords_are_hashed_with_argon2():
    result = settings_value("s.PASSWORD_HASHERS[0]", DEBUG="1")
    assert "Argon2" in result.stdout


PRODUCTION = {
    "DEBUG": "0",  # manage.py turns DEBUG on unless told otherwise
    "ALLOWED_HOSTS": "batea.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://batea.example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def check_deploy(**env) -> subprocess.CompletedProcess:
    # The browser tests allow async-unsafe calls in this process; a deployment never does.
    left_out = {"DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in left_out}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**clean, "SECRET_KEY": secrets.token_urlsafe(64), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_deployment_check_is_clean_with_the_production_variables():
    result = check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deployment_check_names_what_a_production_setup_lacks():
    result = check_deploy(DEBUG="0", ALLOWED_HOSTS="batea.example.org")
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no redirect to HTTPS


def test_local_development_over_http_keeps_cookies_usable_without_https():
    result = settings_value(
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS",
        DEBUG="1",
    )
    assert result.stdout.strip() == "False False False 0"


@pytest.mark.django_db
def test_a_new_users_password_is_stored_as_an_argon2_hash(settings):
    from django.contrib.auth import get_user_model

    import batea.settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS  # the suite uses a fast one
    user = get_user_model().objects.create_user("miner", password="a long passphrase")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("a long passphrase")
