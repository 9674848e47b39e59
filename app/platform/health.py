"""Health of each running piece: /healthz (this web process: database, Redis) and /healthz/pieces
(workers and the leading scheduler, alive while their heartbeats are recent: a killed piece shows dead
within HEALTH_STALE_AFTER_S seconds)."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.platform.extensions import db
from app.platform.queue import job_queue, redis_connection
from app.platform.web import public
from app.scheduler import heartbeat_age_s
from app.worker import alive_workers

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def health():
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
    config = current_app.config
    stale = config["HEALTH_STALE_AFTER_S"]
    try:
        workers = alive_workers(job_queue(), stale)
        scheduler_age = heartbeat_age_s(redis_connection(), config["SCHEDULER_LEADER_KEY"])
    except Exception as err:  # noqa: BLE001
        return jsonify(status="degraded", error=type(err).__name__), 503
    scheduler_alive = scheduler_age is not None and scheduler_age <= stale
    ok = bool(workers) and scheduler_alive
    return jsonify(status="ok" if ok else "degraded", workers=len(workers), queue=config["RQ_QUEUE"],
                   worker_names=sorted(w.name for w in workers), scheduler="alive" if scheduler_alive else "dead",
                   scheduler_heartbeat_age_s=scheduler_age, stale_after_s=stale), 200 if ok else 503
