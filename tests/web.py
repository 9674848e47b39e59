"""Web helpers: the demo accounts per role, clients signed in, short database reads outside requests.
The fixtures `web_setup` and `web` (tests/conftest.py) deploy the real processes and load the demo data."""
from __future__ import annotations

from app.identity.demo import DEMO_PASSWORD

ROLE_USERS = {
    "student": "2022010101",        # CS college
    "counselor": "counselor_cs",
    "staff": "staff1",
    "employer": "hr_huachen",
    "process_owner": "owner",
    "admin": "admin",
}


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
