"""Django settings, read from environment variables (listed with defaults in .env.example)."""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_list, env_networks, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core --------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
# Production sets SECRET_KEY; without it a random key is made once and kept in .secret_key.
SECRET_KEY = secret_key(BASE_DIR / ".secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "rest_framework_api_key",
    "drf_spectacular",
    "accounts",
    "developers",
    "usage",
    "dicom_api",
    "jobs",
    # The developer portal, and Swagger UI's files served from here (no CDN)
    "drf_spectacular_sidecar",
    "portal",
]

MIDDLEWARE = [
    "common.middleware.JsonErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, right after SecurityMiddleware
    "common.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers the guide's read request itself; every answer above this line gets their headers.
    "dicom_api.direct_read.DirectReadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPEND_SLASH = False  # a POST to a path without its slash gets a JSON 404, not Django's HTML error

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
            ]
        },
    }
]

# --- Database ----------------------------------------------------------------------------
# SQLite by default (nothing to install); PostgreSQL when DATABASE_URL is set.
DATABASE_URL = env_str("DATABASE_URL", "")
# Each worker thread keeps its connection this many seconds. On SQLite too: opening a WAL
# database and closing its last connection (which checkpoints the WAL) cost ~1.7 ms a request.
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60)
if DATABASE_URL:
    # A kept connection the server ended (restart, failover, idle timeout) is replaced at the next
    # request's start (a SELECT 1 first), not found broken by the request: that was a 500.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing;
            # WAL lets readers go on while one writes, and NORMAL syncs at checkpoints, not at
            # every commit (the quota counter commits on every metered call).
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))  # filled by `manage.py collectstatic`
# whitenoise serves them (STORAGES["staticfiles"]): gzipped, and under content-hashed names cached for a year.

# --- Uploads: kept in memory, never spooled to disk, capped while they stream in ------------
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 256 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = ["common.uploads.BoundedMemoryUploadHandler"]
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)  # non-file fields
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 100)
# A body left unread by an early answer (401, 413, 429) is dropped before answering up to the
# first bound (the connection stays open), then after a `Connection: close` answer up to the
# second (common/unread_body.py); each phase within the time bound.
UNREAD_BODY_DRAIN_BYTES = env_int("UNREAD_BODY_DRAIN_BYTES", 1024 * 1024)
UNREAD_BODY_LINGER_BYTES = env_int("UNREAD_BODY_LINGER_BYTES", 16 * 1024 * 1024)
UNREAD_BODY_SECONDS = env_int("UNREAD_BODY_SECONDS", 5)

# --- DICOM limits (dicom_core.limits.Limits is built from these) ---------------------------
DICOM_LIMITS = {
    "max_upload_bytes": MAX_UPLOAD_BYTES,
    "max_zip_members": env_int("MAX_ZIP_MEMBERS", 1000),
    "max_inflated_bytes": env_int("MAX_INFLATED_BYTES", 1024 * 1024 * 1024),
    "max_zip_ratio": env_int("MAX_ZIP_RATIO", 200),
    "max_decoded_bytes": env_int("MAX_DECODED_BYTES", 1024 * 1024 * 1024),
    "max_sequence_depth": env_int("MAX_SEQUENCE_DEPTH", 32),
    "max_sequence_items": env_int("MAX_SEQUENCE_ITEMS", 100_000),
    "max_data_elements": env_int("MAX_DATA_ELEMENTS", 100_000),
    "frame_timeout_seconds": env_int("FRAME_TIMEOUT_SECONDS", 8),  # pyjpegls takes 15-17 s to reject some damaged frames
    "render_timeout_seconds": env_int("RENDER_TIMEOUT_SECONDS", 60),
    "max_image_pixels": env_int("MAX_IMAGE_PIXELS", 50_000_000),
}
PNG_COMPRESS_LEVEL = env_int("PNG_COMPRESS_LEVEL", 1)

# --- Quotas --------------------------------------------------------------------------------
# Monthly calls per developer and metered endpoint (UTC calendar month); admins override per developer.
QUOTA_DEFAULTS = {
    "/api/dicom/read/file/": env_int("QUOTA_READ_FILE", 1000),
    "/api/dicom/generate/": env_int("QUOTA_GENERATE", 1000),
    "/api/dicom/anonymize/": env_int("QUOTA_ANONYMIZE", 1000),
    "/api/dicom/transcode/": env_int("QUOTA_TRANSCODE", 1000),
    "/api/dicom/read/jobs/": env_int("QUOTA_READ_JOBS", 100),
}

