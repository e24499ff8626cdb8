"""Settings shared by every environment. Everything that differs comes from environment variables.

No variables at all gives a working local setup: a SQLite file, an in-process cache and a Celery broker
on the filesystem, so a fresh machine with only Python runs the app and its background jobs.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("LIANHU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-only-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # widget templates for FORM_RENDERER (config/forms.py)
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "grids",
    "members",
    "notifications",
    "visits",
    "issues",
    "dispatch",
    "verification",
    "rewards",
    "reports",
    "pairing",
    "activities",
]

FORM_RENDERER = "config.forms.LianhuFormRenderer"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",  # pages on slow phone networks (CSRF tokens are masked per response)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "members.privacy.AccessContextMiddleware",  # who and from where, for the access log
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a login refused because of too many failures into the lockout page (axes).
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "members.context_processors.scope",
                "notifications.context_processors.inbox",
                "config.context_processors.offline",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'lianhu.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # Checking a kept connection costs one `SELECT 1` round trip at the start of every request (not in
        # Django's query log); without it a connection broken by a database restart fails one request per
        # web thread instead. On by default (docs/benchmarks.md, "Load test").
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web + worker) share the file: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The tally table's covering index (INCLUDE columns) is a PostgreSQL optimisation; SQLite builds it as a
    # plain index, which is all the embedded setup needs. Said once here instead of on every command.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT pays off for long analytic queries only. On page-sized queries with many CASE and
    # subquery expressions (compliance) it compiled for 0.5–5 s per query: off (docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Worker threads per process for a page's largest read-only statement, run on their own connections while the
# request goes on (grids.beside; PostgreSQL only, never inside a transaction). 0: every statement in the
# request's thread. Each thread that has run one keeps a connection (CONN_MAX_AGE), as a request does.
LIANHU_QUERY_THREADS = int(os.environ.get("LIANHU_QUERY_THREADS", "2"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",  # Django's, reusing its redis-py clients
            "LOCATION": REDIS_URL,
            # Sessions are read from it on every request: a Redis that hangs must not hang the pages
            # (members.sessions falls back to the database).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after LIANHU_LOGIN_FAILURE_LIMIT wrong passwords for one username, or from
# one address, both are refused for LIANHU_LOGIN_COOLOFF_MINUTES, whatever the password; the form and the API
# token endpoint alike. Admins unlock early by deleting the attempt in the admin (Axes → Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "members.auth.MemberBackend",  # ModelBackend reading the user's member with them (one query a request)
]
AXES_FAILURE_LIMIT = int(os.environ.get("LIANHU_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LIANHU_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "token"]
# The client's address (members/privacy.py client_ip, also the access log's): REMOTE_ADDR, or behind the
# reverse proxies listed in LIANHU_TRUSTED_PROXIES (below) the nearest hop of X-Forwarded-For that is not one
# of them, never what a client wrote there itself.
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_ip"
# Deprecated (read only when LIANHU_TRUSTED_PROXIES is empty): the number of proxies in front.
LIANHU_PROXY_COUNT = int(os.environ.get("LIANHU_PROXY_COUNT", "0"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sessions end after a working day without activity (members/sessions.py slides the expiry forward, writing
# at most once per LIANHU_SESSION_REFRESH_SECONDS); a password change ends the user's other sessions.
SESSION_COOKIE_AGE = int(float(os.environ.get("LIANHU_SESSION_IDLE_HOURS", "10")) * 3600)
# With a cache the processes share (Redis), sessions are read from it (members.sessions.SessionStore: the
# database stays the record; an entry lives at most LIANHU_SESSION_REFRESH_SECONDS). Without one, from the
# database: a per-process cache would keep a session another process has ended.
SESSION_ENGINE = "members.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
LIANHU_SESSION_REFRESH_SECONDS = int(os.environ.get("LIANHU_SESSION_REFRESH_SECONDS", "300"))
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "members.sessions.IdleSessionMiddleware",
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
# Private files (photos, dispatch attachments, ledger exports): outside every public root, served only by
# views that check scope (grids/private.py). With LIANHU_X_ACCEL_REDIRECT those views answer with an
# X-Accel-Redirect to nginx's `internal` location LIANHU_X_ACCEL_PREFIX, which maps to this directory.
LIANHU_PRIVATE_ROOT = Path(os.environ.get("DJANGO_PRIVATE_ROOT", VAR_DIR / "private"))
LIANHU_X_ACCEL_REDIRECT = env_bool("LIANHU_X_ACCEL_REDIRECT", False)
LIANHU_X_ACCEL_PREFIX = os.environ.get("LIANHU_X_ACCEL_PREFIX", "/_private/")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "lianhu@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # No HTTP Basic: a password on every request cannot be throttled sensibly. API clients get a token
        # from POST /api/auth/token/ (throttled by axes like the login form).
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One translation of refusals for every endpoint (grids/errors.py, docs/architecture.md "Errors").
    "EXCEPTION_HANDLER": "grids.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lianhu 联户 API",
    "DESCRIPTION": "四联五到位 household-visit campaign: places, households, members, links, contacts, issues.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and Swagger UI are for logged-in users only, and the UI comes from our own static files.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Name each app's choice sets so fields called "kind" / "status" in several apps do not collide.
    "ENUM_NAME_OVERRIDES": {
        "DispatchJobNameEnum": "dispatch.enums.JobName",
        "DispatchRunStatusEnum": "dispatch.enums.RunStatus",
        "DispatchRecipientStatusEnum": "dispatch.enums.RecipientStatus",
        "DispatchSnapshotKindEnum": "dispatch.enums.SnapshotKind",
        "PlaceKindEnum": "grids.enums.PlaceKind",
        "DepartmentKindEnum": "grids.enums.DepartmentKind",
        "HouseholdCategoryEnum": "grids.enums.HouseholdCategory",
        "IssueLevelEnum": "issues.enums.IssueLevel",
        "IssueStatusEnum": "issues.enums.IssueStatus",
        "IssueKindEnum": "issues.enums.IssueKind",
        "IssueUrgencyEnum": "issues.enums.Urgency",
        "IssueWhistleKindEnum": "issues.enums.WhistleKind",
        "IssueAssignmentStatusEnum": "issues.enums.AssignmentStatus",
        "IssueSatisfactionEnum": "issues.enums.Satisfaction",
        "IssueDurationUnitEnum": "issues.enums.DurationUnit",
        "IssueActionEnum": "issues.enums.IssueAction",
        "MemberRoleEnum": "members.enums.MemberRole",
        "VillageSubRoleEnum": "members.enums.VillageSubRole",
        "ExemptReasonEnum": "members.enums.ExemptReason",
        "PositionKindEnum": "members.enums.PositionKind",
        "TargetKindEnum": "members.enums.TargetKind",
        "LinkTypeEnum": "members.enums.LinkType",
        "NotificationKindEnum": "notifications.enums.NotificationKind",
        "ChannelEnum": "notifications.enums.Channel",
        "DeliveryStatusEnum": "notifications.enums.DeliveryStatus",
        "OutboxStatusEnum": "notifications.enums.OutboxStatus",
        "ReportPeriodKindEnum": "reports.enums.PeriodKind",
        "ReportLedgerKindEnum": "reports.enums.LedgerKind",
        "ReportExportStatusEnum": "reports.enums.ExportStatus",
        "ReportAssessmentStatusEnum": "reports.enums.AssessmentStatus",
        "ReportComponentEnum": "reports.enums.Component",
        "AwardHalfEnum": "rewards.enums.Half",
        "AwardRoundStatusEnum": "rewards.enums.RoundStatus",
        "AwardKindEnum": "rewards.enums.AwardKind",
        "AwardCriterionEnum": "rewards.enums.Criterion",
        "AwardFlagKindEnum": "rewards.enums.FlagKind",
        "AwardEventActionEnum": "rewards.enums.EventAction",
        "VisitContactKindEnum": "visits.enums.ContactKind",
        "VisitDutyEnum": "visits.enums.Duty",
        "VisitPeriodEnum": "visits.enums.Period",
        "VisitStatusEnum": "visits.enums.Status",
        "VisitRevisionActionEnum": "visits.enums.RevisionAction",
    },
}

# Celery: Redis when REDIS_URL is set; otherwise a broker on the local filesystem, which needs no server
# and lets `python dev.py serve` run a real worker and beat next to the web server. CELERY_BROKER_URL
# overrides both (the tests point a worker at their own Redis database that way).
# The beat schedule is in code: config/celery.py.
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    (CELERY_BROKER_DIR / "processed").mkdir(parents=True, exist_ok=True)
    (CELERY_BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Saving a contact must not wait for a dead broker: connect within a second, and let a publish give
    # up after one quick retry (notifications.outbox keeps the work; a sweeper sends it later).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# The worker itself keeps trying to reconnect for ever (a Redis restart must not end it).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Notification channels (notifications.services): name → backend dotted path; empty disables a channel.
# LIANHU_SMS_PROVIDER=tencent|aliyun and LIANHU_IM_PROVIDER=wecom pick the real senders (notifications/channels/);
# without them SMS and WeCom only write a log line.
_SMS_PROVIDERS = {
    "": "notifications.services.LogSmsChannel",
    "log": "notifications.services.LogSmsChannel",
    "tencent": "notifications.channels.tencent_sms.TencentSmsChannel",
    "aliyun": "notifications.channels.aliyun_sms.AliyunSmsChannel",
}
_IM_PROVIDERS = {
    "": "notifications.services.LogImChannel",
    "log": "notifications.services.LogImChannel",
    "wecom": "notifications.channels.wecom.WecomChannel",
}


def _provider(variable: str, choices: dict[str, str]) -> str:
    name = os.environ.get(variable, "").strip().lower()
    if name not in choices:
        raise ValueError(f"{variable}={name!r}: expected one of {', '.join(sorted(filter(None, choices)))}")
    return choices[name]


LIANHU_NOTIFICATION_CHANNELS = {
    "email": os.environ.get("LIANHU_EMAIL_CHANNEL", "notifications.services.EmailChannel"),
    "sms": os.environ.get("LIANHU_SMS_CHANNEL") or _provider("LIANHU_SMS_PROVIDER", _SMS_PROVIDERS),
    "wecom": os.environ.get("LIANHU_IM_CHANNEL") or _provider("LIANHU_IM_PROVIDER", _IM_PROVIDERS),
}
# Provider settings (README "Production" lists them). SMS in China goes through approved templates: each
# notification kind maps to a template and the fields that fill its parameters (notifications/channels/templates.py).
LIANHU_SMS = {
    "SIGN_NAME": os.environ.get("LIANHU_SMS_SIGN_NAME", ""),
    # JSON: {"default": {"template": "123", "params": ["title"]}, "task_list": {...}, ...}
    "TEMPLATES": os.environ.get("LIANHU_SMS_TEMPLATES", ""),
    "PARAM_MAX_LENGTH": int(os.environ.get("LIANHU_SMS_PARAM_MAX_LENGTH", "20")),
    "QUIET_START": os.environ.get("LIANHU_SMS_QUIET_START", "21:30"),
    "QUIET_END": os.environ.get("LIANHU_SMS_QUIET_END", "07:30"),
    "DAILY_CAP": int(os.environ.get("LIANHU_SMS_DAILY_CAP", "5")),
    # Secret path segment of the receipt callback URLs given to the provider's console.
    "RECEIPT_TOKEN": os.environ.get("LIANHU_SMS_RECEIPT_TOKEN", ""),
    "TENCENT_SECRET_ID": os.environ.get("TENCENTCLOUD_SECRET_ID", ""),
    "TENCENT_SECRET_KEY": os.environ.get("TENCENTCLOUD_SECRET_KEY", ""),
    "TENCENT_SDK_APP_ID": os.environ.get("LIANHU_TENCENT_SMS_SDK_APP_ID", ""),
    "TENCENT_REGION": os.environ.get("LIANHU_TENCENT_SMS_REGION", "ap-guangzhou"),
    "TENCENT_ENDPOINT": os.environ.get("LIANHU_TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com"),
    "TENCENT_PROTOCOL": "https",
    "ALIYUN_ACCESS_KEY_ID": os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
    "ALIYUN_ACCESS_KEY_SECRET": os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
    "ALIYUN_ENDPOINT": os.environ.get("LIANHU_ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com"),
    "ALIYUN_PROTOCOL": "https",
    "TIMEOUT_SECONDS": 10,
}
LIANHU_WECOM = {
    "CORP_ID": os.environ.get("LIANHU_WECOM_CORP_ID", ""),
    "AGENT_ID": os.environ.get("LIANHU_WECOM_AGENT_ID", ""),
    "SECRET": os.environ.get("LIANHU_WECOM_SECRET", ""),
    # 政务微信 and private deployments have their own API host.
    "API_BASE": os.environ.get("LIANHU_WECOM_API_BASE", "https://qyapi.weixin.qq.com"),
    "TIMEOUT_SECONDS": 10,
}
# Absolute links in emails and SMS.
LIANHU_SITE_URL = os.environ.get("LIANHU_SITE_URL", "http://127.0.0.1:8000")
# The page a contact that found a problem goes on to (visits/views.py; its `?contact=` is the contact's id).
# Named here, where the apps are put together, so visits does not link up to the app above it.
LIANHU_FOUND_PROBLEM_URL = "issues:raise"

# Content-Security-Policy (django-csp 4): only this site's own scripts, styles, images and fonts; no inline
# script or style attribute is allowed (templates have none; Swagger UI's initializer is a separate file).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LIANHU = {
    # Days during which the author of a contact may still correct it.
    "CONTACT_EDIT_DAYS": int(os.environ.get("LIANHU_CONTACT_EDIT_DAYS", "7")),
    # Days a phone keeps its offline pages and queued contacts without a sync before wiping them.
    "OFFLINE_MAX_DAYS": int(os.environ.get("LIANHU_OFFLINE_MAX_DAYS", "7")),
}

# Resident ID numbers are encrypted at rest with this Fernet key (grids/crypto.py, README "Production").
# Without it, development and test settings derive a fixed key from SECRET_KEY; production refuses to start.
LIANHU_ID_KEY = os.environ.get("LIANHU_ID_KEY", "")
LIANHU_ID_KEY_DEV_FALLBACK = False
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed for the requester's address
# (members/privacy.py client_ip: the access log and the login throttling); empty: REMOTE_ADDR only (or the
# deprecated LIANHU_PROXY_COUNT, if set).
LIANHU_TRUSTED_PROXIES = env_list("LIANHU_TRUSTED_PROXIES", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LIANHU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
