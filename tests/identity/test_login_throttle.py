"""Login throttling holds under parallel requests (issue 8 point 2): the attempt is counted and checked in one
atomic step before the password is looked at, and a correct password does not wipe the failures counted."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from app.identity import throttle
from app.identity.demo import DEMO_PASSWORD


def _post(app, address: str, username: str, password: str) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/login", data={"username": username, "password": password}).status_code


def test_thirty_parallel_guesses_for_one_account_try_at_most_five(web, unique):
    address = f"10.7.{int(unique[:2], 16)}.{int(unique[2:4], 16)}"
    with web.app.app_context():
        throttle.reset("counselor_fl", address)
    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(lambda _: _post(web.app, address, "counselor_fl", "wrong guess"), range(30)))
        assert statuses.count(401) <= throttle.MAX_ATTEMPTS, statuses  # tried: the password was checked
        assert statuses.count(401) + statuses.count(429) == 30
        assert _post(web.app, address, "counselor_fl", DEMO_PASSWORD) == 429  # still locked
    finally:
        with web.app.app_context():
            throttle.reset("counselor_fl", address)


def test_a_success_does_not_wipe_the_failures_counted_against_the_address(web, unique):
    address = f"10.8.{int(unique[:2], 16)}.{int(unique[2:4], 16)}"
    others = [f"nobody_{unique}_{i}" for i in range(4)]
    with web.app.app_context():
        for name in ("counselor_fl", *others):
            throttle.reset(name, address)
    try:
        for name in others:  # four failures from this address, each for another user name
            assert _post(web.app, address, name, "wrong") == 401
        assert _post(web.app, address, "counselor_fl", DEMO_PASSWORD) == 302
        assert _post(web.app, address, f"nobody_{unique}_x", "wrong") == 401  # the fifth failure
        assert _post(web.app, address, "counselor_fl", DEMO_PASSWORD) == 429  # the address is locked now
    finally:
        with web.app.app_context():
            for name in ("counselor_fl", *others, f"nobody_{unique}_x"):
                throttle.reset(name, address)
