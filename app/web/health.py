"""Health of each running piece: /healthz (this web process: database, Redis) and /healthz/pieces
(workers seen by RQ, the scheduler's heartbeat)."""
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.platform.extensions import db
from app.web.security import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def health():
    from app.platform.queue import redis_connection

    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as err:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(err).__name__}"
    finally:
        db.session.rollback()
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception as err:  # noqa: BLE001
        checks["redis"] = f"error: {type(err).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "degraded", checks=checks), 200 if ok else 503


@bp.get("/healthz/pieces")
@public
def pieces():
    from rq import Worker

    from app.platform.queue import job_queue, redis_connection
    from app.scheduler import HEARTBEAT_KEY

    try:
        redis = redis_connection()
        workers = Worker.count(queue=job_queue())
        beat = redis.get(HEARTBEAT_KEY)
        scheduler_age = round(time.time() - float(beat), 1) if beat else None
    except Exception as err:  # noqa: BLE001
        return jsonify(status="degraded", error=type(err).__name__), 503
    ok = workers > 0 and scheduler_age is not None and scheduler_age < 30
    return jsonify(status="ok" if ok else "degraded", workers=workers, queue=current_app.config["RQ_QUEUE"],
                   scheduler_heartbeat_age_s=scheduler_age), 200 if ok else 503
