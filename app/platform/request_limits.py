"""How large a request body may be: MAX_CONTENT_LENGTH for every request, a smaller limit for a view marked
with `body_limit`. Werkzeug refuses a body over the limit (413) from its Content-Length before reading it,
and stops reading a chunked one at the limit, so an oversized upload is never stored."""
from __future__ import annotations

from collections.abc import Callable

from flask import Request, current_app


def body_limit(max_bytes: int) -> Callable[[Callable], Callable]:
    """Refuse requests to this view whose body is larger than `max_bytes` (smaller than MAX_CONTENT_LENGTH)."""
    def mark(view: Callable) -> Callable:
        view.max_body_bytes = max_bytes
        return view
    return mark


class LimitedRequest(Request):
    """A request whose size limit is its view's `body_limit` when that is smaller than the application's."""

    @property
    def max_content_length(self) -> int | None:
        limit = Request.max_content_length.fget(self)
        if self._max_content_length is not None or not current_app or self.url_rule is None:
            return limit
        view = current_app.view_functions.get(self.url_rule.endpoint)
        own = getattr(view, "max_body_bytes", None)
        if own is None:
            return limit
        return own if limit is None else min(own, limit)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