# --- Jobs: reads of whole studies and long cines on a Celery worker fleet -------------------
# Uploads and results live in the "jobs" storage: a local folder (JOB_STORAGE_DIR) by default;
# an S3 bucket (AWS, or any S3-compatible store: MinIO, Ceph, R2) through django-storages when
# AWS_STORAGE_BUCKET_NAME is set, so that every web and worker machine shares it.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
JOB_STORAGE_BACKEND = env_str("JOB_STORAGE_BACKEND", "") or (
    "storages.backends.s3.S3Storage" if AWS_STORAGE_BUCKET_NAME else "django.core.files.storage.FileSystemStorage"
)
JOB_STORAGE_DIR = env_str("JOB_STORAGE_DIR", str(BASE_DIR / "job-storage"))
if JOB_STORAGE_BACKEND == "storages.backends.s3.S3Storage":
    # Unset credentials: boto3's own chain (instance role, ~/.aws). A read past max_memory_size
    # spools to a temporary file, so a worker never holds a whole upload in memory.
    _s3_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "location": env_str("AWS_LOCATION", ""),  # a key prefix inside the bucket
        "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", ""),
        "region_name": env_str("AWS_S3_REGION_NAME", ""),
        "access_key": env_str("AWS_ACCESS_KEY_ID", ""),
        "secret_key": env_str("AWS_SECRET_ACCESS_KEY", ""),
        "max_memory_size": env_int("AWS_S3_MAX_MEMORY_SIZE", 16 * 1024 * 1024),
    }
    JOB_STORAGE_OPTIONS = {name: value for name, value in _s3_options.items() if value != ""}
elif JOB_STORAGE_BACKEND == "django.core.files.storage.FileSystemStorage":
    # A task run again writes the same names again: replaced in one write, not looked up and deleted first.
    JOB_STORAGE_OPTIONS = {"location": JOB_STORAGE_DIR, "allow_overwrite": True}
else:
    JOB_STORAGE_OPTIONS = {}  # another backend reads its own settings
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},  # `make static`
    "jobs": {"BACKEND": JOB_STORAGE_BACKEND, "OPTIONS": JOB_STORAGE_OPTIONS},
}
JOB_MAX_UPLOAD_BYTES = env_int("JOB_MAX_UPLOAD_BYTES", 2 * 1024 * 1024 * 1024)
# A job's zip is a whole study: more members and more inflated bytes than a synchronous request's
# (MAX_ZIP_MEMBERS, MAX_INFLATED_BYTES); the planner holds one member at a time, so in a job
# MAX_INFLATED_BYTES bounds each member.
JOB_MAX_ZIP_MEMBERS = env_int("JOB_MAX_ZIP_MEMBERS", 20_000)
JOB_MAX_INFLATED_BYTES = env_int("JOB_MAX_INFLATED_BYTES", 16 * 1024 * 1024 * 1024)
# Declared decoded pixel bytes of all a job's files together, charged at planning before each file is
# read (a synchronous request has MAX_DECODED_BYTES for all its files; in a job that bounds
# one frame, as a worker decodes one at a time). 16 GiB: a few thousand CT slices or a long
# colour cine are 1-4 GiB, so whole studies pass, while one job's work stays bounded.
MAX_JOB_DECODED_BYTES = env_int("MAX_JOB_DECODED_BYTES", 16 * 1024 * 1024 * 1024)
JOB_RESULT_HOURS = env_int("JOB_RESULT_HOURS", 24)  # then results are deleted, status `expired`
JOB_RESULTS_PAGE_SIZE = env_int("JOB_RESULTS_PAGE_SIZE", 20)  # files a page of results
JOB_FILES_PER_TASK = env_int("JOB_FILES_PER_TASK", 8)  # files one task reads (small: workers share the load)
JOB_FRAMES_PER_TASK = env_int("JOB_FRAMES_PER_TASK", 25)  # a long cine is split into tasks of this many frames
JOB_EXPIRY_SWEEP_SECONDS = env_int("JOB_EXPIRY_SWEEP_SECONDS", 300)
# An upload that no job owns (its web worker was killed mid-upload) is deleted by the sweep once
# untouched this long: longer than any upload takes (2 GiB at 1 MB/s: 36 minutes).
JOB_ORPHAN_UPLOAD_HOURS = env_int("JOB_ORPHAN_UPLOAD_HOURS", 6)
JOB_WEBHOOK_TIMEOUT_SECONDS = env_int("JOB_WEBHOOK_TIMEOUT_SECONDS", 10)
JOB_WEBHOOK_MAX_RETRIES = env_int("JOB_WEBHOOK_MAX_RETRIES", 12)  # backoff 10 s doubling to 10 min: ~1 hour
# Tests only: callbacks to 127.0.0.0/8 and ::1 (never to private, link-local or metadata addresses).
JOB_WEBHOOK_ALLOW_LOOPBACK = env_bool("JOB_WEBHOOK_ALLOW_LOOPBACK", False)

