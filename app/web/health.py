"""Health endpoint of the web piece: database and Redis reachable."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db
from app.web.security import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def health():
    from app.queue import redis_connection

    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as err:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(err).__name__}"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception as err:  # noqa: BLE001
        checks["redis"] = f"error: {type(err).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "degraded", checks=checks), 200 if ok else 503
