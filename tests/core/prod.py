"""Load ``config.settings.prod`` with a chosen environment, in this process or a child one.

The production settings refuse to import with development defaults, and the test
process runs on ``config.settings.test``; ``load_prod_settings`` imports fresh copies of
the settings modules under a patched environment and puts the originals back after.
``manage.py check --deploy`` needs a whole Django, so it runs in a child process.
"""

from __future__ import annotations

import base64
import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]

VALID_SECRET_KEY = "p" * 20 + "-production-secret-key-for-tests-only-" + "q" * 20
VALID_FIELD_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
# Every variable the settings read; cleared so the test environment cannot leak in.
_SETTINGS_MODULES = ("config.settings.base", "config.settings.prod")


def prod_env(data_dir: Path, **overrides: str | None) -> dict[str, str]:
    """A complete, valid production environment; ``NAME=None`` removes a variable."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": VALID_SECRET_KEY,
        "ALLOWED_HOSTS": "loom.example.com",
        "LOOM_BASE_URL": "https://loom.example.com",
        "FIELD_ENCRYPTION_KEYS": VALID_FIELD_KEY,
        "EMAIL_URL": "smtp://loom:secret@smtp.example.com:587?tls=1",
        "DATABASE_URL": f"sqlite:///{data_dir / 'prod.sqlite3'}",
        "LOOM_DATA_DIR": str(data_dir),
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def load_prod_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    """Import ``config.settings.prod`` afresh under exactly ``env``; raises what it raises."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    package = importlib.import_module("config.settings")
    for module_name in _SETTINGS_MODULES:
        monkeypatch.delitem(sys.modules, module_name, raising=False)
        attribute = module_name.rsplit(".", 1)[1]
        if hasattr(package, attribute):
            monkeypatch.setattr(package, attribute, getattr(package, attribute))
    return importlib.import_module("config.settings.prod")


def run_python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
