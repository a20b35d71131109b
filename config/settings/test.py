"""Tests: fast hashing, immediate tasks, in-memory cache and channel layer.

The database still comes from DATABASE_URL so CI runs the suite on PostgreSQL.
"""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, FIELD_ENCRYPTION_KEYS

DEBUG = False
LOOM_DEMO_MODE = True
SECRET_KEY = "loom-test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SMS_BACKEND = "loom.accounts.sms.ConsoleSMSBackend"
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or ["dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0="]
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS}  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("LOOM_TEST_SQLITE", "")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A commit need not wait for its WAL flush to disk: the test database is thrown away,
    # so only a PostgreSQL crash could tell the difference (visibility, locking, ordering
    # and rollback are unchanged). Test-database creation, transactional tests and the
    # realtime servers (config.settings.e2e inherits this) commit thousands of times.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c synchronous_commit=off".strip()
LOGGING = {**LOGGING, "root": {"handlers": ["stdout"], "level": "WARNING"}}  # noqa: F405

# WhiteNoise warns on every request when STATIC_ROOT is missing; tests serve from the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Events are written straight to the database: CI sets REDIS_URL for the Redis tier, and
# one Redis buffer shared by both xdist workers would mix their events. The Redis buffer
# has its own tests (tests/analytics), each on a key of its own.
ANALYTICS_EVENT_BUFFER = "database"
# Every test request feeds the operations metrics window; keep it in process memory so
# the suite never writes to a shared Redis. The Redis store has its own tests on keys of
# their own (tests/core/test_ops_metrics.py).
LOOM_OPS_METRICS_STORE = "memory"
