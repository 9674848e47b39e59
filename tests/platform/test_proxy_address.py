"""Behind a reverse proxy (TRUSTED_PROXIES) the client address comes from X-Forwarded-For, else the socket."""
from __future__ import annotations

import pytest
from flask import request

from tests.procs import build_config


@pytest.mark.parametrize(("proxies", "expected"), [(0, "10.0.0.2"), (1, "203.0.113.9")])
def test_client_address_behind_a_proxy(tmp_path, proxies, expected):
    from app import create_app

    app = create_app(build_config(f"sqlite:///{tmp_path / 'p.sqlite'}", "redis://127.0.0.1:6379/15", "q",
                                  str(tmp_path), TRUSTED_PROXIES=proxies))
    app.add_url_rule("/_address", "address", lambda: request.remote_addr)
    response = app.test_client().get("/_address", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
                                     environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.get_data(as_text=True) == expected
