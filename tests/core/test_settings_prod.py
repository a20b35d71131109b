"""Production settings fail loudly on development defaults and pass Django's deploy check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.core.prod import REPO, load_prod_settings, prod_env, run_python


def test_production_settings_load_with_a_valid_environment(tmp_path: Path, monkeypatch):
    prod = load_prod_settings(monkeypatch, prod_env(tmp_path))
    assert prod.DEBUG is False
    assert prod.ALLOWED_HOSTS == ["loom.example.com"]
    assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE and prod.SESSION_COOKIE_HTTPONLY
    assert prod.SECURE_SSL_REDIRECT and prod.SECURE_HSTS_SECONDS >= 31_536_000


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "loom-insecure-development-key-do-not-use-in-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"DEBUG": "1"}, "DEBUG"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS"),
    ],
    ids=[
        "no-secret-key",
        "default-secret-key",
        "short-secret-key",
        "debug-on",
        "no-hosts",
        "empty-hosts",
        "no-keys",
    ],
)
def test_production_settings_refuse_to_start(
    tmp_path: Path, monkeypatch, overrides: dict[str, str | None], complaint: str
):
    with pytest.raises(ImproperlyConfigured, match=complaint):
        load_prod_settings(monkeypatch, prod_env(tmp_path, **overrides))


def test_deploy_check_is_clean_with_production_settings(tmp_path: Path):
    result = run_python(
        prod_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_deploy_check_rejects_console_mail_in_production(tmp_path: Path):
    result = run_python(
        prod_env(tmp_path, EMAIL_URL="console://"), "manage.py", "check", "--deploy"
    )
    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_env_example_lists_every_environment_variable():
    """Every variable read through config.env's typed readers is documented."""
    sources = [*Path(REPO, "config").rglob("*.py"), *Path(REPO, "loom").rglob("*.py")]
    read: set[str] = set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        read |= set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", text))
    documented = set(
        re.findall(r"^([A-Z0-9_]+)=", Path(REPO, ".env.example").read_text(encoding="utf-8"), re.M)
    )
    assert {"SECRET_KEY", "DATABASE_URL", "EMAIL_URL"} <= read, (
        "the scan found the settings readers"
    )
    assert read - documented == set(), "add these to .env.example with a comment"
