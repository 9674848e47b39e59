"""Web fixtures: the real processes deployed, the demo university loaded, clients signed in per role."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.services.demo import DEMO_PASSWORD

ROLE_USERS = {
    "student": "2022010101",        # CS college
    "counselor": "counselor_cs",
    "staff": "staff1",
    "employer": "hr_huachen",
    "process_owner": "owner",
    "admin": "admin",
}


@pytest.fixture(scope="session")
def web_setup(app):
    from app.engine import deploy_directory
    from app.services.demo import load_demo_data

    with app.app_context():
        deploy_directory()
        load_demo_data()
    return app


@pytest.fixture
def web(web_setup):
    """No app context is held during the test: each request must get its own, as in production
    (a held context would share flask.g, and so the signed-in user, between requests)."""
    return Web(web_setup)


class Web:
    def __init__(self, app):
        self.app = app

    def client(self, username: str | None):
        client = self.app.test_client()
        if username:
            resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
            assert resp.status_code == 302, f"login of {username} failed: {resp.status_code}"
        return client

    def query(self, statement):
        """Run one SELECT in a short app context of its own; returns the result rows."""
        from app.platform.extensions import db

        with self.app.app_context():
            try:
                return db.session.execute(statement).all()
            finally:
                db.session.remove()

    def scalar(self, statement):
        rows = self.query(statement)
        return rows[0][0] if rows else None

    def add(self, obj) -> int:
        from app.platform.extensions import db

        with self.app.app_context():
            db.session.add(obj)
            db.session.commit()
            obj_id = obj.id
            db.session.remove()
        return obj_id
