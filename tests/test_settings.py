"""Settings come from the environment, with safe production defaults."""

import os
import subprocess
import sys


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
