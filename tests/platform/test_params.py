"""The strict reader of request parameters (issue 8.8): what 500'd before answers 400 or 404."""
from __future__ import annotations

from datetime import date

import pytest
from flask import Flask, jsonify, request
from werkzeug.datastructures import MultiDict

from app.platform import params


@pytest.fixture(scope="module")
def tiny():
    app = Flask(__name__)
    params.install(app)

    @app.get("/things/<int:thing_id>")
    def thing(thing_id: int):
        return jsonify(id=thing_id)

    @app.route("/list", methods=["GET", "POST"])
    def listing():
        day = params.iso_date(request.args, "day")
        return jsonify(page=params.page_number(), day=day and day.isoformat(), q=params.text(request.values, "q"))

    with app.app_context():  # the 400's text is translated: Babel needs an app
        from flask_babel import Babel

        Babel(app)
    return app.test_client()


@pytest.mark.parametrize("path, status", [
    ("/things/2147483647", 200), ("/things/2147483648", 404), ("/things/99999999999999999999", 404),
    ("/things/%C2%B2", 404), ("/things/%D9%A3", 404), ("/things/-1", 404),
    ("/list?page=%C2%B2", 400), ("/list?page=0", 400), ("/list?page=1000000", 400), ("/list?page=3", 200),
    ("/list?day=0001-01-01", 400), ("/list?day=9999-12-31", 400), ("/list?day=2026-02-30", 400),
    ("/list?day=%D9%A2%D9%A0%D9%A2%D9%A6-01-01", 400), ("/list?day=2026-09-01", 200),
    ("/list?q=a%00b", 400), ("/list%00", 400), ("/things/1%00", 400), ("/list?q=%E4%B8%AD%E6%96%87", 200),
])
def test_hostile_parameters_answer_400_or_404(tiny, path, status):
    assert tiny.get(path).status_code == status


def test_a_nul_in_a_posted_field_is_refused_and_newlines_are_not(tiny):
    assert tiny.post("/list", data={"q": "a\x00b"}).status_code == 400
    assert tiny.post("/list", data={"comment": "line one\r\nline two\t."}).status_code == 200


def test_readers():
    args = MultiDict({"n": " 42 ", "big": "2147483648", "sup": "²", "d": "2026-09-01", "s": "done", "t": " x "})
    assert params.integer(args, "n") == 42 and params.integer(args, "missing", 7) == 7
    for name in ("big", "sup"):
        with pytest.raises(params.BadParameter):
            params.integer(args, name)
    assert params.iso_date(args, "d") == date(2026, 9, 1) and params.iso_date(args, "missing") is None
    assert params.choice(args, "s", ("done", "open")) == "done"
    with pytest.raises(params.BadParameter):
        params.choice(args, "t", ("done",))
    assert params.text(args, "t") == "x"
    assert params.whole_number("٣") is None and params.whole_number("12", 1, 10) is None
    assert params.whole_number("0012") == 12
    assert params.calendar_date("1899-12-31") is None and params.calendar_date("2199-12-31") == date(2199, 12, 31)


def test_what_the_fuzzing_of_issue_8_found_on_the_real_pages(web):
    staff, admin = web.client("staff1"), web.client("admin")
    for path in ("/agreements/2147483648", "/instances/2147483648", "/agreements/99999999999999999999"):
        assert staff.get(path).status_code == 404, path
    assert admin.get("/admin/processes/2147483648/source.bpmn").status_code == 404
    for path in ("/?page=%C2%B2", "/?due_before=0001-01-01", "/?due_after=9999-12-31", "/?key=a%00b",
                 "/tasks/%00", "/agreements/?college=%C2%B2", "/agreements/?page=%C2%B2&status=in_force"):
        resp = staff.get(path)
        assert resp.status_code == 400 and "Traceback" not in resp.get_data(as_text=True), path