# Celery (config/celery.py). The default broker needs no server: kombu's filesystem transport in
# BROKER_FOLDER, for one machine (`make run`); a fleet sets CELERY_BROKER_URL to Redis or RabbitMQ.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
BROKER_FOLDER = env_str("BROKER_FOLDER", str(BASE_DIR / ".broker"))
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    Path(BROKER_FOLDER).mkdir(parents=True, exist_ok=True)  # kombu writes messages there, it does not make it
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": BROKER_FOLDER,
        "data_folder_out": BROKER_FOLDER,
        "control_folder": str(Path(BROKER_FOLDER) / "control"),
        "polling_interval": 0.2,  # seconds between looks at the folder (the transport has no wake-up)
    }
elif CELERY_BROKER_URL.startswith(("redis", "sentinel")):
    # A task not acknowledged this long after delivery (its worker died) is delivered again;
    # RabbitMQ redelivers as soon as the dead worker's connection closes.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "unacked_restore_interval": min(10, env_int("CELERY_VISIBILITY_TIMEOUT", 3600)),
        "unacked_restore_throttle": 1,
    }
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "dicom-api")
CELERY_TASK_ACKS_LATE = True  # acknowledged when done: a worker killed mid-task loses nothing
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker holds one task at a time; the others take the rest
CELERY_TASK_IGNORE_RESULT = True  # the state lives in the database
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes every database connection before and after each task unless this
# is set: a job's tasks then each opened a new PostgreSQL connection (~20 ms of a ~40 ms task).
# Kept instead, and judged between tasks as between requests (DB_CONN_MAX_AGE, health checks:
# config/celery.py); closed outright every CELERY_DB_REUSE_MAX tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_BEAT_SCHEDULE_FILENAME = str(Path(BROKER_FOLDER) / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "expire-read-jobs": {"task": "jobs.tasks.expire_read_jobs", "schedule": JOB_EXPIRY_SWEEP_SECONDS},
}

# --- Login throttle ------------------------------------------------------------------------
# Failed logins within the window, per account from one client, per client, per account
# (accounts/login_throttle.py says how each is applied).
LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT = env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT", 10)
LOGIN_MAX_FAILURES_PER_CLIENT = env_int("LOGIN_MAX_FAILURES_PER_CLIENT", 50)
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 500)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
# Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the client (common/client_address.py).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

# --- REST framework, JWT, OpenAPI ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "common.exceptions.json_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("ACCESS_TOKEN_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("REFRESH_TOKEN_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a digest of the password hash: a password change revokes them all.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "DICOM API",
    "DESCRIPTION": (
        "Read DICOM files into JSON metadata and rendered images, and build DICOM files from "
        "PNG or JPEG images. Account endpoints take a JWT (`Authorization: Bearer <access>`); "
        "DICOM endpoints take an API key (`Authorization: ApiKey <prefix>.<secret>`). "
        "Every error is JSON: `{\"error\": \"...\"}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar (pinned, served by whitenoise), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io on every visit.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Security headers (effective behind HTTPS in production) -------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
# The portal's session and CSRF cookies: never readable by scripts, not sent on cross-site posts.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "common.views.csrf_failure"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:keys"

# --- Logging: request lines and errors only; never request bodies or DICOM values ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # pydicom quotes element values (patient data) in its messages: keep it silent.
        "pydicom": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "django.request": {"level": "ERROR"},
    },
}
