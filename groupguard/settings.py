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
    # Two-step sign-in (accounts.mfa): authenticator apps and recovery codes. Before accounts,
    # whose admin replaces theirs.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "groupguard.accounts",
    "groupguard.practice",
    "groupguard.agreements",
    "groupguard.contacts",
    "groupguard.disclosures",
    "groupguard.evidence",
    "groupguard.audit",
    "groupguard.web",
    "groupguard.cli",
    "groupguard.lockout",
    "groupguard.passkeys",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN (CSP)
]

MIDDLEWARE = [
    "groupguard.web.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "groupguard.web.security.LoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "groupguard.accounts.middleware.SessionLimitsMiddleware",
    "groupguard.accounts.middleware.MfaRequiredMiddleware",
    "groupguard.audit.middleware.RequestContextMiddleware",
    "groupguard.web.middleware.PracticeTimezoneMiddleware",
    "groupguard.web.middleware.NoStoreMiddleware",
    "groupguard.web.middleware.OperatorAdminMiddleware",
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
        # Behind PgBouncer in transaction mode a server-side cursor (Django's .iterator()
        # outside a transaction) cannot live: fetch results whole instead (docs/scaling.md).
        "DISABLE_SERVER_SIDE_CURSORS": env_bool("GROUPGUARD_DB_TRANSACTION_POOLING", False),
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
# 12 to 128 characters of any kind, not a common or breached password, not like the user's
# names (ASVS 5.0 V6.2): no composition rules, so Django's all-digits rule is left out on
# purpose.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {
        "NAME": "groupguard.accounts.passwords.MaximumLengthValidator",
        "OPTIONS": {"max_length": 128},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Breached passwords of 12+ characters beyond Django's common list, shipped with the code
    # (ASVS 5.0 V6.2.12; groupguard/accounts/data/README.md says where the list comes from).
    {"NAME": "groupguard.accounts.passwords.BreachedPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# The second step of sign-in (accounts.mfa): the issuer names groupguard in the user's app.
OTP_TOTP_ISSUER = env_str("GROUPGUARD_TOTP_ISSUER", "groupguard")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# A sign-in ends after IDLE seconds without activity and ABSOLUTE seconds after the password,
# whatever the activity (accounts.sessions; the page warns two minutes before the idle limit).
SESSION_COOKIE_AGE = env_int("GROUPGUARD_SESSION_IDLE_SECONDS", 15 * 60, minimum=60)
GROUPGUARD_SESSION_ABSOLUTE_SECONDS = env_int(
    "GROUPGUARD_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60, minimum=300
)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE = env_bool("GROUPGUARD_SECURE", not DEBUG and not DEMO_MODE)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
# Pages take the CSRF token from the template (htmx sends it as a header), never the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# A reverse proxy terminates TLS: trust its X-Forwarded-Proto, and take the client's address
# from the last X-Forwarded-For entry (audit.middleware.client_ip). Without it both headers
# are the client's word and are ignored.
GROUPGUARD_BEHIND_PROXY = env_bool("GROUPGUARD_BEHIND_PROXY", False)
if GROUPGUARD_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Only behind a proxy can the app tell a plain-HTTP request from an HTTPS one; without it a
# redirect would loop. The health check stays reachable over plain HTTP for load balancers.
SECURE_SSL_REDIRECT = env_bool("GROUPGUARD_SSL_REDIRECT", SECURE and GROUPGUARD_BEHIND_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
# includeSubDomains and preload bind every other host of the domain too (preload, through the
# browsers' built-in list, for months after it is turned off): the operator opts in. Django's
# deploy check would flag each one left off, so a deliberate "off" silences that warning only.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GROUPGUARD_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("GROUPGUARD_HSTS_PRELOAD", False)
if SECURE_HSTS_PRELOAD and not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    raise ImproperlyConfigured(
        "GROUPGUARD_HSTS_PRELOAD=1 needs GROUPGUARD_HSTS_INCLUDE_SUBDOMAINS=1 "
        "(the browsers' preload list requires includeSubDomains)"
    )
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy and Permissions-Policy: groupguard.web.security.

# Failed sign-ins (groupguard.lockout): a user name is locked out from one address after
# CLIENT failures, and from everywhere after ACCOUNT failures, within MINUTES. Never by
# address alone: a shared office address cannot lock everyone out.
GROUPGUARD_LOCKOUT_CLIENT_FAILURES = env_int("GROUPGUARD_LOCKOUT_CLIENT_FAILURES", 5, minimum=1)
GROUPGUARD_LOCKOUT_ACCOUNT_FAILURES = env_int("GROUPGUARD_LOCKOUT_ACCOUNT_FAILURES", 20, minimum=1)
GROUPGUARD_LOCKOUT_MINUTES = env_int("GROUPGUARD_LOCKOUT_MINUTES", 15, minimum=1)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Collected (and compressed) static files; several servers or test runs may share one copy.
STATIC_ROOT = Path(env_str("GROUPGUARD_STATIC_ROOT", str(DATA_DIR / "static"))).resolve()
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
# Passkeys (groupguard.passkeys): the WebAuthn relying-party id (the site's domain, which a
# passkey is bound to) and the origin its pages are served from. Unset, both come from each
# request's host (already checked against ALLOWED_HOSTS), right for development and tests; a
# production server names them, so a passkey does not depend on the address someone typed.
GROUPGUARD_WEBAUTHN_RP_ID = env_str("GROUPGUARD_WEBAUTHN_RP_ID", "")
GROUPGUARD_WEBAUTHN_ORIGIN = env_str("GROUPGUARD_WEBAUTHN_ORIGIN", "")
# Emergency access (practice.models.breakglass): how long a clinician's grant to open a member
# outside their groups lasts.
GROUPGUARD_BREAK_GLASS_MINUTES = env_int("GROUPGUARD_BREAK_GLASS_MINUTES", 60, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("GROUPGUARD_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
