"""KetaPath settings: one module, driven by environment variables (see ``.env.example``).

- ``DATABASE_URL``: ``postgres://user:pass@host:5432/name`` for PostgreSQL; unset means SQLite in
  the data folder (``KETAPATH_DATA_DIR``, default ``./ketapath-data/``).
- ``SECRET_KEY``: required when ``DEBUG`` is off, except in the demo, which generates one once
  into the data folder; without ``DATABASE_URL``, every command on that data folder uses it.
- ``ALLOWED_HOSTS``: comma-separated; ``DEBUG``: true/false (default false).
- ``KETAPATH_HTTPS``: true behind TLS (secure cookies, HSTS, redirect).
- ``KETAPATH_TRUSTED_PROXY``: the IP address of the TLS proxy, the only client whose
  ``X-Forwarded-Proto``/``X-Forwarded-For`` headers are believed (needed by ``ketapath serve``
  with ``KETAPATH_HTTPS=true``).
- ``KETAPATH_SESSION_IDLE_MINUTES``: sign-out after this much inactivity (default 30).
- ``KETAPATH_SITE_URL``: the address users open KetaPath at, for links in e-mails (default
  ``http://localhost:8000``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from ketapath.envconfig import (
    SettingError,
    check_database,
    data_dir,
    data_folder_secret_key,
    demo_secret_key,
    env_bool,
    env_int,
    env_ip_address,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()
DEMO = env_bool("KETAPATH_DEMO", False)
DEBUG = env_bool("DEBUG", False)

_database_url = env_str("DATABASE_URL")
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if DEMO or DEBUG:
        SECRET_KEY = demo_secret_key(DATA_DIR)
    else:
        # After `ketapath demo`, every command on the demo's data folder (its SQLite database)
        # finds the key the demo generated there, as the demo does. Never with DATABASE_URL set.
        SECRET_KEY = (None if _database_url else data_folder_secret_key(DATA_DIR)) or ""
        if not SECRET_KEY:
            raise SettingError("SECRET_KEY is not set (required when DEBUG is off outside the demo).")
elif len(SECRET_KEY) < 32:
    raise SettingError("SECRET_KEY is too short (use at least 32 random characters).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

if _database_url:
    try:
        _db = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:
        raise SettingError(f"DATABASE_URL is malformed ({exc}).") from None
    if _db.get("ENGINE") not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise SettingError("DATABASE_URL must be a postgres:// or sqlite:/// address.")
    check_database(_db)
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "ketapath.sqlite3"),
        # Several nurses chart at once: wait for the write lock instead of failing at once.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    # Two-factor sign-in: authenticator-app codes (TOTP) and single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ketapath.accounts",
    "ketapath.audit",
    "ketapath.patients",
    "ketapath.alerts",
    "ketapath.clinic_settings",
    "ketapath.consultations",
    "ketapath.documents",
    "ketapath.pk",
    "ketapath.plans",
    "ketapath.appointments",
    "ketapath.infusions",
    "ketapath.questionnaires",
    "ketapath.outcomes",
    "ketapath.portal",
    "ketapath.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second factor, if any, this session was verified with (``request.user.is_verified()``).
    "django_otp.middleware.OTPMiddleware",
    "ketapath.accounts.middleware.IdleSignOutMiddleware",
    # After authentication: the user's clinic's date and time display, read once per request.
    "ketapath.clinic_settings.middleware.ClinicDisplayMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "ketapath.accounts.middleware.NoStoreMiddleware",
    # Axes last: it needs the authenticated user and turns lock-outs into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketapath.urls"
WSGI_APPLICATION = "ketapath.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "ketapath.web.context_processors.navigation",
            ],
            # Dates and times in the clinic's format (``day``, ``clock``, ``moment``) on every page.
            "builtins": ["ketapath.clinic_settings.templatetags.dates"],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Argon2 first: new and re-saved passwords use it; PBKDF2 stays to read older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ketapath.accounts.passwords.MaximumLengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Two-factor sign-in (django-otp): the name authenticator apps show beside the account. A wrong
# code makes the next try wait (1 s, then 2, 4, 8 … per device: django-otp's throttling).
OTP_TOTP_ISSUER = "KetaPath"

# Lock-out after repeated failed logins (django-axes), per username and address.
AXES_FAILURE_LIMIT = env_int("KETAPATH_LOGIN_FAILURE_LIMIT", 5, 2, 100)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KETAPATH_LOGIN_LOCKOUT_MINUTES", 15, 1, 1440))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Password reset by e-mail (ketapath.web.password_reset): the link works once and for an hour; at most
# 5 requests per e-mail address and 20 per client address an hour (counted in the cache).
PASSWORD_RESET_TIMEOUT = 60 * 60
KETAPATH_PASSWORD_RESET_PER_ADDRESS = 5
KETAPATH_PASSWORD_RESET_PER_IP = 20
KETAPATH_PASSWORD_RESET_WINDOW_SECONDS = 60 * 60

# Sign-out after inactivity (ketapath.accounts.middleware.IdleSignOutMiddleware): the session
# keeps the time of the last real request; a background poll (the flowsheet's live fragment) is
# not activity. The session is saved only when that time changes, never on every request (a poll
# would restart the expiry), and it expires server-side after the same limit.
KETAPATH_IDLE_SECONDS = 60 * env_int("KETAPATH_SESSION_IDLE_MINUTES", 30, 5, 24 * 60)
SESSION_COOKIE_AGE = KETAPATH_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

HTTPS = env_bool("KETAPATH_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
# HSTS covers KetaPath's own host name. Extending it to every subdomain, or to the browsers' preload
# list, commits the whole domain to https for a year: a decision for the domain's owner, not for one
# application on it. Django's deployment check warns of both; `ketapath check` runs those checks.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# The TLS proxy in front of the server (nginx, Caddy, ...): only requests from this address may say
# they came in over https (X-Forwarded-Proto) and from which client (X-Forwarded-For). `ketapath
# serve` hands it to Waitress, which drops those headers from anyone else.
TRUSTED_PROXY = env_ip_address("KETAPATH_TRUSTED_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Content-security policy: scripts and styles only from this server, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# `ketapath serve` and `ketapath demo` collect the static files here before listening (see
# ketapath.web.static_files); another WSGI server needs `ketapath manage collectstatic` once.
STATIC_ROOT = env_str("STATIC_ROOT") or str(DATA_DIR / "static")
# Documents attached to charts (ketapath.documents): a folder outside the web root that no URL maps
# (there is no MEDIA_URL); a file is served only by its chart's view, which writes the access log.
# Back it up with the database (README, "Backups").
KETAPATH_DOCUMENTS_DIR = Path(env_str("KETAPATH_DOCUMENTS_DIR") or DATA_DIR / "documents").expanduser()
KETAPATH_DOCUMENTS_DIR = KETAPATH_DOCUMENTS_DIR.resolve()
if KETAPATH_DOCUMENTS_DIR.is_relative_to(Path(STATIC_ROOT).expanduser().resolve()):
    raise SettingError("KETAPATH_DOCUMENTS_DIR must not lie inside STATIC_ROOT (anyone could fetch it).")
# The largest document accepted (default 20 MiB; the database refuses more than 100 MiB). A larger
# file is refused at the form with this limit named; the TLS proxy's body limit must be larger.
KETAPATH_DOCUMENT_MAX_BYTES = env_int("KETAPATH_DOCUMENT_MAX_BYTES", 20 * 2**20, 1024, 100 * 2**20)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Plotly's minified bundle from the installed package (no CDN), and nothing else of it.
    "ketapath.web.static_files.PlotlyFinder",
]
# Hashed names with gzip and brotli copies: WhiteNoise sends them compressed, with a far-future
# "immutable" cache header, so a phone fetches Plotly's bundle once per upgrade.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "ketapath.web.static_files.StaticStorage"},
}
# In development (DEBUG) files come straight from the packages, re-read as they change.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "KetaPath <no-reply@localhost>")
# SMTP, when EMAIL_BACKEND is django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25, 1, 65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds before an SMTP connection gives up: a slow mail server never holds a patient's page.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, 1, 300)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise SettingError("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true.")
# The address users open KetaPath at: absolute links in e-mails (an urgent alert's sign-in link).
KETAPATH_SITE_URL = (env_str("KETAPATH_SITE_URL", "") or "http://localhost:8000").rstrip("/")
if not KETAPATH_SITE_URL.startswith(("http://", "https://")):
    raise SettingError(f"KETAPATH_SITE_URL={KETAPATH_SITE_URL!r} must start with http:// or https://.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_on_one_line": {"()": "ketapath.accounts.log_filters.ForbiddenOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["forbidden_on_one_line"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
