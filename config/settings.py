"""Settings per environment. Everything comes from the environment with a safe embedded default."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var"))


def _secret(env_name: str, file_name: str) -> str:
    """A secret from the environment, else one generated for this installation (var/, mode 0600): never a
    constant shipped in the code, so a forgotten setting cannot leave a known key in production."""
    value = os.environ.get(env_name)
    if value:
        return value
    path = VAR_DIR / file_name
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        import secrets
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=VAR_DIR)  # mode 0600
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # atomic; loses quietly to a process that got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgres://", "postgresql://", 1)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR_DIR / 'bpm.sqlite'}"


class Config:
    SECRET_KEY = _secret("SECRET_KEY", "secret_key")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # None means: start (or reuse) the embedded Redis under var/.
    REDIS_URL = os.environ.get("REDIS_URL")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "bpm")
    # Business areas: one line each (docs/areas.md). Their BPMN and form folders, service operations,
    # pages, permissions, menu entries, demo data and jobs come with them.
    ARCHIVE_DEMO_COHORT = int(os.environ.get("ARCHIVE_DEMO_COHORT", "2000"))  # students in the demo archives
    AREAS = ("app.employers.area", "app.agreements.area", "app.recommendations.area", "app.interviews.area",
             "app.bookings.area", "app.archives.area", "app.reporting.area")
    VAR_DIR = VAR_DIR
    # Analytics apply a history event once it is this old (a step that began earlier may still be committing
    # a smaller event id): app/reporting/projection.py.
    REPORTING_SETTLE_S = float(os.environ.get("REPORTING_SETTLE_S", "30"))
    # Uploaded files no row references are removed by an hourly sweep once older than this (a request may
    # still be committing the row that names a younger one).
    UPLOAD_ORPHAN_GRACE_S = float(os.environ.get("UPLOAD_ORPHAN_GRACE_S", str(6 * 3600)))
    # Engine
    # Process code (scripts, conditions, expressions) runs in evaluator processes with hard limits: wall-clock
    # seconds per evaluation, address space of an evaluator, evaluators per web/worker/scheduler process.
    SCRIPT_TIME_LIMIT_S = float(os.environ.get("SCRIPT_TIME_LIMIT_S", "1.0"))
    SCRIPT_MEMORY_LIMIT_MB = int(os.environ.get("SCRIPT_MEMORY_LIMIT_MB", "256"))
    SCRIPT_EVALUATORS = int(os.environ.get("SCRIPT_EVALUATORS", "2"))
    JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "5"))
    JOB_BACKOFF_BASE_S = float(os.environ.get("JOB_BACKOFF_BASE_S", "2.0"))
    JOB_TIMEOUT_S = int(os.environ.get("JOB_TIMEOUT_S", "300"))
    # A running job's lease: renewed by its worker every quarter of it, so a dead worker's job is handed to
    # another one this many seconds after the last renewal.
    JOB_LEASE_S = float(os.environ.get("JOB_LEASE_S", "10"))
    ENGINE_RETRIES = 10
    # Liveness: workers and the leading scheduler beat every *_HEARTBEAT_S; /healthz/pieces counts a piece
    # dead once its last beat is older than HEALTH_STALE_AFTER_S.
    WORKER_HEARTBEAT_S = float(os.environ.get("WORKER_HEARTBEAT_S", "1"))
    SCHEDULER_HEARTBEAT_S = float(os.environ.get("SCHEDULER_HEARTBEAT_S", "1"))
    HEALTH_STALE_AFTER_S = float(os.environ.get("HEALTH_STALE_AFTER_S", "5"))
    SCHEDULER_TICK_S = float(os.environ.get("SCHEDULER_TICK_S", "0.25"))
    # More instances than TIMER_HANDOUT_MIN with due timers: the scheduler hands them to the workers in batches
    # of TIMER_BATCH (each batch woken in one transaction) instead of firing them itself (app/engine/timers.py).
    TIMER_HANDOUT_MIN = int(os.environ.get("TIMER_HANDOUT_MIN", "200"))
    TIMER_BATCH = int(os.environ.get("TIMER_BATCH", "200"))
    # Several schedulers may run (hot standbys); they elect a leader under this Redis key.
    SCHEDULER_LEADER_KEY = os.environ.get("SCHEDULER_LEADER_KEY", "bpm:scheduler:leader")
    # Engine tasks (scripts, gateways, events) one advance may run before it stops with an incident.
    ENGINE_MAX_STEPS = int(os.environ.get("ENGINE_MAX_STEPS", "2000"))
    # Reverse proxies in front of the web process (nginx: 1). Their X-Forwarded-For / -Proto / -Host are
    # trusted for that many hops, so rate limits and the evidence log see the real client address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Workflows kept in memory per process after a step, so the next step of the same instance skips
    # reading and restoring it (app/engine/instance_cache.py); 0 turns the cache off. A restored workflow
    # takes about 4x its JSON state in memory (~130 KB for a 33 KB state).
    ENGINE_INSTANCE_CACHE = int(os.environ.get("ENGINE_INSTANCE_CACHE", "64"))
    OPERATION_MODULES = ("tasks.operations",)  # plus each area's (Area.operations)
    # Agreements and their documents (三方协议). Unset directories live under VAR_DIR (documents/, pki/),
    # never in git. The passphrase encrypts the signing keys on disk: set it in production.
    DOCUMENTS_DIR = os.environ.get("DOCUMENTS_DIR")
    DOCUMENTS_KEY_DIR = os.environ.get("DOCUMENTS_KEY_DIR")
    DOCUMENTS_KEY_PASSPHRASE = _secret("DOCUMENTS_KEY_PASSPHRASE", "documents_passphrase")
    DOCUMENTS_FONT_PATH = os.environ.get("DOCUMENTS_FONT_PATH")
    DOCUMENTS_SOFFICE = os.environ.get("DOCUMENTS_SOFFICE", "soffice")
    # RFC 3161 time-stamping authority; "local" = the installation's own TSA certificate (development, tests).
    TSA_URL = os.environ.get("TSA_URL", "local")
    # Seals every evidence entry (HMAC): kept outside the database, so a database writer cannot re-seal an edit.
    EVIDENCE_KEY = _secret("EVIDENCE_KEY", "evidence_key")
    UNIVERSITY_NAME = os.environ.get("UNIVERSITY_NAME", "示范大学")
    UNIVERSITY_OFFICE = os.environ.get("UNIVERSITY_OFFICE", "就业指导中心")
    SCHOOL_CODE = os.environ.get("SCHOOL_CODE", "10001")  # 学校代码 in agreement numbers
    # `flask demo-data` also makes a lively university: a few hundred students, agreements at every stage,
    # recommendation requests, a pending registration, an incident (made through the processes; off in tests,
    # whose shared fixture stays small).
    DEMO_ACTIVITY = os.environ.get("DEMO_ACTIVITY", "1").lower() not in ("0", "false", "no", "off")
    AGREEMENT_RESPONSE_WINDOW = os.environ.get("AGREEMENT_RESPONSE_WINDOW", "P7D")  # ISO 8601 duration
    AGREEMENT_REMINDER_CYCLE = os.environ.get("AGREEMENT_REMINDER_CYCLE", "R3/P2D")  # 催签: ISO repeating interval
    # Devices (integrations/devices, docs/devices.md): the gateway the worker calls, http(s):// or mqtt(s)://
    # (default: the simulator that `make run` starts); its bearer token; the secret that signs its webhook
    # events; retries with backoff within a call's timeout.
    DEVICE_SIMULATOR = os.environ.get("DEVICE_SIMULATOR", "on")
    DEVICE_SIMULATOR_URL = os.environ.get("DEVICE_SIMULATOR_URL", "http://127.0.0.1:8765")
    DEVICE_GATEWAY_URL = os.environ.get("DEVICE_GATEWAY_URL") or DEVICE_SIMULATOR_URL
    DEVICE_GATEWAY_TOKEN = _secret("DEVICE_GATEWAY_TOKEN", "device_gateway_token")
    DEVICE_WEBHOOK_SECRET = _secret("DEVICE_WEBHOOK_SECRET", "device_webhook_secret")
    DEVICE_WEBHOOK_URL = os.environ.get("DEVICE_WEBHOOK_URL")
    # a device's own webhook secret, "printer-1=secret,screen-1=secret" (others: DEVICE_WEBHOOK_SECRET)
    DEVICE_WEBHOOK_SECRETS = dict(item.split("=", 1) for item in os.environ.get("DEVICE_WEBHOOK_SECRETS", "").split(",")
                                  if "=" in item)
    DEVICE_MQTT_PREFIX = os.environ.get("DEVICE_MQTT_PREFIX", "bpm")
    DEVICE_CALL_TIMEOUT_S = float(os.environ.get("DEVICE_CALL_TIMEOUT_S", "10"))
    DEVICE_ATTEMPT_TIMEOUT_S = float(os.environ.get("DEVICE_ATTEMPT_TIMEOUT_S", "3"))
    DEVICE_MAX_ATTEMPTS = int(os.environ.get("DEVICE_MAX_ATTEMPTS", "4"))
    DEVICE_BACKOFF_BASE_S = float(os.environ.get("DEVICE_BACKOFF_BASE_S", "0.2"))
    DEVICE_BACKOFF_MAX_S = float(os.environ.get("DEVICE_BACKOFF_MAX_S", "2"))
    # Notifications (docs/notifications.md): channels per kind and role in config/notifications.toml. E-mail
    # goes out through MAIL_SERVER (unset: no e-mail, in-app only); links in messages start with
    # PUBLIC_BASE_URL, the address users open the site at.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")  # STARTTLS (587)
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "").lower() in ("1", "true", "yes")  # TLS (465)
    MAIL_FROM = os.environ.get("MAIL_FROM", "noreply@localhost")
    MAIL_FROM_NAME = os.environ.get("MAIL_FROM_NAME")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "6"))
    NOTIFY_BACKOFF_BASE_S = float(os.environ.get("NOTIFY_BACKOFF_BASE_S", "30"))
    # Live events (docs/live.md): where pages open their event stream (the stream server; nginx routes
    # /events there); unset = this app's own /events. Tokens are checked when a stream (re)connects; a
    # stream is closed after LIVE_STREAM_MAX_S so that the browser reconnects with a fresh check.
    LIVE_STREAM_URL = os.environ.get("LIVE_STREAM_URL")
    LIVE_TOKEN_MAX_AGE_S = int(os.environ.get("LIVE_TOKEN_MAX_AGE_S", "3600"))
    LIVE_STREAM_MAX_S = int(os.environ.get("LIVE_STREAM_MAX_S", "3600"))
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Sessions live in Redis (app/platform/sessions.py): a session ends after SESSION_IDLE_S without a request
    # and SESSION_MAX_S after sign-in at the latest; for the roles in STAFF_SESSION_ROLES (who see everyone's
    # data or change processes) the STAFF_ limits apply. Sign-out, a password change and deactivation end
    # sessions at once.
    SESSION_IDLE_S = int(os.environ.get("SESSION_IDLE_S", str(2 * 3600)))
    SESSION_MAX_S = int(os.environ.get("SESSION_MAX_S", str(7 * 24 * 3600)))
    STAFF_SESSION_IDLE_S = int(os.environ.get("STAFF_SESSION_IDLE_S", str(30 * 60)))
    STAFF_SESSION_MAX_S = int(os.environ.get("STAFF_SESSION_MAX_S", str(10 * 3600)))
    STAFF_SESSION_ROLES = ("staff", "admin", "process_owner")
    # The largest request body (uploads included): Werkzeug refuses a bigger one with 413 before reading it.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "25")) * 1024 * 1024
    HSTS_MAX_AGE_S = 0  # Strict-Transport-Security off: development serves plain HTTP


class ProductionConfig(Config):
    """Behind HTTPS: cookies only over TLS, and browsers told to use nothing else for a year."""
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_MAX_AGE_S = int(os.environ.get("HSTS_MAX_AGE_S", str(365 * 24 * 3600)))


class TestConfig(Config):
    TESTING = True
    ARCHIVE_DEMO_COHORT = 60  # enough for every stage; the web tests load the demo once per database
    PUBLIC_POSTS_PER_WINDOW = 10_000  # tests post to public forms from one address all session long
    OPERATION_MODULES = ("tasks.operations", "tests.operations")
    WTF_CSRF_ENABLED = False
    JOB_BACKOFF_BASE_S = 0.05
    REPORTING_SETTLE_S = 0.0  # one test's steps never overlap another's: analytics read every event at once
    DEMO_ACTIVITY = False
