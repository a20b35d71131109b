"""Loom settings: one environment-driven base. dev/test/prod override a few lines.

Every value a deployment may change is read here from the environment through the
typed readers in ``config.env``; ``docs/configuration.md`` lists them all.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str, mailer_from_url, media_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("LOOM_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# A fresh clone has no data directory yet; SQLite, media and mail files live here.
DATA_DIR.mkdir(parents=True, exist_ok=True)

# Development defaults; config.settings.prod refuses to start with these.
DEFAULT_SECRET_KEY = "loom-insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
LOOM_BASE_URL = env_str("LOOM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [LOOM_BASE_URL])
# Demo mode shows the SMS outbox page to admins and prints demo sign-ins.
LOOM_DEMO_MODE = env_bool("LOOM_DEMO_MODE", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "loom.core",
    "loom.accounts",
    "loom.scheduling",
    "loom.resources",
    "loom.messaging",
    "loom.journal",
    "loom.wellbeing",
    "loom.analytics",
    "loom.notifications",
    "loom.web",
]

MIDDLEWARE = [
    "loom.core.middleware.RequestIdMiddleware",
    "loom.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Outside the middlewares that can refuse a request (a bad Host header is refused
    # in CommonMiddleware), so error responses carry the header too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the session timeout, which leaves a "you were signed out" message.
    "django.contrib.messages.middleware.MessageMiddleware",
    "loom.core.rls.RowLevelSecurityMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Before usersessions, so an expired session is not recorded as "last seen now".
    "loom.accounts.middleware.SessionTimeoutMiddleware",
    "loom.accounts.middleware.DeviceActivityMiddleware",
    "loom.accounts.middleware.UserPreferencesMiddleware",
    # Refuses non-UTF-8 query strings and form bodies before any view reads them
    # (after the person's language is active, so the 400 page is in their language).
    "loom.core.middleware.InputEncodingMiddleware",
    "loom.accounts.mfa_policy.MfaPolicyMiddleware",
    # Last: sees the resolved route and the signed-in person (loom.analytics.events).
    "loom.analytics.middleware.PageViewMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # Before ``layout``: the stream position is read before the badge counts,
                # so an event between the two is replayed rather than missed.
                "loom.web.context_processors.stream",
                "loom.web.context_processors.layout",
                "loom.accounts.context_processors.crisis",
                "loom.analytics.context_processors.nps_survey",
            ],
            "builtins": ["django.templatetags.i18n"],
        },
    }
]

# --- Database -------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'loom.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while the worker writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write locks.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
# On PostgreSQL the application switches to this role (neither owner, superuser nor
# BYPASSRLS) on every connection; migrations run as the login role. See docs/security.md.
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channels --------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py's default 5 s read timeout races channels-redis's own 5 s wait for
            # a message: under load the wait loses, the layer raises and every socket of
            # the process is dropped. A longer socket timeout lets the layer's wait win.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background tasks -------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "loom.accounts.validators.BreachedPatternValidator"},
    {"NAME": "loom.accounts.validators.MaximumLengthValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"

# --- Sessions and cookies --------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOOM_SESSION_IDLE_SECONDS = env_int("LOOM_SESSION_IDLE_SECONDS", 2 * 60 * 60)
LOOM_SESSION_REMEMBER_SECONDS = env_int("LOOM_SESSION_REMEMBER_SECONDS", 14 * 24 * 60 * 60)
LOOM_ADMIN_IDLE_SECONDS = env_int("LOOM_ADMIN_IDLE_SECONDS", 15 * 60)
SESSION_COOKIE_AGE = LOOM_SESSION_REMEMBER_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A friendly, translated page instead of Django's technical one.
CSRF_FAILURE_VIEW = "loom.core.views.csrf_failure"
SESSION_COOKIE_NAME = "loom_session"
CSRF_COOKIE_NAME = "loom_csrf"
LANGUAGE_COOKIE_NAME = "loom_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- allauth ----------------------------------------------------------------------
ACCOUNT_ADAPTER = "loom.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Loom · "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if LOOM_BASE_URL.startswith("https") else "http"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# TOTP secrets encrypted at rest; a required second factor cannot be removed.
MFA_ADAPTER = "loom.accounts.mfa_policy.MFAAdapter"
MFA_TOTP_ISSUER = "Loom"
MFA_TRUST_ENABLED = True
MFA_TRUST_COOKIE_AGE = 30 * 24 * 60 * 60
USERSESSIONS_TRACK_ACTIVITY = True
# A site-wide switch: coaches must enrol in MFA before using the coach area.
LOOM_REQUIRE_MFA_FOR_COACHES = env_bool("LOOM_REQUIRE_MFA_FOR_COACHES", False)
LOOM_INVITATION_TTL_DAYS = env_int("LOOM_INVITATION_TTL_DAYS", 7)
# Sends of one invitation per rolling day (the first send counts), and new
# invitations per coach per rolling day: bounds on using Loom to send mail to strangers.
LOOM_INVITATION_SENDS_PER_DAY = env_int("LOOM_INVITATION_SENDS_PER_DAY", 5)
LOOM_INVITATIONS_PER_COACH_PER_DAY = env_int("LOOM_INVITATIONS_PER_COACH_PER_DAY", 50)
# Scheduling: bookable slots start every this many minutes from the start of an
# availability range (docs/scheduling.md).
LOOM_SLOT_STEP_MINUTES = env_int("LOOM_SLOT_STEP_MINUTES", 15)
# Scheduling (calendar): video rooms, subscription feeds (docs/scheduling.md).
# Video sessions without the coach's own link get a Jitsi Meet room on this server.
LOOM_JITSI_BASE_URL = env_str("LOOM_JITSI_BASE_URL", "https://meet.jit.si").rstrip("/")
# A calendar feed holds the person's active sessions and those of the last N days.
LOOM_CALENDAR_FEED_PAST_DAYS = env_int("LOOM_CALENDAR_FEED_PAST_DAYS", 60)
# Fetches of one feed URL per hour; calendar apps poll far less often.
LOOM_CALENDAR_FEED_FETCHES_PER_HOUR = env_int("LOOM_CALENDAR_FEED_FETCHES_PER_HOUR", 60)
# Scheduling (notes): uploads checked by loom/core/uploads.py (docs/scheduling.md).
# Largest document (PDF, Office, text) and image a person may attach, in bytes.
LOOM_UPLOAD_MAX_DOCUMENT_BYTES = env_int("LOOM_UPLOAD_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024)
LOOM_UPLOAD_MAX_IMAGE_BYTES = env_int("LOOM_UPLOAD_MAX_IMAGE_BYTES", 10 * 1024 * 1024)
# Images with more pixels are refused before any pixel is decoded.
LOOM_UPLOAD_MAX_IMAGE_PIXELS = env_int("LOOM_UPLOAD_MAX_IMAGE_PIXELS", 40_000_000)
# Office documents are zips: bounds read from the central directory before unpacking.
LOOM_UPLOAD_MAX_ZIP_ENTRIES = env_int("LOOM_UPLOAD_MAX_ZIP_ENTRIES", 2000)
LOOM_UPLOAD_MAX_ZIP_UNCOMPRESSED_BYTES = env_int(
    "LOOM_UPLOAD_MAX_ZIP_UNCOMPRESSED_BYTES", 200 * 1024 * 1024
)
# Resources (docs/resources.md): the largest file of each kind a coach may add to the
# library, in bytes, checked while the upload arrives (one byte over is refused: 413).
LOOM_RESOURCE_MAX_DOCUMENT_BYTES = env_int("LOOM_RESOURCE_MAX_DOCUMENT_BYTES", 50 * 1024 * 1024)
LOOM_RESOURCE_MAX_IMAGE_BYTES = env_int("LOOM_RESOURCE_MAX_IMAGE_BYTES", 20 * 1024 * 1024)
LOOM_RESOURCE_MAX_AUDIO_BYTES = env_int("LOOM_RESOURCE_MAX_AUDIO_BYTES", 200 * 1024 * 1024)
LOOM_RESOURCE_MAX_VIDEO_BYTES = env_int("LOOM_RESOURCE_MAX_VIDEO_BYTES", 1024 * 1024 * 1024)
# Files one upload request may carry.
LOOM_RESOURCE_MAX_FILES_PER_UPLOAD = env_int("LOOM_RESOURCE_MAX_FILES_PER_UPLOAD", 10)
# Audio and video count as completed once this share of them has been played (percent).
LOOM_RESOURCE_COMPLETE_PERCENT = env_int("LOOM_RESOURCE_COMPLETE_PERCENT", 90)
# Openings of one resource by one client within this many minutes count as one view.
LOOM_RESOURCE_VIEW_DEDUPE_MINUTES = env_int("LOOM_RESOURCE_VIEW_DEDUPE_MINUTES", 30)
# A shared resource is "new" on the client's home for this many days, until opened.
LOOM_RESOURCE_NEW_DAYS = env_int("LOOM_RESOURCE_NEW_DAYS", 14)
# Realtime (docs/messaging.md): events a reconnecting socket may replay before it is told
# to refetch, days events are kept, and how recently a person must have shown activity
# to count as "active in Loom" (new-message email and push wait while they are).
LOOM_REALTIME_REPLAY_LIMIT = env_int("LOOM_REALTIME_REPLAY_LIMIT", 1000)
LOOM_REALTIME_RETENTION_DAYS = env_int("LOOM_REALTIME_RETENTION_DAYS", 14)
LOOM_PRESENCE_SECONDS = env_int("LOOM_PRESENCE_SECONDS", 120)
# Websocket limits: the largest frame in bytes, and frames per second (average, burst).
LOOM_SOCKET_MAX_FRAME_BYTES = env_int("LOOM_SOCKET_MAX_FRAME_BYTES", 65536)
LOOM_SOCKET_RATE_PER_SECOND = env_int("LOOM_SOCKET_RATE_PER_SECOND", 10)
LOOM_SOCKET_RATE_BURST = env_int("LOOM_SOCKET_RATE_BURST", 40)
# Messaging: minutes a message may be edited after sending; attachment size in bytes.
LOOM_MESSAGE_EDIT_MINUTES = env_int("LOOM_MESSAGE_EDIT_MINUTES", 15)
LOOM_MESSAGE_MAX_ATTACHMENT_BYTES = env_int("LOOM_MESSAGE_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024)
# Notifications (docs/notifications.md): minutes a new message waits, unread, before it
# is emailed or pushed; Web Push keys (VAPID, RFC 8292) — without them push is off.
LOOM_MESSAGE_NOTIFY_DELAY_MINUTES = env_int("LOOM_MESSAGE_NOTIFY_DELAY_MINUTES", 10)
LOOM_VAPID_PUBLIC_KEY = env_str("LOOM_VAPID_PUBLIC_KEY")
LOOM_VAPID_PRIVATE_KEY = env_str("LOOM_VAPID_PRIVATE_KEY")
LOOM_VAPID_SUBJECT = env_str("LOOM_VAPID_SUBJECT", "mailto:admin@loom.localhost")
# Push endpoints allowed over plain http (hosts; tests run a local push service), how long
# a push service keeps an undelivered push, and how long one request to it may take.
LOOM_PUSH_HTTP_HOSTS = env_list("LOOM_PUSH_HTTP_HOSTS", [])
LOOM_PUSH_TTL_SECONDS = env_int("LOOM_PUSH_TTL_SECONDS", 24 * 60 * 60)
LOOM_PUSH_TIMEOUT_SECONDS = env_int("LOOM_PUSH_TIMEOUT_SECONDS", 10)
# Scheduling (groups): a seat offered to the next person on a group session's waitlist
# is held for them this many hours (never past the session's start).
LOOM_WAITLIST_OFFER_HOURS = env_int("LOOM_WAITLIST_OFFER_HOURS", 12)
# Scheduling (reminders): the follow-up email after a completed session goes out this
# many minutes later, so the coach can finish the shared summary first.
LOOM_FOLLOWUP_DELAY_MINUTES = env_int("LOOM_FOLLOWUP_DELAY_MINUTES", 60)
# Versions of /legal/terms/ and /legal/privacy/ that consent records point at; bump
# them when the text changes.
LOOM_TERMS_VERSION = env_str("LOOM_TERMS_VERSION", "2026-11")
LOOM_PRIVACY_VERSION = env_str("LOOM_PRIVACY_VERSION", "2026-11")

# --- Email and SMS ------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL", "console://")
MAILERS = {"default": mailer_from_url(EMAIL_URL, data_dir=DATA_DIR)}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Loom <no-reply@loom.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env_str("SMS_BACKEND", "loom.accounts.sms.ConsoleSMSBackend")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
TWILIO_API_BASE = env_str("TWILIO_API_BASE", "https://api.twilio.com")

# --- Outbox -------------------------------------------------------------------------
# Defaults ride out a mail-server outage of a few hours: 12 attempts, delays drawn
# from [0, min(3600, 10·2^n)] seconds (full jitter), about 5 hours in the worst case.
LOOM_OUTBOX_MAX_ATTEMPTS = env_int("LOOM_OUTBOX_MAX_ATTEMPTS", 12)
LOOM_OUTBOX_BASE_DELAY_SECONDS = env_int("LOOM_OUTBOX_BASE_DELAY_SECONDS", 10)
LOOM_OUTBOX_MAX_DELAY_SECONDS = env_int("LOOM_OUTBOX_MAX_DELAY_SECONDS", 3600)
# How long a worker owns a claimed message; after that another worker may send it.
# Keep it well above the slowest send (the SMTP timeout is 10 s by default).
LOOM_OUTBOX_LEASE_SECONDS = env_int("LOOM_OUTBOX_LEASE_SECONDS", 300)

# --- Encryption ---------------------------------------------------------------------
# Comma-separated url-safe base64 32-byte keys; the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])

# --- Internationalization -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("he", _("Hebrew"))]
LANGUAGES_BIDI = ["he"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Only the npm packages the pages use are exposed as static files (see package.json).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/inter", BASE_DIR / "node_modules" / "@fontsource" / "inter"),
    ("vendor/heebo", BASE_DIR / "node_modules" / "@fontsource" / "heebo"),
    ("vendor/pdfjs", BASE_DIR / "node_modules" / "pdfjs-dist" / "build"),
]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-public/"
# Uploaded files: the filesystem under the data directory, or an S3-compatible bucket
# (LOOM_MEDIA_STORAGE=s3). Either way no file has a public address: every download
# goes through a view that checks access (docs/configuration.md, "Storage").
LOOM_MEDIA_STORAGE = env_str("LOOM_MEDIA_STORAGE", "filesystem")
STORAGES = {
    "default": media_storage(LOOM_MEDIA_STORAGE, media_root=MEDIA_ROOT),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
LOOM_AVATAR_MAX_BYTES = env_int("LOOM_AVATAR_MAX_BYTES", 5 * 1024 * 1024)

# --- Security headers -------------------------------------------------------------------
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("LOOM_BEHIND_PROXY") else None
)

# --- Observability -----------------------------------------------------------------------
# Bearer token for /metrics; without one, /metrics answers only to staff sessions.
LOOM_METRICS_TOKEN = env_str("LOOM_METRICS_TOKEN", "")
SENTRY_DSN = env_str("SENTRY_DSN", "")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "loom.core.logging.JsonFormatter",
        }
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Route Django's own loggers through the JSON handler instead of its defaults.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        "uvicorn.access": {"level": "WARNING"},
    },
}

if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)

# User.email is unique case-insensitively (a functional UniqueConstraint), which the
# auth check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]


# --- Crisis safety net (loom.accounts.safety; docs/configuration.md) ---------------------
# Helplines by region: {"US": {"emergency": "911", "lines": [{"name": …, "phone": …,
# "sms": …, "url": …, "hours": …, "description": …}]}, …, "intl": {…}}. Empty: the
# built-in list (loom.accounts.safety.DEFAULT_CRISIS_LINES). CRISIS_LINES_JSON replaces
# it: the JSON itself, or the path of a file holding it. Bad JSON stops the start.
def _crisis_lines(value: str) -> dict[str, object]:
    import json

    from django.core.exceptions import ImproperlyConfigured

    if not value.strip():
        return {}
    text = value if value.lstrip().startswith("{") else Path(value).read_text("utf-8")
    try:
        table = json.loads(text)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CRISIS_LINES_JSON is not valid JSON: {exc}") from exc
    if not isinstance(table, dict):
        raise ImproperlyConfigured("CRISIS_LINES_JSON must be a JSON object keyed by region.")
    return table


CRISIS_LINES = _crisis_lines(env_str("CRISIS_LINES_JSON", ""))
# The region for people whose time zone has no country (UTC) or no configured lines.
CRISIS_DEFAULT_REGION = env_str("CRISIS_DEFAULT_REGION", "").upper()


# --- Analytics (loom.analytics; docs/analytics.md) ------------------------------------
# Product events older than this are deleted by the worker (the rollups stay).
ANALYTICS_EVENT_RETENTION_DAYS = env_int("ANALYTICS_EVENT_RETENTION_DAYS", 395)
# How many days back the KPI rollup computes (and `analytics_rollup --full` recomputes);
# older KPI rows are kept as they are. Unset: the event retention less the 31 days a
# formula reads back (older events are gone), i.e. 364 days by default.
ANALYTICS_KPI_HISTORY_DAYS = env_int("ANALYTICS_KPI_HISTORY_DAYS", 0) or None
# Days and weeks of the platform KPIs are counted in this zone (weeks start on Monday).
ANALYTICS_TIME_ZONE = env_str("ANALYTICS_TIME_ZONE", "UTC")
# A visit ends after this long without an event.
ANALYTICS_VISIT_TIMEOUT_MINUTES = env_int("ANALYTICS_VISIT_TIMEOUT_MINUTES", 30)
# Where events wait before the worker writes them: "redis" (needs REDIS_URL), "database"
# (one INSERT per event, after the response) or "auto" (redis when REDIS_URL is set).
ANALYTICS_EVENT_BUFFER = env_str("ANALYTICS_EVENT_BUFFER", "auto")
# The Redis list the request path pushes events onto (deployments sharing a Redis differ).
ANALYTICS_EVENT_BUFFER_KEY = env_str("ANALYTICS_EVENT_BUFFER_KEY", "loom:analytics:events")
# Most records the Redis event buffer may hold (~60 bytes each); beyond it new events are
# dropped (counted as buffer_full) instead of filling the shared Redis.
ANALYTICS_EVENT_BUFFER_MAX = env_int("ANALYTICS_EVENT_BUFFER_MAX", 1_000_000)
# The coach analytics flags a client with no activity for this many days.
ANALYTICS_ATTENTION_DAYS = env_int("ANALYTICS_ATTENTION_DAYS", 14)
# Finished exports can be downloaded for this long, then the worker deletes them.
ANALYTICS_EXPORT_RETENTION_HOURS = env_int("ANALYTICS_EXPORT_RETENTION_HOURS", 72)
# The operations dashboard's metrics window (loom.core.ops): "auto" (Redis when REDIS_URL
# is set, else process memory), "redis" or "memory"; and the Redis key prefix.
LOOM_OPS_METRICS_STORE = env_str("LOOM_OPS_METRICS_STORE", "auto")
LOOM_OPS_METRICS_KEY = env_str("LOOM_OPS_METRICS_KEY", "loom:ops")
