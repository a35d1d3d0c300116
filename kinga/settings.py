"""Kinga's one settings module: everything comes from the environment.

Defaults are safe for development: SQLite under var/, DEBUG off, keys made on
first run under var/. Production (KINGA_ENV=production) refuses to start while
a secret, a key or the allowed hosts are missing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

from kinga.lib.env import (
    ConfigurationError,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
)

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("KINGA_VAR_DIR", str(BASE_DIR / "var")))

KINGA_ENV = env_str("KINGA_ENV", "development")
if KINGA_ENV not in {"development", "demo", "production"}:
    raise ConfigurationError(
        f"KINGA_ENV must be development, demo or production, not {KINGA_ENV!r}"
    )
PRODUCTION = KINGA_ENV == "production"
DEMO_MODE = KINGA_ENV == "demo"

DEBUG = env_bool("KINGA_DEBUG", False)


def _local_secret(file_name: str, make: Any) -> str:
    """Return a development secret kept under var/, making it on first use."""
    path = VAR_DIR / file_name
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _new_data_key() -> str:
    return f"k{secrets.token_hex(4)}:{secrets.token_urlsafe(32)}"


def _new_audit_key() -> str:
    return f"a{secrets.token_hex(4)}:{secrets.token_urlsafe(32)}"


def _new_backup_key() -> str:
    return f"b{secrets.token_hex(4)}:{secrets.token_urlsafe(32)}"


def _new_collect_key() -> str:
    from kinga.collect.encryption import new_private_key_pem

    return new_private_key_pem()


_missing: list[str] = []

SECRET_KEY = env_secret("KINGA_SECRET_KEY")
# Data keys: "id:base64key,id:base64key" — the first encrypts, all decrypt.
KINGA_DATA_KEYS = env_secret("KINGA_DATA_KEYS")
# The key of blind indexes and search tokens; it is never rotated with the data keys.
KINGA_INDEX_KEY = env_secret("KINGA_INDEX_KEY")
# Audit keys: "id:base64key,id:base64key" (HMAC keys of at least 32 bytes) that key the audit
# chain and sign its checkpoints; the first keys new ones, all verify. Held like the data keys,
# never in the database: someone who can write the database but lacks them cannot rewrite the
# log undetected (kinga/audit/keys.py).
KINGA_AUDIT_KEYS = env_secret("KINGA_AUDIT_KEYS")
# Backup keys: "id:base64key,..." (32 bytes each) that seal `kinga backup` archives; the first
# seals, all open. Never a data, index or audit key (kinga/lib/backup.py refuses one).
KINGA_BACKUP_KEYS = env_secret("KINGA_BACKUP_KEYS")
# Field collection's RSA private keys (PEM, the current one first): the forms carry the
# current public key, so ODK Collect encrypts each submission on the phone (kinga.collect).
KINGA_COLLECT_KEYS = env_secret("KINGA_COLLECT_KEYS")
ALLOWED_HOSTS = env_list("KINGA_ALLOWED_HOSTS")

if PRODUCTION:
    for name, value in (
        ("KINGA_SECRET_KEY", SECRET_KEY),
        ("KINGA_DATA_KEYS", KINGA_DATA_KEYS),
        ("KINGA_INDEX_KEY", KINGA_INDEX_KEY),
        ("KINGA_AUDIT_KEYS", KINGA_AUDIT_KEYS),
        # a deployment that cannot seal a backup cannot take one: the day the disk dies,
        # an archive nobody could make is no archive (issue 21)
        ("KINGA_BACKUP_KEYS", KINGA_BACKUP_KEYS),
        ("KINGA_ALLOWED_HOSTS", ",".join(ALLOWED_HOSTS)),
    ):
        if not value:
            _missing.append(name)
    if _missing:
        raise ConfigurationError(
            "Production refuses to start without: " + ", ".join(_missing) + " (see .env.example)"
        )
    if DEBUG:
        raise ConfigurationError("KINGA_DEBUG must be off in production")
else:
    SECRET_KEY = SECRET_KEY or _local_secret("secret_key", lambda: secrets.token_urlsafe(50))
    KINGA_DATA_KEYS = KINGA_DATA_KEYS or _local_secret("data_keys", _new_data_key)
    KINGA_INDEX_KEY = KINGA_INDEX_KEY or _local_secret(
        "index_key", lambda: secrets.token_urlsafe(32)
    )
    KINGA_AUDIT_KEYS = KINGA_AUDIT_KEYS or _local_secret("audit_keys", _new_audit_key)
    KINGA_BACKUP_KEYS = KINGA_BACKUP_KEYS or _local_secret("backup_keys", _new_backup_key)
    KINGA_COLLECT_KEYS = KINGA_COLLECT_KEYS or _local_secret("collect_keys.pem", _new_collect_key)
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-otp's Device base, middleware and TOTP arithmetic; its TOTP and static-token
    # plugins are not installed: they keep secrets and backup codes in clear, so
    # kinga.accounts has its own devices (Authenticator, BackupCodes).
    "django_otp",
    "kinga.audit",
    "kinga.accounts",
    "kinga.places",
    "kinga.access",
    "kinga.notifications",
    "kinga.tasks",
    "kinga.messaging",
    "kinga.intake",
    "kinga.people",
    "kinga.directory",
    "kinga.referrals",
    "kinga.cases",
    "kinga.justice",
    "kinga.assist",
    "kinga.dataprotection",
    "kinga.training",
    "kinga.insights",
    "kinga.matching",
    "kinga.intel",
    "kinga.awareness",
    "kinga.collect",
    # django-ninja's templates and static files: the API's reference pages, no CDN.
    "ninja",
    "kinga.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kinga.lib.middleware.security_headers",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kinga.accounts.middleware.keep_post_after_expiry",
    "kinga.accounts.middleware.require_two_factor",
    "kinga.audit.middleware.audit_context",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The public channels (gateway callbacks under /channels/, the anonymous form under /report/)
# carry no cookies, sessions or users: kinga.wsgi serves them through this lean stack. The
# callbacks check their own key; the form its one-time submission token. The headers are
# those of every other page (CommonMiddleware adds Content-Length, so a gateway can close
# as soon as it has read the screen).
KINGA_CHANNEL_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kinga.lib.middleware.security_headers",
    "django.middleware.common.CommonMiddleware",
    "kinga.audit.middleware.audit_context",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kinga.urls"
WSGI_APPLICATION = "kinga.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kinga.accounts.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another.
_database_url = env_str("DATABASE_URL", "")
if _database_url:
    try:
        _database: dict[str, Any] = dict(dj_database_url.parse(_database_url))
    except Exception as error:  # the parser raises several kinds; all mean the same here
        raise ConfigurationError(
            f"DATABASE_URL is not a database URL Kinga understands ({error}); "
            "use sqlite:///path/to/file.sqlite3 or postgres://user:password@host:port/name"
        ) from None
    if _database.get("ENGINE") not in {
        "django.db.backends.sqlite3",
        "django.db.backends.postgresql",
    }:
        raise ConfigurationError(
            "DATABASE_URL must name SQLite (sqlite:///...) or PostgreSQL (postgres://...)"
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "kinga.sqlite3"),
    }

if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["OPTIONS"] = {
        # Readers never wait for the writer, and a writer waits its turn instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": env_int("KINGA_SQLITE_TIMEOUT", 20),
        # Take the write lock at the start of a transaction, so two writers never both read
        # the head of the audit chain and then collide.
        "transaction_mode": "IMMEDIATE",
    }
    _database["CONN_MAX_AGE"] = env_int("KINGA_CONN_MAX_AGE", 60)
    # A file (not memory), so tests can read its raw bytes and run threads; one per process,
    # so two test runs on one machine never share it.
    _database["TEST"] = {"NAME": str(VAR_DIR / f"test-kinga-{os.getpid()}.sqlite3")}
else:
    _database["CONN_MAX_AGE"] = env_int("KINGA_CONN_MAX_AGE", 60)
    # Off by default, as in Django: a check costs a round trip on every request; without it a
    # connection broken by a database restart fails one request per worker, then reconnects.
    _database["CONN_HEALTH_CHECKS"] = env_bool("KINGA_CONN_HEALTH_CHECKS", False)
    # Values travel apart from the statement (the extended protocol), as the driver does by
    # itself, instead of being quoted into its text by Django; psycopg can prepare only such
    # statements (see `prepare_threshold` below and BENCHMARKS.md).
    _database.setdefault("OPTIONS", {})["server_side_binding"] = env_bool(
        "KINGA_PG_SERVER_SIDE_BINDING", True
    )
    # A statement run this many times on one connection is prepared on the server, which then
    # stops parsing and planning it (every USSD screen's, every audit event's); 0: never, for
    # a connection pooler that cannot keep prepared statements (PgBouncer before 1.21).
    _prepare_after = env_int("KINGA_PG_PREPARE_THRESHOLD", 5)
    _database["OPTIONS"]["prepare_threshold"] = _prepare_after if _prepare_after > 0 else None
    # PostgreSQL's JIT compiles a statement the planner guesses costly before running it:
    # a dashboard's count over a year of a million reports paid 30-40 ms of compiling to run
    # for 20 ms (BENCHMARKS.md, issue 17). Kinga's statements are short: off unless asked.
    if not env_bool("KINGA_PG_JIT", False):
        _database["OPTIONS"]["options"] = "-c jit=off"
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in throttling, never lockout (an attacker must not be able to keep the on-call
# officer out). Failures without a device cookie are counted per account and per address;
# past the free ones, each further failure doubles the wait, up to the cap. A browser that
# has fully signed in to an account carries a device cookie for it, and is held only by the
# failures made with that cookie. Failures older than the window are forgotten.
KINGA_SIGNIN_ACCOUNT_FREE_FAILURES = env_int("KINGA_SIGNIN_ACCOUNT_FREE_FAILURES", 5)
KINGA_SIGNIN_ADDRESS_FREE_FAILURES = env_int("KINGA_SIGNIN_ADDRESS_FREE_FAILURES", 20)
KINGA_SIGNIN_DEVICE_FREE_FAILURES = env_int("KINGA_SIGNIN_DEVICE_FREE_FAILURES", 5)
KINGA_SIGNIN_FIRST_DELAY_SECONDS = env_int("KINGA_SIGNIN_FIRST_DELAY_SECONDS", 30)
KINGA_SIGNIN_MAX_DELAY_MINUTES = env_int("KINGA_SIGNIN_MAX_DELAY_MINUTES", 15)
KINGA_SIGNIN_WINDOW_MINUTES = env_int("KINGA_SIGNIN_WINDOW_MINUTES", 24 * 60)
KINGA_DEVICE_COOKIE_DAYS = env_int("KINGA_DEVICE_COOKIE_DAYS", 90)

# Sessions expire after a short idle time, and with the browser.
SESSION_COOKIE_AGE = env_int("KINGA_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "kinga_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("KINGA_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("KINGA_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KINGA_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("KINGA_HSTS_PRELOAD", True)
    if env_bool("KINGA_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("KINGA_CSRF_TRUSTED_ORIGINS")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sw", _("Kiswahili"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Africa/Nairobi"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("KINGA_MAX_REQUEST_BYTES", 256 * 1024)

# Outgoing SMS: console (prints), file (writes JSON lines, for tests), africastalking.
KINGA_SMS_BACKEND = env_str("KINGA_SMS_BACKEND", "console")
KINGA_SMS_FILE_DIR = env_str("KINGA_SMS_FILE_DIR", str(VAR_DIR / "sms"))
KINGA_AT_USERNAME = env_str("KINGA_AT_USERNAME", "sandbox")
KINGA_AT_API_KEY = env_secret("KINGA_AT_API_KEY")
KINGA_AT_SENDER_ID = env_str("KINGA_AT_SENDER_ID", "")
KINGA_AT_CALLBACK_KEY = env_secret("KINGA_AT_CALLBACK_KEY")
KINGA_AT_ALLOWED_IPS = env_list("KINGA_AT_ALLOWED_IPS")
# Outgoing webhooks of the open API (kinga.api.webhooks): http (production: https only, never
# a private address), file (writes JSON lines, for development and tests), console (prints).
KINGA_WEBHOOK_BACKEND = env_str("KINGA_WEBHOOK_BACKEND", "http" if PRODUCTION else "file")
KINGA_WEBHOOK_FILE_DIR = env_str("KINGA_WEBHOOK_FILE_DIR", str(VAR_DIR / "webhooks"))
if PRODUCTION and KINGA_SMS_BACKEND == "africastalking":
    for name, value in (
        ("KINGA_AT_API_KEY", KINGA_AT_API_KEY),
        ("KINGA_AT_CALLBACK_KEY", KINGA_AT_CALLBACK_KEY),
    ):
        if not value:
            raise ConfigurationError(f"Production refuses to start without: {name}")
if not PRODUCTION and not KINGA_AT_CALLBACK_KEY:
    KINGA_AT_CALLBACK_KEY = "development-callback-key"

# Email for notifications (console in development).
EMAIL_BACKEND = env_str("KINGA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("KINGA_FROM_EMAIL", "kinga@localhost")

# Signed checkpoints of the audit chain's head: one append-only file in this directory, which
# must live where the database's user cannot write (another OS user, `chattr +a`, or shipped
# off-host). The worker appends one every this many minutes when the head has moved;
# `kinga audit verify` expects them once events are older than twice that.
# By default one directory per database (a chain's checkpoints belong to its database: a
# developer who starts a fresh database must not meet the old one's checkpoints).
_database_identity = hashlib.sha256(
    "|".join(str(_database.get(part, "")) for part in ("ENGINE", "HOST", "PORT", "NAME")).encode()
).hexdigest()[:12]
KINGA_AUDIT_CHECKPOINT_DIR = env_str(
    "KINGA_AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints" / _database_identity)
)
KINGA_AUDIT_CHECKPOINT_MINUTES = env_int("KINGA_AUDIT_CHECKPOINT_MINUTES", 5)
if KINGA_AUDIT_CHECKPOINT_MINUTES < 1:
    raise ConfigurationError("KINGA_AUDIT_CHECKPOINT_MINUTES must be at least 1")

# Backups (`kinga backup`, `kinga restore`; README "Backups"): with KINGA_BACKUP_DIR set the
# worker writes an encrypted archive there every KINGA_BACKUP_EVERY_HOURS and keeps the newest
# KINGA_BACKUP_KEEP. KINGA_PG_BIN_DIR names where pg_dump and pg_restore are, when not found.
KINGA_BACKUP_DIR = env_str("KINGA_BACKUP_DIR", "")
KINGA_BACKUP_EVERY_HOURS = env_int("KINGA_BACKUP_EVERY_HOURS", 24)
KINGA_BACKUP_KEEP = env_int("KINGA_BACKUP_KEEP", 7)
KINGA_PG_BIN_DIR = env_str("KINGA_PG_BIN_DIR", "")
if KINGA_BACKUP_EVERY_HOURS < 1 or KINGA_BACKUP_KEEP < 1:
    raise ConfigurationError("KINGA_BACKUP_EVERY_HOURS and KINGA_BACKUP_KEEP must be at least 1")

# Break-glass grants last this long.
KINGA_BREAK_GLASS_HOURS = env_int("KINGA_BREAK_GLASS_HOURS", 4)
# Usernames of the programme's designated break-glass reviewers (active supervisors): they
# are told of, and review, every break-glass that no supervisor of the matter or of the
# user's agency can. Production refuses to start without them.
KINGA_BREAK_GLASS_REVIEWERS = env_list("KINGA_BREAK_GLASS_REVIEWERS")
if DEMO_MODE and not KINGA_BREAK_GLASS_REVIEWERS:
    KINGA_BREAK_GLASS_REVIEWERS = ["supervisor"]  # the demo's supervisor account
if PRODUCTION and not KINGA_BREAK_GLASS_REVIEWERS:
    raise ConfigurationError(
        "Production refuses to start without: KINGA_BREAK_GLASS_REVIEWERS (see .env.example)"
    )
# Links in notifications, staff SMS and emails start with this address (the scheme and host
# people reach Kinga at, no path): never a host or port written in the code. Required in
# production; in development the address `kinga serve` and `kinga demo` use.
KINGA_BASE_URL = env_str("KINGA_BASE_URL", "" if PRODUCTION else "http://127.0.0.1:8000")
if PRODUCTION and not KINGA_BASE_URL:
    raise ConfigurationError(
        "Production refuses to start without: KINGA_BASE_URL (see .env.example)"
    )
if not KINGA_BASE_URL.startswith(("http://", "https://")) or "/" in (
    KINGA_BASE_URL.split("://", 1)[1].rstrip("/")
):
    raise ConfigurationError(
        f"KINGA_BASE_URL must be like https://kinga.example.org, not {KINGA_BASE_URL!r}"
    )
# Public reporting limits per client address: "hits/seconds".
KINGA_REPORT_RATE_LIMIT = env_str("KINGA_REPORT_RATE_LIMIT", "10/3600")
KINGA_FOLLOW_UP_RATE_LIMIT = env_str("KINGA_FOLLOW_UP_RATE_LIMIT", "20/3600")
# A public report form's submission token is accepted for this many hours after it is issued.
KINGA_REPORT_FORM_HOURS = env_int("KINGA_REPORT_FORM_HOURS", 6)
# Largest body a gateway callback may send.
KINGA_CHANNEL_MAX_BYTES = env_int("KINGA_CHANNEL_MAX_BYTES", 8192)
# The largest submission request ODK Collect may send (X-OpenRosa-Accept-Content-Length):
# Collect splits a submission with larger attachments over several requests.
KINGA_COLLECT_MAX_BYTES = env_int("KINGA_COLLECT_MAX_BYTES", 10_000_000)
# Submission requests one phone's token may make: a stolen token cannot flood triage, and a
# phone over the limit is answered 429 and sends again later (nothing is lost).
KINGA_COLLECT_RATE_LIMIT = env_str("KINGA_COLLECT_RATE_LIMIT", "600/3600")

# Justice: court dates are reminded this many days ahead to everyone who must attend, and a
# child's case is flagged once its hearings have been adjourned more than this many times.
KINGA_COURT_REMINDER_DAYS = env_int("KINGA_COURT_REMINDER_DAYS", 3)
KINGA_ADJOURNMENT_WARNING = env_int("KINGA_ADJOURNMENT_WARNING", 3)

# Insights: a count below k is never shown (k = 5 inside the programme, per deployment);
# anything published (the CTDC-shaped export) needs every combination shared by 11 or more.
KINGA_INSIGHTS_K = env_int("KINGA_INSIGHTS_K", 5)
KINGA_INSIGHTS_PUBLISHED_K = env_int("KINGA_INSIGHTS_PUBLISHED_K", 11)
# How often the worker rebuilds the report paths the dashboards count (insights.refresh_paths)
KINGA_INSIGHTS_REFRESH_MINUTES = env_int("KINGA_INSIGHTS_REFRESH_MINUTES", 15)
# A child in danger is reached in time when an alert is acknowledged within these minutes
KINGA_INSIGHTS_ALERT_TARGET_MINUTES = env_int("KINGA_INSIGHTS_ALERT_TARGET_MINUTES", 60)
# How long a row-level export the worker built stays downloadable before its file is deleted
KINGA_INSIGHTS_EXPORT_HOURS = env_int("KINGA_INSIGHTS_EXPORT_HOURS", 24)

# Every handler redacts the gateway's callback key from what it writes (a request line may
# carry it as `?key=`); the development server's request log goes through the same handler.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_callback_key": {"()": "kinga.lib.redaction.RedactCallbackKey"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_callback_key"]}},
    "root": {"handlers": ["console"], "level": env_str("KINGA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
