"""Django settings for groupguard: every value comes from the environment (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from groupguard.core.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("GROUPGUARD_DATA_DIR", "var")).resolve()

DEBUG = env_bool("GROUPGUARD_DEBUG", False)
DEMO_MODE = env_bool("GROUPGUARD_DEMO", False)


def _secret_key() -> str:
    key = env_secret("GROUPGUARD_SECRET_KEY")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("GROUPGUARD_SECRET_KEY must be at least 50 characters")
        return key
    # No key configured: keep a generated one beside the data, like the encryption key file.
    path = DATA_DIR / "keys" / "secret_key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("GROUPGUARD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("GROUPGUARD_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "groupguard.core",
    "groupguard.accounts",
    "groupguard.practice",
    "groupguard.agreements",
    "groupguard.contacts",
    "groupguard.disclosures",
    "groupguard.evidence",
    "groupguard.audit",
    "groupguard.web",
    "groupguard.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "groupguard.web.middleware.SessionTouchMiddleware",
    "groupguard.audit.middleware.RequestContextMiddleware",
    "groupguard.web.middleware.PracticeTimezoneMiddleware",
    "groupguard.web.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "groupguard.urls"
WSGI_APPLICATION = "groupguard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "groupguard.web.context.site",
            ],
        },
    }
]


def _database(url: str) -> dict[str, object]:
    """SQLite under the data directory by default; PostgreSQL when DATABASE_URL says so."""
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "groupguard.sqlite3"),
            "OPTIONS": {
                # Writes take the lock when the transaction starts, so two writers never
                # deadlock upgrading read locks; busy_timeout lets them queue instead of failing.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgresql:// (got scheme {parts.scheme!r}); "
            "leave it unset for SQLite"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured(
            "DATABASE_URL must name a database, e.g. postgresql://host/groupguard"
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": env_int("GROUPGUARD_DB_CONN_MAX_AGE", 60, minimum=0),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {},
    }


DATABASES = {"default": _database(env_secret("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["groupguard.accounts.backends.PracticeBackend"]
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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env_int("GROUPGUARD_SESSION_IDLE_SECONDS", 15 * 60, minimum=60)
# The idle timer restarts with activity (at most once a minute: web.middleware.SessionTouch).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE = env_bool("GROUPGUARD_SECURE", not DEBUG and not DEMO_MODE)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env_bool("GROUPGUARD_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("GROUPGUARD_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

GROUPGUARD_ENCRYPTION_KEYS = env_secret("GROUPGUARD_ENCRYPTION_KEYS")
GROUPGUARD_ENCRYPTION_KEYS_FILE = Path(
    env_str("GROUPGUARD_ENCRYPTION_KEYS_FILE", str(DATA_DIR / "keys" / "encryption.json"))
)
GROUPGUARD_AUDIT_KEY_FILE = Path(
    env_str("GROUPGUARD_AUDIT_KEY_FILE", str(DATA_DIR / "keys" / "audit-ed25519.pem"))
)
GROUPGUARD_AUDIT_ORIGIN = env_str("GROUPGUARD_AUDIT_ORIGIN", "groupguard")
GROUPGUARD_CHECKPOINT_EVERY = env_int("GROUPGUARD_CHECKPOINT_EVERY", 1000, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("GROUPGUARD_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
