"""Typed readers for settings that come from the environment.

Every reader accepts ``NAME_FILE`` as an alternative to ``NAME`` so secrets can be
mounted as files. Invalid values fail loudly at start-up rather than at first use.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ImproperlyConfiguredEnv(RuntimeError):
    """Raised when an environment variable is present but unusable."""


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def mailer_from_url(url: str, *, data_dir: Path) -> dict[str, object]:
    """Translate ``EMAIL_URL`` into one entry of Django 6.1's ``MAILERS`` setting.

    Supported: ``smtp://user:pass@host:port`` (``?tls=1`` / ``smtps://`` for TLS),
    ``console://``, ``file://`` (writes to ``<data dir>/mail``) and ``memory://``.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "memory":
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        path = parts.path or str(data_dir / "mail")
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": path},
        }
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parts.query)
        options: dict[str, object] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if scheme == "smtps" else 25),
            "timeout": int(query.get("timeout", ["10"])[0]),
        }
        if parts.username:
            options["username"] = unquote(parts.username)
            options["password"] = unquote(parts.password or "")
        if scheme == "smtps":
            options["use_ssl"] = True
        elif query.get("tls", ["0"])[0] in {"1", "true"}:
            options["use_tls"] = True
        return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    raise ImproperlyConfiguredEnv(f"EMAIL_URL has an unsupported scheme: {url!r}")


class ImproperlyConfiguredStorage(ValueError):
    """The storage settings name a backend Loom does not know or leave out the bucket."""


def media_storage(kind: str, *, media_root: Path) -> dict[str, object]:
    """The ``STORAGES["default"]`` entry for ``LOOM_MEDIA_STORAGE``.

    ``filesystem`` keeps files under ``media_root``; ``s3`` uses django-storages'
    ``S3Storage`` against any S3-compatible service (``LOOM_S3_*``). The bucket stays
    private: objects get no ACL, and Loom never hands out their URLs — files are read
    by the server and streamed through an authorizing view.
    """
    kind = (kind or "filesystem").strip().lower()
    if kind == "filesystem":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media_root)},
        }
    if kind != "s3":
        raise ImproperlyConfiguredStorage(
            f"LOOM_MEDIA_STORAGE must be 'filesystem' or 's3', not {kind!r}."
        )
    bucket = env_str("LOOM_S3_BUCKET")
    if not bucket:
        raise ImproperlyConfiguredStorage("LOOM_MEDIA_STORAGE=s3 needs LOOM_S3_BUCKET.")
    options: dict[str, object] = {
        "bucket_name": bucket,
        "location": env_str("LOOM_S3_PREFIX", "media"),
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "addressing_style": env_str("LOOM_S3_ADDRESSING_STYLE", "path") or None,
    }
    for option, name in (
        ("endpoint_url", "LOOM_S3_ENDPOINT_URL"),
        ("region_name", "LOOM_S3_REGION"),
        ("access_key", "LOOM_S3_ACCESS_KEY_ID"),
        ("secret_key", "LOOM_S3_SECRET_ACCESS_KEY"),
    ):
        value = env_str(name)
        if value:
            options[option] = value
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
