"""Test settings: the normal settings with a throwaway secret and a fast password hasher.

DATABASE_URL picks the database as usual (PostgreSQL in CI, SQLite by default).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-not-for-production")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Tests never collect static files; WhiteNoise would warn on every request about the missing root.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
