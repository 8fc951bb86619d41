"""Settings shared by every environment. Everything a deployer may change comes from the
environment; the README lists each variable with its default."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "csp",
    "core",
    "org",
    "scoring",
    "audits",
    "hazards",
    "notifications",
    "portal",
    "planning",
    "kpis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "org.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "org.context_processors.membership",
                "org.context_processors.nav",
                "notifications.context_processors.local_mailbox",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process, the worker and beat share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "org.backends.MembershipModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes, see org/lockout.py): per user name and address
# (AXES_FAILURE_LIMIT), and per address alone with a higher limit against password spraying.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "org.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "org.lockout.client_ip"
# Reverse proxies in front of the app: the client address is read that many entries from the right
# of X-Forwarded-For. 0 (no proxy): the connection's address, the header is ignored.
TRUSTED_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

# Content-Security-Policy on every response, in every settings module (never report-only): scripts,
# styles, fonts, images and requests only from this origin; no inline script or style, no event
# handler attributes, no eval (htmx is configured not to need it, see base.html), no plugins, no
# framing, forms post only here. Bootstrap's CSS draws a few icons as data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if _csp_report_uri := env("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]

LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our overrides of Django's locale formats (only the ones named there; the rest are Django's).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Uploaded photos and documents and the issued notices. Nothing serves this folder (config/urls.py):
# files are reached only through scoped views; a reverse proxy must not serve it either.
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="hazards@localhost")

# Notifications (notifications/): the outbox and its channels. The admin's notification settings
# (reminder offsets, escalation thresholds, sender identities) override the sender settings here.
# Absolute links in e-mails and SMS are made from this address.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
NOTIFY_FROM_EMAIL = env("NOTIFY_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
NOTIFY_REPLY_TO = env("NOTIFY_REPLY_TO", default="")
# Delivery: attempts before a message is dead, and the backoff between them (doubling, capped).
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=60)
NOTIFY_RETRY_MAX_SECONDS = env.int("NOTIFY_RETRY_MAX_SECONDS", default=6 * 60 * 60)
# The sweeper runs this often and re-dispatches messages due for longer than NOTIFY_SWEEP_AFTER_SECONDS
# (a dispatch lost in a broker outage, a retry whose task was lost).
NOTIFY_SWEEP_SECONDS = env.int("NOTIFY_SWEEP_SECONDS", default=60)
NOTIFY_SWEEP_AFTER_SECONDS = env.int("NOTIFY_SWEEP_AFTER_SECONDS", default=120)
# Messages locked and sent per task (one SMTP connection each).
NOTIFY_BATCH_SIZE = env.int("NOTIFY_BATCH_SIZE", default=100)
SMS_BACKEND = env("SMS_BACKEND", default="notifications.sms.LoggingBackend")
# A single SMS segment holds 70 Chinese characters; longer texts are cut with "…".
SMS_MAX_CHARS = env.int("SMS_MAX_CHARS", default=70)
# The local mailbox (/mailbox/, staff only) shows mail stored by notifications.mailbox.MailboxBackend.
# Only the local settings turn it on; elsewhere its pages answer 404.
LOCAL_MAILBOX = False
LOCAL_MAILBOX_DIR = env("LOCAL_MAILBOX_DIR", default=str(VAR_DIR / "mailbox"))

# Celery: Redis in production and CI; an embedded filesystem broker needing no server by default.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    # kombu's exchange table; its default is ./control, i.e. a folder in the repository.
    _control = VAR_DIR / "celery" / "control"
    for _folder in (_queue, _processed, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "control_folder": str(_control),
        "store_processed": False,
    }
else:
    # Publishing gives up after two quick retries (about a second): a business request must not
    # hang on a dead broker. What it failed to publish stays queued in the outbox, and the sweeper
    # dispatches it when the broker is back. (The worker's own reconnection is not limited by this.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5,
                                       "interval_max": 1}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=60)
# Planning: tasks are generated this many days ahead (beat job and `generate_tasks`).
PLANNING_HORIZON_DAYS = env.int("PLANNING_HORIZON_DAYS", default=30)
# The daily planning job (schedules, missed tasks, new tasks, risk reviews, reminders) runs at this
# local hour; its reminders go out through the outbox.
PLANNING_RUN_HOUR = env.int("PLANNING_RUN_HOUR", default=6)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "notifications.tasks.heartbeat", "schedule": HEARTBEAT_SECONDS},
    "outbox-sweep": {"task": "notifications.tasks.sweep_outbox", "schedule": NOTIFY_SWEEP_SECONDS},
    "planning-daily": {"task": "planning.tasks.planning_daily",
                       "schedule": crontab(hour=PLANNING_RUN_HOUR, minute=5)},
    # Nightly: risk levels move with overdue days; statistics reports are drafted and reminded.
    "risk-recompute": {"task": "kpis.tasks.risk_recompute", "schedule": crontab(hour=1, minute=10)},
    "statistics-reports": {"task": "kpis.tasks.statistics_reports", "schedule": crontab(hour=7, minute=0)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"},
                "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Documents (PDF): every render runs in a child process within these limits (org.pdfsandbox).
PDF_RENDER_SECONDS = env.int("PDF_RENDER_SECONDS", default=60)
PDF_RENDER_MEMORY_MB = env.int("PDF_RENDER_MEMORY_MB", default=1024)
PDF_MAX_MB = env.int("PDF_MAX_MB", default=50)
PDF_RESOURCE_MAX_MB = env.int("PDF_RESOURCE_MAX_MB", default=20)
# The ledger's bulk export of hazard files (a zip, rendered while the user waits, some 0.3 s per
# hazard) takes at most this many hazards; above it the user is asked to narrow the filter
# (hazards.hazard_file). Raise it together with the web server's request timeout.
HAZARD_FILE_ZIP_MAX = env.int("HAZARD_FILE_ZIP_MAX", default=100)

# Panels shown on the home page: dotted paths of `f(*, user) -> {"template": ..., **context}`.
# Planning's "my tasks" comes first: it is what an inspector opens the tablet for.
HOME_PANELS = ["planning.selectors.home_panel", "hazards.selectors.my_work_panel", "hazards.selectors.home_panel",
               "audits.selectors.home_panel", "kpis.selectors.home_panel"]
# The home page's "my work" list shows hazards due within this many days.
MY_WORK_DUE_DAYS = env.int("MY_WORK_DUE_DAYS", default=7)
# Called by audits.services in the transaction of each inspection status change, as
# f(*, inspection, action, by) with action an audits InspectionEvent.Action value: how higher apps
# react to an inspection without audits importing them.
INSPECTION_HOOKS = ["planning.services.inspection_changed"]


# The responsible party's portal (portal/): links sent with each notice e-mail. A link stays valid
# this many days after the latest deadline of its notice's hazards (an approved extension moves it).
PORTAL_LINK_DAYS_AFTER_DEADLINE = env.int("PORTAL_LINK_DAYS_AFTER_DEADLINE", default=30)
# Requests per window (seconds): through one link, from one client address, and links that do not
# open (unknown, tampered) from one address. Past a limit the page says to wait.
PORTAL_RATE_WINDOW_SECONDS = env.int("PORTAL_RATE_WINDOW_SECONDS", default=600)
PORTAL_RATE_PER_LINK = env.int("PORTAL_RATE_PER_LINK", default=120)
PORTAL_RATE_PER_ADDRESS = env.int("PORTAL_RATE_PER_ADDRESS", default=300)
PORTAL_RATE_BAD_LINKS = env.int("PORTAL_RATE_BAD_LINKS", default=20)
# A verified link stays open in the browser's session this long, then the e-mailed link is needed again.
PORTAL_SESSION_HOURS = env.int("PORTAL_SESSION_HOURS", default=12)
# What puts the party's link into each notice e-mail (notifications.services.notice_email_enqueue);
# empty: the e-mail carries no link.
NOTIFY_NOTICE_LINK = env("NOTIFY_NOTICE_LINK", default="portal.services.link_context_for_notice_email")
# The same for the party's reminder e-mails (hazards.reminders), many at once: a new link to the
# hazard's latest notice in each reminder. Empty: reminders carry no link.
NOTIFY_REMINDER_LINKS = env("NOTIFY_REMINDER_LINKS", default="portal.services.link_contexts_for_reminders")

# Pagination of lists.
PAGE_SIZE = 25
# Lists count at most this many rows and say "more than …" beyond (see org.views.CappedPaginator).
LIST_COUNT_CAP = env.int("LIST_COUNT_CAP", default=10_000)
