"""Settings, read from environment variables only (django-environ).

Development and tests run with no variable at all: the embedded PostgreSQL and Redis of
``iml.devservices`` are started. Production sets every variable (see docker-compose.yml).
"""

import datetime
from pathlib import Path

import environ
import pghistory
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# "production" makes every setting below mandatory and secure; "development" (the default)
# runs with no variable at all.
IML_ENV = env.str("IML_ENV", default="development")
PRODUCTION = IML_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
# With DEBUG, Django's technical error pages instead of the French ones (iml/errors.py).
DEBUG_TECHNICAL_PAGES = env.bool("DEBUG_TECHNICAL_PAGES", default=False)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-never-in-production")

if PRODUCTION:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_celery_beat",
    "django_countries",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "pgtrigger",
    "pghistory",
    "iml",
    "households",
    "housing",
    "tenancy",
    "support",
    "papers",
    "rehousing",
    "banking",
    "alerts",
    "reporting",
    "workbook",
    "privacy",
    "funders",
    "benchmarks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "iml.otp.CachedOTPMiddleware",
    # Who made a change, and from which page, recorded with each history row (pghistory).
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "iml.middleware.CurrentOrganisationMiddleware",
    # With DEBUG, the French error pages rather than Django's technical ones (inside the
    # organisation's context: the pages show the navigation).
    "iml.errors.FrenchErrorPagesMiddleware",
    # Last: it reads the outcome of the login view (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "iml.urls"
WSGI_APPLICATION = "iml.wsgi.application"

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
                "iml.context_processors.organisation",
                "alerts.context_processors.alert_badge",
            ],
        },
    },
]

# --- Services -------------------------------------------------------------------------------
# Without DATABASE_URL / REDIS_URL, development and tests start embedded servers; production
# must name its servers.
if not PRODUCTION and ("DATABASE_URL" not in env or "REDIS_URL" not in env):
    from iml import devservices

    if "DATABASE_URL" not in env:
        env.ENVIRON["DATABASE_URL"], env.ENVIRON["DATABASE_OWNER_URL"] = (
            devservices.ensure_postgres()
        )
    if "REDIS_URL" not in env:
        env.ENVIRON["REDIS_URL"] = devservices.ensure_redis()


def _database(url_variable: str) -> dict:
    config = env.db(url_variable)
    # A Unix-socket directory given as ?host=/path (libpq style) is the server's HOST.
    if "host" in config.get("OPTIONS", {}):
        config["HOST"] = config["OPTIONS"].pop("host")
    return config


