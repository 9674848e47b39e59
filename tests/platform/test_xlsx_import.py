"""The generic Excel import: template, reading and checking, the marked-up error report, the change plan."""
from __future__ import annotations

import io

import pytest
from flask import Flask
from flask_babel import Babel
from openpyxl import Workbook, load_workbook

from app.platform import xlsx_import as xl

SHEET = xl.Sheet("学生", (
    xl.Column("number", "学号", xl.matching(r"\d{6,12}", "6 到 12 位数字"), required=True, example="2026000001"),
    xl.Column("name", "姓名", xl.text(40), required=True, example="张三"),
    xl.Column("gender", "性别", xl.choice(("男", "女")), example="男"),
    xl.Column("year", "入学年份", xl.integer(2000, 2100), example="2026"),
), key="number")


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield


def workbook(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_template_reads_back_as_its_example_row():
    reading = xl.read(SHEET, xl.template(SHEET))
    assert reading.ok
    assert [r.values for r in reading.rows] == [{"number": "2026000001", "name": "张三", "gender": "男",
                                                  "year": 2026}]
    ws = load_workbook(io.BytesIO(xl.template(SHEET))).active
    assert ws["A1"].font.bold and not ws["C1"].font.bold
    assert ws["A5"].number_format == "@"


def test_bad_cells_are_reported_by_row_and_column_and_keep_the_row_out():
    data = workbook(("学号", "姓名", "性别", "入学年份"),
                    (2026000001, "张三", "男", 2026.0),
                    ("12ab", "", "未知", "明年"),
                    (None, None, None, None),
                    ("2026000001", "李四", "女", 2026))
    reading = xl.read(SHEET, data)
    assert [r.number for r in reading.rows] == [2]
    assert reading.rows[0].values["number"] == "2026000001"  # a number typed into Excel keeps its digits
    assert {(p.row, p.column) for p in reading.problems} == {(3, "学号"), (3, "姓名"), (3, "性别"), (3, "入学年份"),
                                                            (5, "学号")}
    assert "2" in next(p.message for p in reading.problems if p.row == 5)


def test_a_missing_required_column_is_one_problem_on_the_header_row():
    reading = xl.read(SHEET, workbook(("姓名",), ("张三",)))
    assert [(p.row, p.column) for p in reading.problems] == [(1, "学号")]
    assert reading.rows == []


def test_columns_may_be_found_by_key_and_in_any_order():
    reading = xl.read(SHEET, workbook(("name", "学号"), ("王五", "2026000009")))
    assert reading.ok and reading.rows[0].values == {"number": "2026000009", "name": "王五", "gender": None,
                                                     "year": None}


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(xl.ImportFileError):
        xl.read(SHEET, b"number,name\n1,2\n")


def test_the_marked_up_workbook_shows_each_problem_where_it_is():
    data = workbook(("学号", "姓名", "性别"), ("2026000001", "张三", "男"), ("x", "李四", "外星"))
    reading = xl.read(SHEET, data)
    ws_book = load_workbook(io.BytesIO(xl.marked_up(SHEET, data, reading.problems)))
    ws = ws_book.worksheets[0]
    assert ws["A3"].fill.fgColor.rgb.endswith("FFC7CE") and ws["A3"].comment is not None
    assert ws["B3"].comment is None and ws["A2"].comment is None
    assert ws["D1"].value == xl.PROBLEMS_HEADER and "性别" in ws["D3"].value and ws["D2"].value is None
    listing = [row for row in ws_book[xl.PROBLEMS_HEADER].iter_rows(min_row=2, values_only=True)]
    assert sorted((r[0], r[1]) for r in listing) == [(3, "学号"), (3, "性别")]


def test_changes_create_new_keys_and_update_only_what_differs():
    rows = xl.read(SHEET, workbook(("学号", "姓名", "性别"), ("2026000001", "张三", "男"),
                                   ("2026000002", "李四", "女"), ("2026000003", "王五", None))).rows
    existing = {"2026000001": {"name": "张三", "gender": "男"}, "2026000002": {"name": "李四", "gender": "男"},
                "2026000003": {"name": "王五", "gender": "女"}}
    plan = xl.changes(existing, rows, key="number", compared=("name", "gender"))
    assert plan.summary() == {"create": 0, "update": 1, "unchanged": 2}
    assert plan.update[0][1] == {"gender": ("男", "女")}
    assert xl.changes({}, rows, key="number", compared=("name",)).summary()["create"] == 3


def test_a_row_typed_into_a_form_is_checked_by_the_same_rules():
    row, problems = xl.parse_values(SHEET, {"number": "2026000001", "name": "张三", "year": "1999"})
    assert row is None and [(p.column, p.row) for p in problems] == [("year", 0)]
    row, problems = xl.parse_values(SHEET, {"number": " 2026000001 ", "name": "张三"})
    assert not problems and row.values == {"number": "2026000001", "name": "张三", "gender": None, "year": None}


def test_progress_is_kept_outside_the_transaction_for_a_page_to_poll(app, unique):
    from app.platform import progress

    with app.app_context():
        assert progress.current(unique) is None
        progress.report(unique, done=250, total=1000)
        assert progress.current(unique) == {"done": 250, "total": 1000, "percent": 25}
        progress.clear(unique)
        assert progress.current(unique) is None
