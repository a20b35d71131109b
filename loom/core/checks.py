"""System checks for configuration that would otherwise fail at first use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_encryption_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    from loom.core.crypto import fernet

    try:
        fernet()
    except Exception as exc:
        return [Error(str(exc), id="loom.E001", hint="Set FIELD_ENCRYPTION_KEYS.")]
    return []


@register(Tags.compatibility)
def check_mail_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    explicit: set[str] = getattr(settings, "_explicit_settings", set())
    legacy = [name for name in ("EMAIL_BACKEND", "EMAIL_HOST") if name in explicit]
    if legacy and hasattr(settings, "MAILERS"):
        return [
            Error(
                f"{', '.join(legacy)} cannot be used with MAILERS; use EMAIL_URL.", id="loom.E002"
            )
        ]
    return []
