"""Links inside notifications: site paths, built also where there is no request (workers, the scheduler)."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values) -> str:
    """The path of `endpoint` (e.g. "/tasks/<guid>"), with or without a request."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)
