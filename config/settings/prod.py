"""Production: refuses to start with development defaults; HTTPS hardening on."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int
from config.settings.base import *  # noqa: F403
from config.settings.base import (
    ALLOWED_HOSTS,
    DEBUG,
    DEFAULT_SECRET_KEY,
    FIELD_ENCRYPTION_KEYS,
    SECRET_KEY,
)

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set it to 0).")
if not SECRET_KEY or SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters."
    )
_LOCAL_ONLY = ALLOWED_HOSTS == ["127.0.0.1", "localhost", "[::1]"]
if not ALLOWED_HOSTS or (_LOCAL_ONLY and not env_bool("LOOM_ALLOW_LOCAL_HOSTS")):
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names Loom is served under.")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must hold at least one key.")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Probes reach the process directly over plain HTTP; a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if not SECURE_HSTS_PRELOAD:
    # The operator opted out of the browsers' preload list on purpose; the deploy
    # check would otherwise warn about that choice on every run.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]  # noqa: F405
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