# The application's role: owns no table, is neither superuser nor BYPASSRLS, so PostgreSQL's
# row-level security applies to every query (iml/rls.py). The transaction of each request
# is opened by iml.middleware (not ATOMIC_REQUESTS: the middleware's own queries need it).
DATABASES = {"default": _database("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_APP_ROLE = DATABASES["default"]["USER"]
# The owner's credentials, used only by `manage.py migrate` and to create test databases.
# Without DATABASE_OWNER_URL, one role does both (row-level security still applies: FORCE).
DATABASE_OWNER = (
    {k: v for k, v in _database("DATABASE_OWNER_URL").items() if k in ("USER", "PASSWORD")}
    if "DATABASE_OWNER_URL" in env
    else None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL")


def _kombu_url(url: str) -> str:
    """redis-py spells a Unix socket ``unix://path?db=N``; kombu wants ``redis+socket://``."""
    if url.startswith("unix://"):
        path, _, query = url.removeprefix("unix://").partition("?")
        db = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("db", "0")
        return f"redis+socket://{path}?virtual_host={db}"
    return url


CACHES = {
    "default": {
        "BACKEND": "iml.cache.Cache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "iml",
    }
}

# Costly aggregates (report figures, dashboard debts) cached under each organisation's data
# version (iml/dataversion.py). Tests turn it off, but for the tests of the cache itself.
IML_AGGREGATE_CACHE = env.bool("IML_AGGREGATE_CACHE", default=True)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = _kombu_url(REDIS_URL)
CELERY_RESULT_BACKEND = _kombu_url(REDIS_URL)
CELERY_TIMEZONE = "Europe/Paris"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="iml")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 3600
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The schedule is declared here, in code; django-celery-beat's scheduler installs it.
CELERY_BEAT_SCHEDULE = {
    "purge-expired-sessions": {
        "task": "iml.tasks.purge_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
    "purge-access-log": {
        "task": "iml.tasks.purge_access_log",
        "schedule": crontab(hour=3, minute=45),
    },
    "purge-funder-access-log": {
        "task": "funders.tasks.purge_funder_access",
        "schedule": crontab(hour=3, minute=47),
    },
    "purge-form-submissions": {
        "task": "iml.tasks.purge_form_submissions",
        "schedule": crontab(hour=3, minute=50),
    },
    "purge-workbook-uploads": {
        "task": "workbook.tasks.purge_uploads",
        "schedule": crontab(minute="*/15"),
    },
    "sweep-orphan-paper-files": {
        "task": "papers.tasks.sweep_orphan_files",
        "schedule": crontab(hour=4, minute=30),
    },
    # A bank statement upload no worker picked up fails after BANKING_IMPORT_TIMEOUT_MINUTES.
    "fail-stale-bank-imports": {
        "task": "banking.tasks.fail_stale_imports",
        "schedule": crontab(minute="*/15"),
    },
    "apply-retention": {
        "task": "privacy.tasks.apply_retention_nightly",
        "schedule": crontab(hour=4, minute=0),
    },
    "sync-alerts": {
        "task": "alerts.tasks.sync_alerts_daily",
        "schedule": crontab(hour=6, minute=0),
    },
    "alert-digest": {
        "task": "alerts.tasks.send_alert_digests",
        "schedule": crontab(hour=6, minute=15),
    },
    "issue-monthly-rent-calls": {
        "task": "tenancy.tasks.issue_monthly_rent_calls",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "iml.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out login before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's, with the user read from the cache on every request (iml/auth.py).
    "iml.auth.CachedModelBackend",
]
# Lockout after repeated failures: 5 wrong passwords for one account from one address lock
# that pair for 15 minutes (an attacker cannot lock a user out from everywhere).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form posts the e-mail in the field "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
# Failures are counted on the normalised e-mail, the spelling the login looks accounts up
# by: "TS@…" and " ts@…" are one account, hence one counter (tests/iml/test_login_lockout.py).
AXES_USERNAME_CALLABLE = "iml.forms.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
AXES_VERBOSE = False
# Two-factor authentication (TOTP): the issuer shown by authenticator apps.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="IML")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # CNIL recommendation for password-only authentication: 12 characters at least.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # invitation and reset links: three days

# --- Sessions and security ------------------------------------------------------------------
# Sessions in Redis: the sliding expiry saves the session on every request, which the database
# backend pays with an UPDATE (and a savepoint) on every page. Lost sessions (Redis restarted
# without its data) only mean logging in again; "log out everywhere" rotates the user's
# session hash, whatever the store.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_AGE = 30 * 60  # 30 minutes of inactivity
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL = env.bool("SECURE_SSL", default=PRODUCTION)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
# No script reads the CSRF cookie: pages carry the token (forms, and htmx's hx-headers).
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
# The container health check calls the app directly over HTTP.
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: only this site's own files, no inline script or style at all.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- History of changes (django-pghistory) ------------------------------------------------
# Database triggers record every insert, update and delete of the tracked models (bulk
# updates included); the context (user, page) is stored on each history row, which keeps the
# organisation column, hence row-level security.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
# The request's context (who, which page) goes with the history rows a request writes: a GET
# writes none, so its queries are not wrapped (pghistory wraps every query of the methods
# listed, GET included by default).
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(related_name="history", db_index=True)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"]

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, WhiteNoise serves straight from static/ (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
# Papers (``papers``): never under a public URL, a view streams them after its checks. On the
# filesystem under .var/ outside production, or in S3-compatible object storage when a bucket
# is set (django-storages: credentials and endpoint from the AWS_* variables).
PAPERS_BUCKET = env.str("IML_PAPERS_BUCKET", default="")
if PAPERS_BUCKET:
    PAPERS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PAPERS_BUCKET,
            "endpoint_url": env.str("IML_PAPERS_ENDPOINT_URL", default="") or None,
            "region_name": env.str("IML_PAPERS_REGION", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    PAPERS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.str(
                "IML_PAPERS_DIR",
                default=str(
                    Path(env.str("IML_VAR_DIR", default=str(BASE_DIR / ".var"))) / "papers"
                ),
            ),
            "base_url": None,
        },
    }
STORAGES = {
    "papers": PAPERS_STORAGE,
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------------
if "EMAIL_URL" in env:
    EMAIL_CONFIG = env.email_url("EMAIL_URL")
    vars().update(EMAIL_CONFIG)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="IML <ne-pas-repondre@iml.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in e-mails (invitations, password resets sent by tasks).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "iml.logging.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "pgserver": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
