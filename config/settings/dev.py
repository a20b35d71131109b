"""Development: DEBUG on, demo mode, mail to the console unless EMAIL_URL says otherwise."""

from config.env import env_bool
from config.settings.base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
LOOM_DEMO_MODE = env_bool("LOOM_DEMO_MODE", True)
from config.settings.base import FIELD_ENCRYPTION_KEYS  # noqa: E402

# A fixed development key so `make demo` works out of the box; prod refuses to start without its own.
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or ["bG9vbS1kZXYta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE="]
