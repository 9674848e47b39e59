"""/healthz is public and checks this process's database and Redis (the pieces: test_pieces_health.py)."""
from __future__ import annotations


def test_health_of_this_process(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json["checks"] == {"database": "ok", "redis": "ok"}
