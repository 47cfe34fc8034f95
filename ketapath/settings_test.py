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
# No collectstatic in tests: WhiteNoise serves straight from the packages.
WHITENOISE_USE_FINDERS = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The test client builds the middleware for every test; WhiteNoise's scan of the static files is
# made once per settings instead of each time (tests/static_scan.py).
MIDDLEWARE = [
    "tests.static_scan.WhiteNoiseScannedOnce"
    if name == "whitenoise.middleware.WhiteNoiseMiddleware"
    else name
    for name in MIDDLEWARE  # noqa: F405
]

# Each test database (one per xdist worker, per backend) is built straight from the models:
# replaying the 28 migrations cost about 20 s of CPU per worker. The migrations themselves are
# still proved, once per run, by tests/test_infrastructure.py (they build, on an empty database of
# the same backend, the schema the models declare), and `makemigrations --check` runs in CI.
DATABASES["default"]["TEST"] = {**DATABASES["default"].get("TEST", {}), "MIGRATE": False}  # noqa: F405
