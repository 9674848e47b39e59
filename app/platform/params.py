"""Reading query parameters the same way on every page."""
from flask import request


def page_number() -> int:
    """The `page` query parameter: a positive number of at most six digits, else 1."""
    value = request.args.get("page", "1")
    return max(1, int(value)) if value.isdigit() and len(value) < 7 else 1
