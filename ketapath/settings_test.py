"""Settings for the test suite: the real settings with a throw-away key and a fast hasher.

The suite runs against SQLite unless ``DATABASE_URL`` points at PostgreSQL (CI runs both).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret-" + "x" * 40)

from ketapath.settings import *  # noqa: F403

# Argon2 on every test login would cost seconds; the production list is tested separately.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
