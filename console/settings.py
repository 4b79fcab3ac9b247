"""Settings for Partner Console: one module, driven by environment variables.

Development (`make run`) needs no variables: DEBUG is on, the database is an embedded SQLite file
and the signing key a generated file, both under `var/`, e-mail goes to the console and the cache
is local memory. Production sets at least DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL
(PostgreSQL), REDIS_URL and EMAIL_URL, and leaves DJANGO_DEBUG unset; `manage.py check --deploy`
then passes.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP

from console.development_key import development_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
# Development state: the embedded SQLite database and the development signing key (git-ignored).
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
TESTING = env.bool("DJANGO_TESTING", default=False)

# No key lives in the repository; production must provide its own. Development generates one into
# var/ once, so that a client secret printed by one command verifies in the server and a reload
# keeps everyone signed in. Tests get a random one per process and never touch a developer's file.
# Keys are read without django-environ, which would take a value starting with "$" for a reference.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if TESTING:
        SECRET_KEY = get_random_secret_key()
    elif DEBUG:
        SECRET_KEY = development_secret_key(VAR_DIR / "secret_key")
    else:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development).")

# Client secrets and other long random credentials are hashed with HMAC-SHA256 under this key
# (ADR 0003). It defaults to SECRET_KEY; set it separately so SECRET_KEY can rotate on its own.
CREDENTIAL_HASH_KEY = os.environ.get("CREDENTIAL_HASH_KEY") or SECRET_KEY

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG or TESTING else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The port `make run` serves on; the issuer and every URL the demo prints follow it.
PORT = os.environ.get("PORT") or "8000"
if not (PORT.isdigit() and 0 < int(PORT) < 65536):
    raise ImproperlyConfigured(f"PORT must be a TCP port number such as 8010, not {PORT!r}.")

# Public base URL of the authorization server: the OAuth issuer (RFC 8414, RFC 9207 `iss`).
OAUTH_ISSUER = env.str("OAUTH_ISSUER", default=f"http://127.0.0.1:{PORT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "django_tasks_db",
    "crontask",
    "scopes",
    "apps_registry",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Past here, only what people's pages need: the gate answers before it (ADR 0015).
    "console.middleware.GateShortcutMiddleware",
    "console.middleware.RejectMalformedQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session's middleware: the WAL position it records follows the session's save.
    "core.replica_pages.ReadYourWritesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "console.middleware.StaffMFAMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.navigation.site_nav",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------

EMBEDDED_DATABASE = VAR_DIR / "console.sqlite3"
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{EMBEDDED_DATABASE}")}
if DATABASES["default"]["NAME"] == str(EMBEDDED_DATABASE):
    # SQLite creates its file but not the directory, and a fresh clone has no var/ yet: without
    # it every manage.py command (even `makemigrations --check`) fails opening the database.
    VAR_DIR.mkdir(exist_ok=True)
# Production keeps each worker's connection for the next requests (opening one costs more than
# most requests; ADR 0016 measures it) and checks it before reusing it, so a connection the
# database or a proxy dropped is replaced instead of failing a request. Development's threaded
# server and the tests open one per request, as Django does by default.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "DJANGO_CONN_MAX_AGE", default=0 if DEBUG or TESTING else 600
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` shares the file between the web server, the workers and the scheduler. WAL lets
    # readers go on while one process writes; IMMEDIATE takes the write lock when a transaction
    # begins, so a writer waits its turn (up to `timeout` seconds) instead of failing halfway with
    # "database is locked" when two transactions that read first both try to write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
# Optional: a streaming replica of the PostgreSQL primary (docs/operations.md, "Read replica"; ADR
# 0026). Only the reads core/replica.py allows go there, and only once the replica has replayed
# what the reader must see; unset, every query goes to "default".
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL.")
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL) | {
        key: DATABASES["default"][key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")
    }
    # A replica that does not answer is skipped for the primary: better soon than after the
    # operating system's TCP timeout.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Django's test mirror: no test database is made for "replica", which names the primary's.
    # Tests point it at the primary itself, where a test's uncommitted rows are: core/replica.py
    # then reads "default" only, without a query; tests/replica/ start a real replica instead.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if TESTING:
        DATABASES["replica"] |= {
            key: DATABASES["default"][key] for key in ("HOST", "PORT", "USER", "PASSWORD")
        }
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        # Django's Redis backend, reusing its redis-py client (console/cache.py).
        "default": {"BACKEND": "console.cache.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts (django-allauth) ----------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# User passwords stay on Django's slow default; the HMAC hasher is listed only so that
# check_password can verify client secrets that DOT hashed with it (ADR 0003).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "apps_registry.hashers.CredentialHasher",
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "console.adapters.AccountAdapter"
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# E-mail is the login: people are named by full name or address, never by the username allauth
# fills in; subjects carry no "[site]" prefix (apps_registry/mail.py, docs/wording.md).
ACCOUNT_USER_DISPLAY = "apps_registry.people.display_name"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Security notifications: a changed password or address, an authenticator app activated or removed,
# new recovery codes. Whoever holds an owner's password can enrol their own authenticator and then
# pass the second-factor check for client secrets (ADR 0018); this email is how the owner hears.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# allauth distrusts X-Forwarded-For unless told how many proxies stand in front (its rate limits
# key on the client IP). Production behind one proxy sets this to 1.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
# Failed logins (ADR 0009). `login_failed`'s "key" is one account from one address (the adapter
# adds the address), so a stranger failing on purpose locks out only their own address; the
# account as a whole locks only at the higher `login_failed_account` ceiling.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,5/5m/key"),
    "login_failed_account": env.str("LOGIN_FAILED_ACCOUNT_RATE_LIMIT", default="30/5m/key"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Partner Console"

# --- E-mail -------------------------------------------------------------------------------------

# EMAIL_URL, e.g. smtp+tls://user:pw@smtp.example.com:587; development prints to the console.
_email = env.email_url("EMAIL_URL", default="consolemail://")
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {key: value for key, value in _smtp_options.items() if value}
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Partner Console <no-reply@console.test>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- OAuth 2.0 (django-oauth-toolkit) -----------------------------------------------------------

OAUTH2_PROVIDER_APPLICATION_MODEL = "apps_registry.PartnerApp"
OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    # http is allowed for loopback redirect URIs only, by PartnerApp.get_allowed_schemes (RFC 8252).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": env.int("OAUTH_CODE_LIFETIME_SECONDS", default=300),
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_LIFETIME_SECONDS", default=4 * 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int(
        "OAUTH_REFRESH_TOKEN_IDLE_SECONDS", default=int(timedelta(days=30).total_seconds())
    ),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # The daily clean-up (apps_registry/tasks.py) deletes expired and revoked tokens in batches
    # this size, pausing between them, so it never holds the token tables for long.
    "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": 1000,
    "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0.1,
    "CLIENT_SECRET_HASHER": "hmac_sha256",
    "DEFAULT_SCOPES": [],
    "SCOPES": {},
    "SCOPES_BACKEND_CLASS": "apps_registry.oauth_scopes.CatalogScopes",
    "OAUTH2_VALIDATOR_CLASS": "apps_registry.oauth_validators.ConsoleOAuth2Validator",
    # The issuer in metadata and in every authorization response's `iss` (RFC 8414, RFC 9207).
    "OIDC_ISS_ENDPOINT": OAUTH_ISSUER,
    # Discovery advertises only what partner apps can use (docs/security.md F3).
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}

# Failed client authentications at the token, revocation and introspection endpoints (ADR
# 0009): per client_id from one client address, and per address whatever the client_id. Past
# either limit that address gets 429 with Retry-After until the window ends; other addresses
# with the right secret are never refused.
OAUTH_CLIENT_AUTH_FAILURE_LIMIT = env.int("OAUTH_CLIENT_AUTH_FAILURE_LIMIT", default=10)
OAUTH_CLIENT_AUTH_FAILURE_ADDRESS_LIMIT = env.int(
    "OAUTH_CLIENT_AUTH_FAILURE_ADDRESS_LIMIT", default=20
)
OAUTH_CLIENT_AUTH_FAILURE_WINDOW_SECONDS = env.int(
    "OAUTH_CLIENT_AUTH_FAILURE_WINDOW_SECONDS", default=300
)

# --- REST API -----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "console.api.pagination.ValidatedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "console.api.schema.ConsoleAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API speaks JSON both ways (form bodies are for the pages), and refuses a body nested
    # deeper than any request needs with a 400 instead of a RecursionError.
    "DEFAULT_PARSER_CLASSES": ["console.api.parsers.JSONParser"],
    # One error body, {"code", "message", "fields"}, for every refusal (ADR 0013).
    "EXCEPTION_HANDLER": "console.api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Partner Console API",
    "DESCRIPTION": "Access scopes, the endpoints they unlock, partner apps and their applications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components, so a required text field says minLength 1.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status"; name each choice set after its model in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PartnerAppStatusEnum": "apps_registry.models.PartnerApp.Status",
        "AccessRequestStatusEnum": "apps_registry.models.AccessRequest.Status",
    },
}

# --- Internationalisation and static files ------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# Sentence case for the libraries' words too (allauth's "Sign In" reads "Sign in"): docs/wording.md.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True
# ISO dates and 24-hour times wherever no explicit format is given (console/formats/en).
FORMAT_MODULE_PATH = ["console.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Partners' uploads (app icons, applications' supporting files) go through the default storage
# and are served only by the console's own views, never from a media URL (ADR 0017). Tests write
# to a fresh temporary folder; production points DJANGO_MEDIA_ROOT at a persistent volume (or
# swaps the default storage for an object store).
MEDIA_ROOT = env.path(
    "DJANGO_MEDIA_ROOT",
    default=tempfile.mkdtemp(prefix="console-test-uploads-") if TESTING else VAR_DIR / "uploads",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Browser hardening ----------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Cross-origin requests (the redirect back to the app, the partner's privacy-policy link) carry
# no Referer, so the authorize URL's state never leaks. Not "no-referrer" (docs/security.md I3):
# with it Chromium sends `Origin: null` on the consent form's POST, which Django's CSRF check
# refuses.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF, "https:", "http:"],
    "frame-ancestors": [CSP.NONE],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if not (DEBUG or TESTING):
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Product settings ---------------------------------------------------------------------------

# The review target partners see as "expected decision by", in business days.
REVIEW_TARGET_BUSINESS_DAYS = env.int("REVIEW_TARGET_BUSINESS_DAYS", default=5)
APPROVAL_DEFAULT_DAYS = env.int("APPROVAL_DEFAULT_DAYS", default=365)
# When a Public scope becomes Custom, apps already using it keep it this long without applying.
CATALOG_TIGHTENING_GRACE_DAYS = env.int("CATALOG_TIGHTENING_GRACE_DAYS", default=90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"skip_gate_denials": {"()": "console.log_filters.SkipGateDenials"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        # Django's own default config gives "django" a console handler of its own in DEBUG; the
        # root's would then print every line a second time.
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"filters": ["skip_gate_denials"]},
        # The scheduler logs each job it starts (its lock's refresh every few seconds) at INFO;
        # what a periodic task did, the worker logs.
        "apscheduler": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# --- Background tasks and webhooks (ADR 0020) ---------------------------------------------------

# Django's Tasks framework. The default backend keeps tasks in the database (django-tasks-db):
# durable, no extra server; `manage.py db_worker` runs them and `manage.py crontask` enqueues the
# periodic ones. Tests run each task as it is enqueued. docs/operations.md says how to move to RQ.
# `enqueue_on_commit` (ours, read by apps_registry/mail.py) says whether a task started in a
# transaction must wait for its commit. Not with the database backend: the task row is written in
# that very transaction, so it commits or rolls back with it and, unlike an on-commit callback,
# survives a crash right after the commit. A backend on another server (RQ) must wait. The tests'
# backend runs a mail as it is queued, as their mail.outbox assertions expect.
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default", "webhooks"],
        "OPTIONS": {"enqueue_on_commit": False},
    }
}
# The daily clean-up deletes finished task results (successful or failed) and finished webhook
# deliveries, with their attempts, after this many days.
TASK_RESULT_RETENTION_DAYS = 14
WEBHOOK_DELIVERY_RETENTION_DAYS = 30
# Only one scheduler enqueues the periodic tasks when several run: they share a lock in Redis. Every
# periodic task is idempotent anyway, so two schedulers would send nothing twice.
CRONTASK = {"REDIS_URL": REDIS_URL or None}

# What the console must read back is encrypted at rest (core/encryption.py): webhook signing
# secrets and queued e-mails. ENCRYPTION_KEYS lists Fernet keys, newest first: the first encrypts,
# any decrypts, so a key rotates by putting a new one in front. Without it, a key derived from
# SECRET_KEY encrypts; keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS always decrypt.
ENCRYPTION_KEYS = env.list("ENCRYPTION_KEYS", default=[])
for _key in ENCRYPTION_KEYS:
    # A mistyped key would otherwise surface as a 500 on the first page that encrypts.
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "Each ENCRYPTION_KEYS entry must be a Fernet key (32 url-safe base64-encoded bytes): "
            "make one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        ) from None
# Receivers must be public https addresses. Development may also post to http on loopback (a
# receiver on the developer's machine); production never does (server-side request forgery).
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=DEBUG)
# Seconds to connect and to wait for the receiver's answer, per attempt.
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=3.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# After the first attempt, a failed delivery is tried again after each of these delays, then it is
# marked failed: about a day in all.
WEBHOOK_RETRY_DELAYS_SECONDS = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600]
# After a rotation, deliveries carry a signature with the previous secret too, for this long, so a
# receiver can switch secrets without dropping an event.
WEBHOOK_PREVIOUS_SECRET_HOURS = 24
