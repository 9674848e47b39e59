"""Fixtures of the booking tests: controlled time, the device simulator as a subprocess pointed at by the app,
resources of their own per test (plain inserts, unique codes), people to book them."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import insert

from app.bookings import domain
from app.bookings.models import Resource
from app.identity.models import User, UserRole
from app.platform.extensions import db
from tests.bookings.clock import Clock
from tests.integrations.devices.conftest import start_simulator, stop_simulator  # noqa: F401
from tests.integrations.devices.conftest import mqtt_url, webhook, webhook_secret  # noqa: F401 - fixtures

LOCAL = domain.LOCAL_TZ


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture(scope="session")
def deployed(app):
    from app.engine import deploy_directory

    with app.app_context():
        deploy_directory()
    return app


@pytest.fixture
def bctx(deployed):
    """An app context with the processes deployed; the session cleaned up after the test."""
    with deployed.app_context():
        yield deployed
        db.session.remove()


@pytest.fixture(scope="session")
def simulator(tmp_path_factory, mqtt_url, webhook, webhook_secret, app):  # noqa: F811
    sim = start_simulator(tmp_path_factory.mktemp("simulator"), mqtt_url, webhook.url, webhook_secret)
    saved = {k: app.config.get(k) for k in ("DEVICE_GATEWAY_URL", "DEVICE_GATEWAY_TOKEN", "DEVICE_ATTEMPT_TIMEOUT_S",
                                            "DEVICE_CALL_TIMEOUT_S", "DEVICE_BACKOFF_BASE_S", "DEVICE_BACKOFF_MAX_S")}
    app.config.update(DEVICE_GATEWAY_URL=sim.url, DEVICE_GATEWAY_TOKEN=sim.token, DEVICE_ATTEMPT_TIMEOUT_S=1.0,
                      DEVICE_CALL_TIMEOUT_S=6.0, DEVICE_BACKOFF_BASE_S=0.02, DEVICE_BACKOFF_MAX_S=0.1)
    yield sim
    app.config.update(saved)
    stop_simulator(sim)


def people(n: int, role: str = "student") -> list[int]:
    tag = uuid.uuid4().hex[:8]
    ids = db.session.execute(insert(User.__table__).returning(User.__table__.c.id), [
        {"username": f"b{tag}{i}", "display_name": f"预约人{i}", "active": True,
         "created_at": datetime.now(LOCAL)} for i in range(n)]).scalars().all()
    db.session.execute(insert(UserRole.__table__), [{"user_id": u, "role": role} for u in ids])
    db.session.commit()
    return list(ids)


def make_resource(mode: str = domain.DIRECT, kind: str = domain.STUDIO, devices: list[dict] | None = None,
                  **changes) -> Resource:
    values = dict(code=f"R-{uuid.uuid4().hex[:10]}", name=f"测试录播间{uuid.uuid4().hex[:4]}", kind=kind,
                  location="就业指导中心 3 楼", booking_mode=mode, opens="08:00", closes="21:00", closed_weekdays=[],
                  closed_dates=[], slot_minutes=60, max_minutes=120, advance_days=14, grace_minutes=15,
                  remind_minutes=60, roles=["student", "staff"], devices=devices or [], description="", active=True)
    values.update(changes)
    resource = Resource(**values)
    db.session.add(resource)
    db.session.commit()
    return resource


def next_slot(days: int = 1, hour: int = 10, minutes: int = 60) -> domain.Slot:
    start = datetime.combine(date.today() + timedelta(days=days), time(hour), LOCAL)
    return domain.Slot(start, start + timedelta(minutes=minutes))
