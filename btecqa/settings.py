"""btecqa settings: one module, read from the environment.

Defaults give a developer's machine: SQLite under var/, Celery eager, e-mail to
the console. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS
and friends (see .env.example); `manage.py check --deploy` then reports nothing.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# interpolate=False: a secret that starts with "$" must be read as it is.
env = environ.Env(interpolate=False)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(50+ random characters) before starting btecqa with DEBUG off."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production-0123456789"

# The audit trail's HMAC key (audit/keys.py): never stored in the database, so someone
# with the database alone cannot write events that verify. Refused like SECRET_KEY.
# Rotation: append the old key to AUDIT_HMAC_OLD_KEYS (oldest first), set a new one.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if not AUDIT_HMAC_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_HMAC_KEY is not set. Set the AUDIT_HMAC_KEY environment variable "
            "(32+ random characters, not the SECRET_KEY) before starting btecqa with DEBUG off."
        )
    from audit.keys import DEVELOPMENT_KEY as AUDIT_HMAC_KEY  # noqa: E402
AUDIT_HMAC_OLD_KEYS = env.list("AUDIT_HMAC_OLD_KEYS", default=[])
# Where the signed audit checkpoint is kept in media storage (default: the database's name).
AUDIT_CHECKPOINT_NAME = env.str("AUDIT_CHECKPOINT_NAME", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_tables2",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # cross-cutting
    "btecqa",
    "accounts",
    "centres",
    "audit",
    "outbox",
    "todos",
    "signatures",
    "tabular",
    "jobs",
    # reference data
    "qualifications",
    # the exams office's work
    "learners",
    "registrations",
    "assessment",
    "verification",
    "policies",
    "declarations",
    "claims",
    "calendar_reminders",
    "retention",
    "certification",
    "dossier",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Nothing a signed-in person receives is kept by a browser or proxy cache.
    "btecqa.middleware.NoStoreForSignedIn",
    # Every view needs a log-in unless it is marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # A Standards Verifier's session: two factors (django-otp), a live grant, every page logged.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware_grants.VerifierSessionMiddleware",
]

ROOT_URLCONF = "btecqa.urls"
WSGI_APPLICATION = "btecqa.wsgi.application"
ASGI_APPLICATION = "btecqa.asgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'btecqa.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the dev server read while a request writes; a short busy wait
    # beats "database is locked" for the exams officer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "TEST_DATABASE_NAME", default=None
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Behind a TLS-terminating proxy: HTTPS comes from X-Forwarded-Proto, and the client's real
# address is the one the proxy appends to X-Forwarded-For (never read without the proxy).
BTECQA_BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
# How many proxies in front of btecqa each append to X-Forwarded-For (usually 1), and the
# addresses they connect from: X-Forwarded-For from anywhere else is ignored.
BTECQA_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
BTECQA_TRUSTED_PROXIES = env.list(
    "TRUSTED_PROXIES",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)

# django-axes (accounts/lockouts.py): a username from one client address is locked after
# AXES_FAILURE_LIMIT failures, and one address after BTECQA_LOGIN_FAILURES_PER_ADDRESS
# failures across usernames (one password tried on many accounts), each for the cool-off.
AXES_HANDLER = "accounts.lockouts.LockoutHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
BTECQA_LOGIN_FAILURES_PER_ADDRESS = env.int("AXES_FAILURES_PER_ADDRESS", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "accounts.lockouts.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockouts.locked_out"
# A try while locked out is refused without moving the time the page promises.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["btecqa.formats"]
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    # Uploaded files go through the storage API so several web servers can later
    # share an object store by changing this one entry.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# E-mail: EMAIL_URL (smtp://user:pass@host:587/?tls=True) wins; otherwise the
# console in development and a file folder when EMAIL_FILE_PATH is given.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="btecqa <exams-office@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_FILE_PATH", default=""):
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
    )
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )

# Celery: a broker only when REDIS_URL is set; otherwise tasks run in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that dies mid-task leaves the message unacknowledged, so it is delivered again.
CELERY_TASK_ACKS_LATE = True
# One message reserved at a time: a killed worker strands one task, not a prefetched queue.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task may run longer than this (the pool kills it); the longest, the outbox's send,
# stops itself after OUTBOX_SEND_SECONDS plus one message.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
# Redis gives an unacknowledged task to another worker after the visibility timeout, so it
# must outlast the longest task (the time limit above) or a running task runs twice. It is
# also how long the task of a killed worker waits to run again (15 minutes here; Redis's
# default is an hour). E-mail does not wait for it: a restarted worker frees the claims
# its earlier self held and sweeps at once (outbox/, worker_ready in btecqa/celery.py).
# No task here uses a countdown or ETA; one longer than this would be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 300}
# Where tasks go and the worker listens: set it to run two btecqa sites on one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")

# The e-mail outbox (outbox/): each e-mail is a row written with the work, sent by a task.
# A mail server that hangs gives up after EMAIL_TIMEOUT seconds.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=20)  # claimed at once by one sender
OUTBOX_SEND_SECONDS = env.int("OUTBOX_SEND_SECONDS", default=120)  # a send task's budget
# A claim older than this is a dead sender's and the sweep puts it back; it must outlast
# one message's send (twice EMAIL_TIMEOUT), since a sender renews its claim per message.
OUTBOX_CLAIM_TIMEOUT = env.int("OUTBOX_CLAIM_TIMEOUT", default=600)
# A failed send is tried again after 1, 2, 4 ... minutes (at most an hour apart), and
# given up (status "failed", shown in the admin) after OUTBOX_MAX_ATTEMPTS tries.
OUTBOX_RETRY_SECONDS = env.int("OUTBOX_RETRY_SECONDS", default=60)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=24)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# Content-Security-Policy: everything is vendored under static/, no inline script.
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
    },
}

# Security headers; production turns HTTPS on through the environment.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
_https = env.bool("HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_https)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container health checks speak plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_https)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_https)
if BTECQA_BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# btecqa's own settings
BTECQA_REMINDER_LOOKAHEAD_DAYS = env.int("REMINDER_LOOKAHEAD_DAYS", default=7)
# The year's calendar (calendar_reminders): an overdue IV or SV action goes to the Lead IV
# this many days after its due date, then to the Quality Nominee this many days later.
BTECQA_ESCALATE_AFTER_DAYS = env.int("ESCALATE_AFTER_DAYS", default=7)
BTECQA_ESCALATE_QN_AFTER_DAYS = env.int("ESCALATE_QN_AFTER_DAYS", default=7)
# Reminder days per calendar date, overriding the declared ones: {"claims.deadline": 45}.
BTECQA_CALENDAR_LEAD_DAYS = env.json("CALENDAR_LEAD_DAYS", default={})
# After a partner leaves an arrangement, the lead centre keeps reading the QA records that
# were shared for this long (collaborative arrangements policy 3.1.10; Pearson keeps
# assessment and IV records for three years after certification).
BTECQA_SHARED_RECORDS_RETENTION_YEARS = env.int("SHARED_RECORDS_RETENTION_YEARS", default=3)
BTECQA_SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Plausibility (btecqa/validators.py, learners/validators.py): a learner is 10 to 100 years old
# today; an academic year runs from 2000/01 to two years after the current one.
BTECQA_LEARNER_MIN_AGE = env.int("LEARNER_MIN_AGE", default=10)
BTECQA_LEARNER_MAX_AGE = env.int("LEARNER_MAX_AGE", default=100)
BTECQA_FIRST_ACADEMIC_YEAR = env.int("FIRST_ACADEMIC_YEAR", default=2000)
BTECQA_ACADEMIC_YEARS_AHEAD = env.int("ACADEMIC_YEARS_AHEAD", default=2)

# Certificates (004-duty-7; domain.md 4.7, JCQ): unclaimed certificates are held this many
# months from receipt, then may be destroyed; the destruction log keeps the personal details
# this many years. Pearson dispatches certificates within 14 days of a claim (domain.md 4.6):
# a claim line with no certificate is "missing" once a batch arrives that long after it.
BTECQA_CERTIFICATE_HOLD_MONTHS = env.int("CERTIFICATE_HOLD_MONTHS", default=12)
BTECQA_CERTIFICATE_LOG_YEARS = env.int("CERTIFICATE_LOG_YEARS", default=4)
BTECQA_CERTIFICATE_DISPATCH_DAYS = env.int("CERTIFICATE_DISPATCH_DAYS", default=14)

# Uploads (MIS exports, registration numbers, qualification structures) are refused above
# this size; btecqa/uploads.py stops storing an upload just past it.
BTECQA_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
# Background jobs (jobs/): a running job with no heartbeat for this long is taken to have
# lost its worker and is queued again by the sweep (it continues from its checkpoint).
BTECQA_JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=300)
# Finished jobs stay in their requester's To read panel this many days.
BTECQA_JOB_RECENT_DAYS = env.int("JOB_RECENT_DAYS", default=7)
# An MIS learner import with more rows than this is applied by a background job.
BTECQA_IMPORT_IN_BACKGROUND_ROWS = env.int("IMPORT_IN_BACKGROUND_ROWS", default=2000)
FILE_UPLOAD_HANDLERS = [
    "btecqa.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Retention (policy 004-duty-8, 3.1.10): learner work is kept this many weeks after the
# learner's certificates arrive, QA records this many years after certification. The year's
# registrations/year_data JSON may override both ("retention").
BTECQA_RETENTION_LEARNER_WORK_WEEKS = env.int("RETENTION_LEARNER_WORK_WEEKS", default=12)
BTECQA_RETENTION_QA_RECORDS_YEARS = env.int("RETENTION_QA_RECORDS_YEARS", default=3)
BTECQA_RETENTION_SWEEP_CHUNK = env.int("RETENTION_SWEEP_CHUNK", default=2000)
# The yearly policy monitoring (000-3.1.10) names a record listed as due for disposal that
# the Quality Nominee has neither approved nor held this many days after it fell due (the
# year's file may say otherwise: "retention": {"decision_grace_days": N}).
BTECQA_RETENTION_DECISION_GRACE_DAYS = env.int("RETENTION_DECISION_GRACE_DAYS", default=30)
