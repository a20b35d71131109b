"""Server processes started by end-to-end tests (tests/realtime) and the websocket bench.

The test settings (same secret and field keys, so a session signed in by the test
process is valid here), with what makes several processes one deployment: the Redis
channel layer and cache from ``REDIS_URL``, and the database the test process is
using (``DATABASE_URL``, set by the harness to the current test database).
"""

from config.env import env_int, env_list, env_str
from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    # redis-py 8 gives every read a 5 s timeout by default, exactly as long as
    # channels_redis's blocking pop waits for a message: on a loaded machine the client
    # gives up first, the error escapes the consumer and the socket is dropped. A read
    # timeout well above the pop's keeps a dead Redis detectable without that race.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
# As in production: work for later (the outbox's deliveries) is queued in the database
# for a worker, not run inside the web process as the test settings do.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1"])
# The test settings leave the test database's name empty on SQLite (a memory database),
# which another process cannot share; these processes use the file in DATABASE_URL.
DATABASES["default"].pop("TEST", None)
# A socket's stream reads happen in worker threads; reopening a connection for each
# would measure PostgreSQL's connection setup instead of Loom.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
