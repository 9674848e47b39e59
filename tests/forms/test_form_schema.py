"""Form schema service: loading, the field tree, parsing a posted form, validation and messages.
No database, no application (one test pushes a bare Flask app to check the Babel locale)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app.forms import (
    Form,
    FormDefinitionError,
    RowAction,
    apply_row_action,
    initial_values,
    load_form,
    merge_submission,
    parse_submission,
    row_action,
    validate,
)
from app.forms import messages as fs

FORMS = Path(__file__).resolve().parent.parent / "forms"


@pytest.fixture(scope="module")
def form() -> Form:
    return load_form(FORMS, "widgets.json", "widgets.ui.json")


def parse(form: Form, pairs, existing=None, **kw) -> dict:
    return parse_submission(form, MultiDict(pairs), MultiDict(), existing or {}, **kw)


def codes(errors: dict) -> dict[str, list[str]]:
    return {path: [e.code for e in errs] for path, errs in errors.items()}


VALID = [
    ("student_name", "张三"), ("email", "zhang.san@stu.example.edu.cn"), ("mobile", "13800138000"),
    ("grade", "2023"), ("degree", "master"), ("start_date", "2025-07-01"), ("employer.name", "华为技术有限公司"),
    ("employer.contact.phone", "0755-28780808"), ("agree", "true"),
]


# ------------------------------------------------------------------------------------------ loading

@pytest.mark.parametrize("name", [
    "../widgets.json", "../../etc/passwd.json", "/etc/passwd.json", "sub/widgets.json", "..\\widgets.json",
    "widgets.json/../../x.json", "widgets.txt", ".hidden.json", "widgets.json\x00.json", "", "a b.json",
])
def test_unsafe_file_names_are_refused(name):
    with pytest.raises(FormDefinitionError):
        load_form(FORMS, name)


def test_ui_file_name_is_checked_too():
    with pytest.raises(FormDefinitionError):
        load_form(FORMS, "widgets.json", "../forms/widgets.ui.json")


def test_symlink_out_of_forms_dir_is_refused(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('{"type": "object", "properties": {}}')
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "link.json").symlink_to(outside)
    with pytest.raises(FormDefinitionError, match="outside"):
        load_form(forms, "link.json")


def test_bad_json_is_a_clear_definition_error(tmp_path):
    (tmp_path / "broken.json").write_text('{"type": "object",\n "properties": {,}}')
    with pytest.raises(FormDefinitionError, match=r"broken\.json: invalid JSON at line 2 column"):
        load_form(tmp_path, "broken.json")


def test_missing_file_invalid_schema_and_unknown_widget(tmp_path):
    with pytest.raises(FormDefinitionError, match="not found"):
        load_form(tmp_path, "nope.json")
    (tmp_path / "bad.json").write_text('{"type": "object", "properties": {"a": {"type": "strin"}}}')
    with pytest.raises(FormDefinitionError, match="invalid JSON Schema"):
        load_form(tmp_path, "bad.json")
    (tmp_path / "ok.json").write_text('{"type": "object", "properties": {"a": {"type": "string"}}}')
    (tmp_path / "ok.ui.json").write_text('{"a": {"ui:widget": "colour-wheel"}}')
    with pytest.raises(FormDefinitionError, match="unknown ui:widget"):
        load_form(tmp_path, "ok.json", "ok.ui.json")
    (tmp_path / "dot.json").write_text('{"type": "object", "properties": {"a.b": {"type": "string"}}}')
    with pytest.raises(FormDefinitionError, match="cannot be used"):
        load_form(tmp_path, "dot.json")
    (tmp_path / "up.json").write_text('{"type": "object", "properties": {"f": {"x-file": true, "accept": ["text/html"]}}}')
    with pytest.raises(FormDefinitionError, match="unsupported upload type"):
        load_form(tmp_path, "up.json")


def test_cache_follows_mtime(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"type": "object", "properties": {"a": {"type": "string", "title": "甲"}}}')
    first = load_form(tmp_path, "c.json")
    assert load_form(tmp_path, "c.json") is first
    path.write_text('{"type": "object", "properties": {"a": {"type": "string", "title": "乙乙"}}}')
    later = time.time() + 5
    os.utime(path, (later, later))
    second = load_form(tmp_path, "c.json")
    assert second is not first and second.field("a").label == "乙乙"


# ------------------------------------------------------------------------------------------ the tree

def test_field_tree(form):
    keys = [f.key for f in form.fields]
    assert keys[:2] == ["student_no", "student_name"] and keys[-2:] == ["reviewer_comment", "agree"]
    phone = form.field("employer.contact.phone")
    assert (phone.name, phone.id, phone.label, phone.required, phone.widget, phone.format) == (
        "employer.contact.phone", "f-employer.contact.phone", "电话", True, "tel", "phone")
    assert form.field("employer.contact").label == "单位联系人"  # ui:title wins
    assert form.field("employer.contact").children[0].path == "employer.contact.person"
    qty = form.field("internships.3.months")
    assert (qty.path, qty.type, qty.minimum) == ("internships.3.months", "integer", 1)
    rows = form.field("internships")
    assert rows.widget == "array" and rows.items.path == "internships.__INDEX__" and rows.max_items == 5
    assert [c.label for c in form.field("grade").choices] == ["2022级", "2023级", "2024级", "2025级"]
    assert [(c.value, c.label) for c in form.field("degree").choices][0] == ("bachelor", "本科")
    assert form.field("skills").widget == "checkboxes"
    assert form.field("student_no").readonly and form.field("reviewer_comment").readonly
    resume = form.field("resume")
    assert (resume.type, resume.accept, resume.max_size) == ("file", ("application/pdf",), 1048576)
    assert form.has_files
    widgets = {f.widget for f in form.walk()}
    assert widgets >= {"text", "textarea", "email", "tel", "url", "number", "range", "select", "radio",
                       "checkboxes", "checkbox", "date", "datetime", "file", "hidden", "object", "array"}


def test_local_refs_are_followed():
    form = Form({"type": "object", "definitions": {"phone": {"type": "string", "format": "phone", "title": "电话"}},
                 "properties": {"tel": {"$ref": "#/definitions/phone"}}})
    assert form.field("tel").widget == "tel"
    assert codes(validate(form, {"tel": "123"})) == {"tel": ["format"]}


# --------------------------------------------------------------------------------------- parsing

def test_valid_submission_parses_to_typed_json(form):
    data = parse(form, VALID + [
        ("age", "21"), ("expected_salary", "4500.5"), ("hours_per_week", "20"), ("skills", "python"),
        ("skills", "english"), ("relocate", "true"), ("has_offer", "false"),
        ("interview_at", "2025-03-01T14:30"), ("self_intro", "  热爱软件开发，\r\n做过两个项目。  "),
        ("homepage", "https://github.com/zhangsan"), ("tracking_code", "T-01"),
    ])
    assert data["age"] == 21 and data["expected_salary"] == 4500.5 and data["hours_per_week"] == 20
    assert data["skills"] == ["python", "english"]
    assert data["relocate"] is True and data["has_offer"] is False and data["agree"] is True
    assert data["interview_at"] == "2025-03-01T14:30:00+08:00"
    assert data["self_intro"] == "热爱软件开发，\n做过两个项目。"
    assert data["employer"] == {"name": "华为技术有限公司", "contact": {"phone": "0755-28780808"}}
    assert data["tracking_code"] == "T-01"
    assert "student_no" not in data and "resume" not in data
    assert validate(form, data) == {}
    json.dumps(data)  # JSON-safe


def test_empty_inputs_are_absent_and_unchecked_boxes_false(form):
    data = parse(form, [("student_name", "   "), ("age", ""), ("grade", ""), ("has_offer", "")])
    assert "student_name" not in data and "age" not in data and "grade" not in data and "has_offer" not in data
    assert data["relocate"] is False and data["agree"] is False
    assert data["skills"] == []


@pytest.mark.parametrize("raw, expected", [
    ("12", 12), (" 12 ", 12), ("１２", 12), ("12.0", 12), ("-3", -3), ("+7", 7),
])
def test_integers(form, raw, expected):
    assert parse(form, [("age", raw)])["age"] == expected


@pytest.mark.parametrize("raw", ["x", "12岁", "1,000", "nan", "inf", "1e999", "1_000", "0x10", "12.5"])
def test_bad_integers_become_type_errors_not_exceptions(form, raw):
    data = parse(form, VALID + [("age", raw)])
    errors = validate(form, data)
    assert codes(errors) == {"age": ["type"]}
    assert errors["age"][0].params == {"expected": "integer"}
    assert errors["age"][0].message("zh_CN") == "请输入有效的整数。"
    assert errors["age"][0].message("en") == "Enter a valid whole number."


def test_numbers(form):
    assert parse(form, [("expected_salary", "8000")])["expected_salary"] == 8000
    assert parse(form, [("expected_salary", "0.5")])["expected_salary"] == 0.5
    assert parse(form, [("expected_salary", "1e3")])["expected_salary"] == 1000.0
    errors = validate(form, parse(form, VALID + [("expected_salary", "八千")]))
    assert codes(errors) == {"expected_salary": ["type"]}
    assert errors["expected_salary"][0].message() == "请输入有效的数字。"
    assert codes(validate(form, parse(form, VALID + [("expected_salary", "-1")]))) == {
        "expected_salary": ["minimum"]}


def test_boolean_checkbox_and_yes_no_radio(form):
    assert parse(form, [("relocate", "on")])["relocate"] is True
    assert parse(form, [("relocate", "true"), ("has_offer", "true")])["has_offer"] is True
    errors = validate(form, parse(form, VALID + [("has_offer", "maybe")]))
    assert codes(errors) == {"has_offer": ["type"]}


def test_enum_select_radio_and_checkboxes(form):
    errors = validate(form, parse(form, [p for p in VALID if p[0] not in ("grade", "degree")]
                                   + [("grade", "1999"), ("degree", "postdoc"), ("skills", "cobol")]))
    assert codes(errors) == {"grade": ["enum"], "degree": ["enum"], "skills": ["enum"]}  # shown at the group
    assert errors["grade"][0].message() == "请从列表中选择一个选项。"
    assert errors["grade"][0].message("en_US") == "Choose one of the listed options."


@pytest.mark.parametrize("raw, stored", [
    ("2025-07-01", "2025-07-01"), ("2025/7/1", "2025-07-01"), ("2025年7月1日", "2025-07-01"),
])
def test_dates(form, raw, stored):
    data = parse(form, [p for p in VALID if p[0] != "start_date"] + [("start_date", raw)])
    assert data["start_date"] == stored and validate(form, data) == {}


@pytest.mark.parametrize("raw", ["2025-02-30", "tomorrow", "01/07/2025"])
def test_bad_dates(form, raw):
    data = parse(form, [p for p in VALID if p[0] != "start_date"] + [("start_date", raw)])
    errors = validate(form, data)
    assert codes(errors) == {"start_date": ["format"]}
    assert errors["start_date"][0].params == {"format": "date"}
    assert errors["start_date"][0].message() == "请输入有效的日期（年-月-日）。"
    assert errors["start_date"][0].message("en") == "Enter a valid date (YYYY-MM-DD)."


@pytest.mark.parametrize("raw, stored", [
    ("2025-03-01T14:30", "2025-03-01T14:30:00+08:00"),
    ("2025-03-01T14:30:15", "2025-03-01T14:30:15+08:00"),
    ("2025-03-01T06:30:00Z", "2025-03-01T06:30:00+00:00"),
])
def test_datetimes_carry_the_china_offset(form, raw, stored):
    data = parse(form, VALID + [("interview_at", raw)])
    assert data["interview_at"] == stored and validate(form, data) == {}


def test_bad_datetime(form):
    errors = validate(form, parse(form, VALID + [("interview_at", "2025-13-01T25:00")]))
    assert codes(errors) == {"interview_at": ["format"]}
    assert errors["interview_at"][0].message() == "请输入有效的日期和时间。"


def test_datetime_input_value_is_local_china_time(form):
    spec = form.field("interview_at")
    assert spec.input_value("2025-03-01T06:30:00+00:00") == "2025-03-01T14:30"
    assert spec.input_value("2025-03-01T14:30:15+08:00") == "2025-03-01T14:30:15"


@pytest.mark.parametrize("raw, stored", [
    ("13800138000", "13800138000"), ("+86 138 0013 8000", "13800138000"), ("138-0013-8000", "13800138000"),
    ("010-12345678", "010-12345678"), ("0902-2345678", "0902-2345678"), ("021-55551234-802", "021-55551234-802"),
    ("400-810-8888", "400-810-8888"),
])
def test_phone_numbers(form, raw, stored):
    data = parse(form, [p for p in VALID if p[0] != "mobile"] + [("mobile", raw)])
    assert data["mobile"] == stored
    assert validate(form, data) == {}


@pytest.mark.parametrize("raw", ["12345", "12800138000", "1380013800", "138001380001", "phone", "010-123",
                                 "1234567", "0755-2878080", "13800138000-12"])
def test_bad_phone_numbers(form, raw):
    errors = validate(form, parse(form, [p for p in VALID if p[0] != "mobile"] + [("mobile", raw)]))
    assert codes(errors) == {"mobile": ["format"]}
    assert errors["mobile"][0].message().startswith("请输入有效的手机号码")
    assert errors["mobile"][0].message("en").startswith("Enter a valid mobile number")


def test_phone_widget_without_format_is_validated(form):
    errors = validate(form, parse(form, VALID + [("office_phone", "88")]))
    assert codes(errors) == {"office_phone": ["format"]}
    data = parse(form, VALID + [("office_phone", "010 6275 1234")])
    assert data["office_phone"] == "01062751234" and validate(form, data) == {}


@pytest.mark.parametrize("raw, ok", [("a@b.cn", True), ("张三@北大.中国", True), ("a@b", False),
                                     ("a b@c.cn", False), ("abc", False)])
def test_email(form, raw, ok):
    errors = validate(form, parse(form, [p for p in VALID if p[0] != "email"] + [("email", raw)]))
    assert (errors == {}) is ok
    if not ok:
        assert errors["email"][0].params == {"format": "email"}
        assert "电子邮箱" in errors["email"][0].message()


def test_url_format(form):
    assert validate(form, parse(form, VALID + [("homepage", "https://例子.cn/主页")])) == {}
    assert codes(validate(form, parse(form, VALID + [("homepage", "not a url")]))) == {"homepage": ["format"]}


# --------------------------------------------------------------------------- required, lengths, paths

def test_required_errors_map_to_the_missing_child(form):
    errors = validate(form, parse(form, [("employer.contact.person", "李四")]))
    assert codes(errors) == {
        "student_name": ["required"], "email": ["required"], "mobile": ["required"], "grade": ["required"],
        "degree": ["required"], "start_date": ["required"], "employer.name": ["required"],
        "employer.contact.phone": ["required"], "agree": ["accepted"],
    }
    assert list(errors) == ["student_name", "email", "mobile", "grade", "degree", "start_date",
                            "employer.name", "employer.contact.phone", "agree"]  # form order
    # the optional contact group left blank is absent, so its required phone is not asked for
    assert "employer.contact.phone" not in validate(form, parse(form, []))
    e = errors["employer.contact.phone"][0]
    assert e.message() == e.message("zh_CN") == "此项为必填项。"
    assert e.message("en") == "This field is required."
    assert errors["agree"][0].message() == "请勾选此项后再提交。"
    assert e.to_dict("en") == {"path": "employer.contact.phone", "code": "required", "params": {},
                               "message": "This field is required."}


def test_min_and_max_length_with_messages(form):
    errors = validate(form, parse(form, [p for p in VALID if p[0] != "student_name"]
                                   + [("student_name", "张"), ("self_intro", "太短")]))
    assert codes(errors) == {"student_name": ["minLength"], "self_intro": ["minLength"]}
    e = errors["student_name"][0]
    assert e.params == {"limit": 2}
    assert e.message() == "请至少输入 2 个字符。"
    assert e.message("en") == "Enter at least 2 characters."
    long = validate(form, parse(form, [p for p in VALID if p[0] != "student_name"] + [("student_name", "名" * 21)]))
    assert long["student_name"][0].code == "maxLength"
    assert long["student_name"][0].message() == "最多输入 20 个字符。"


def test_maximum_and_pattern_codes():
    form = Form({"type": "object", "properties": {
        "score": {"type": "integer", "maximum": 100, "exclusiveMinimum": 0},
        "code": {"type": "string", "pattern": "^[A-Z]{2}\\d{4}$"}}})
    errors = validate(form, {"score": 101, "code": "ab12"})
    assert codes(errors) == {"score": ["maximum"], "code": ["pattern"]}
    assert errors["score"][0].params == {"limit": 100}
    assert errors["score"][0].message() == "不能大于 100。"
    assert errors["score"][0].message("en") == "Enter a value of at most 100."
    assert errors["code"][0].params == {"pattern": "^[A-Z]{2}\\d{4}$"}
    assert codes(validate(form, {"score": 0})) == {"score": ["exclusiveMinimum"]}


def test_nested_optional_object_left_blank_is_absent():
    form = Form({"type": "object", "properties": {
        "second_contact": {"type": "object", "required": ["phone"],
                           "properties": {"name": {"type": "string"}, "phone": {"type": "string"}}}}})
    assert parse(form, [("second_contact.name", "")]) == {}
    data = parse(form, [("second_contact.name", "王五")])
    assert codes(validate(form, data)) == {"second_contact.phone": ["required"]}


# ---------------------------------------------------------------------------------------- arrays

def test_arrays_of_objects(form):
    data = parse(form, VALID + [
        ("internships.0.__row__", "1"), ("internships.0.company", "腾讯"), ("internships.0.months", "3"),
        ("internships.0.start", "2024-07-01"), ("internships.0.certified", "true"), ("internships.0.score", "4.5"),
        ("internships.1.__row__", "1"),                                           # blank row: dropped
        ("internships.7.__row__", "1"), ("internships.7.company", "字节跳动"),   # gap: compacted
    ])
    assert data["internships"] == [
        {"company": "腾讯", "months": 3, "start": "2024-07-01", "certified": True, "score": 4.5},
        {"company": "字节跳动", "certified": False},
    ]
    assert validate(form, data) == {}


def test_errors_inside_rows_map_to_row_paths(form):
    data = parse(form, VALID + [("internships.0.months", "0"), ("internships.1.company", "腾讯"),
                                ("internships.1.months", "三")])
    errors = validate(form, data)
    assert codes(errors) == {"internships.0.company": ["required"], "internships.0.months": ["minimum"],
                             "internships.1.months": ["type"]}
    assert form.label_for("internships.1.months") == "经历 2 · 月数"


def test_max_items(form):
    pairs = VALID + [(f"internships.{i}.company", f"单位{i}") for i in range(6)]
    errors = validate(form, parse(form, pairs))
    assert codes(errors) == {"internships": ["maxItems"]}
    assert errors["internships"][0].message() == "最多只能填写 5 项。"


def test_required_array_and_min_items():
    form = Form({"type": "object", "required": ["rows"], "properties": {
        "rows": {"type": "array", "minItems": 2, "items": {"type": "object", "properties": {
            "qty": {"type": "integer"}}}}}})
    assert codes(validate(form, parse(form, []))) == {"rows": ["required"]}
    assert codes(validate(form, parse(form, [("rows.0.qty", "1")]))) == {"rows": ["minItems"]}
    assert validate(form, parse(form, [("rows.0.qty", "1"), ("rows.1.qty", "2")])) == {}
    assert initial_values(form) == {"rows": [{}, {}]}


def test_arrays_of_scalars():
    form = Form({"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string", "title": "标签"}}}})
    assert parse(form, [("tags.0", "Python"), ("tags.1", ""), ("tags.2", "SQL")]) == {"tags": ["Python", "SQL"]}
    assert form.field("tags.0").label == "标签"


def test_row_actions_without_javascript(form):
    assert row_action(MultiDict([("__action__", "submit")])) is None
    assert row_action(MultiDict()) is None
    assert row_action(MultiDict([("__action__", "drop:all")])) is None
    add = row_action(MultiDict([("__action__", "add:internships")]))
    assert add == RowAction("add", "internships")
    posted = [("internships.0.__row__", "1"), ("internships.0.company", "腾讯"), ("internships.1.__row__", "1")]
    data = parse(form, posted, keep_blank_rows=True)
    assert data["internships"] == [{"company": "腾讯", "certified": False}, {"certified": False}]
    added = apply_row_action(form, data, add)
    assert len(added["internships"]) == 3 and len(data["internships"]) == 2
    removed = apply_row_action(form, added, RowAction("remove", "internships.0"))
    assert removed["internships"][0] == {"certified": False} and len(removed["internships"]) == 2
    full = {"internships": [{}] * 5}
    assert len(apply_row_action(form, full, add)["internships"]) == 5  # maxItems
    assert apply_row_action(form, data, RowAction("add", "student_no")) == data  # not an array
    assert apply_row_action(form, data, RowAction("remove", "internships.x")) == data


# ------------------------------------------------------------------------------------- read-only

def test_read_only_fields_come_from_task_data_never_from_the_post(form):
    existing = {"student_no": "2021012345", "reviewer_comment": "同意"}
    data = parse(form, VALID + [("student_no", "HACKED"), ("reviewer_comment", "我自己批准")], existing)
    assert data["student_no"] == "2021012345" and data["reviewer_comment"] == "同意"
    data = parse(form, VALID + [("student_no", "HACKED")], {})
    assert "student_no" not in data


def test_read_only_object_and_row_fields():
    form = Form(
        {"type": "object", "properties": {
            "offer": {"type": "object", "properties": {"salary": {"type": "integer"}, "city": {"type": "string"}}},
            "rows": {"type": "array", "items": {"type": "object", "properties": {
                "item": {"type": "string"}, "price": {"type": "number"}, "qty": {"type": "integer"}}}}}},
        {"offer": {"ui:readonly": True}, "rows": {"items": {"item": {"ui:readonly": True},
                                                            "price": {"ui:readonly": True}}}})
    existing = {"offer": {"salary": 9000, "city": "深圳"},
                "rows": [{"item": "笔记本", "price": 5.5, "qty": 1}, {"item": "签字笔", "price": 2, "qty": 3}]}
    data = parse(form, [("offer.salary", "99999"), ("rows.0.price", "0"), ("rows.0.item", "x"),
                        ("rows.0.qty", "4"), ("rows.1.qty", "5")], existing)
    assert data == {"offer": {"salary": 9000, "city": "深圳"},
                    "rows": [{"item": "笔记本", "price": 5.5, "qty": 4}, {"item": "签字笔", "price": 2, "qty": 5}]}
    assert form.field("offer.city").readonly


def test_schema_read_only_keyword_and_defaults():
    form = Form({"type": "object", "properties": {"status": {"type": "string", "readOnly": True, "default": "新建"},
                                                  "n": {"type": "integer", "default": 3}}})
    assert parse(form, [("status", "已批准"), ("n", "5")]) == {"status": "新建", "n": 5}
    assert initial_values(form) == {"status": "新建", "n": 3}
    assert initial_values(form, {"status": "审核中"}) == {"status": "审核中", "n": 3}


def test_initial_values_from_task_data_and_defaults(form):
    values = initial_values(form, {"student_name": "张三", "employer": {"name": "华为"}})
    assert values["student_name"] == "张三" and values["hours_per_week"] == 16
    assert values["employer"] == {"name": "华为", "contact": {}}
    assert values["internships"] == []


def test_merge_submission_replaces_form_fields_and_keeps_the_rest(form):
    task = {"student_name": "旧名", "age": 20, "student_no": "2021", "instance_note": "keep"}
    data = parse(form, VALID, task)
    merged = merge_submission(form, task, data)
    assert merged["student_name"] == "张三" and "age" not in merged  # cleared by the person
    assert merged["student_no"] == "2021" and merged["instance_note"] == "keep"


# ------------------------------------------------------------------------------------- messages

def test_every_code_has_both_languages():
    for code, (en, zh) in fs.MESSAGES.items():
        assert fs._msgid(en) and zh, code
    e = fs.FieldError("x", "fileSize", {"limit": 10 * 1024 * 1024})
    assert e.message() == "文件大小不能超过 10 MB。" and e.message("en") == "The file must be no larger than 10 MB."
    e = fs.FieldError("x", "fileType", {"accept": ["PDF", "PNG"]})
    assert e.message() == "文件类型不符合要求，仅支持：PDF、PNG。"
    assert e.message("en") == "The file must be one of these types: PDF, PNG."
    assert fs.FieldError("x", "somethingNew").message() == "此项填写有误。"


def test_message_uses_the_request_locale():
    flask = pytest.importorskip("flask")
    from flask_babel import Babel

    app = flask.Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    Babel(app, locale_selector=lambda: flask.request.args.get("lang"))
    e = fs.FieldError("a", "required")
    with app.test_request_context("/?lang=en"):
        assert e.message() == "This field is required." and fs.ui_text("Add row") == "Add row"
    with app.test_request_context("/"):
        assert e.message() == "此项为必填项。" and fs.ui_text("Add row") == "添加一行"
    assert str(e) == "此项为必填项。"  # no app: zh_CN


def test_file_fields_never_come_from_text_inputs(form):
    ref = {"file_id": "c" * 32, "name": "a.pdf", "size": 10, "sha256": "d" * 64, "content_type": "application/pdf"}
    forged = json.dumps({**ref, "file_id": "e" * 32})
    assert parse(form, VALID + [("resume", forged)], {"resume": ref})["resume"] == ref
    assert "resume" not in parse(form, VALID + [("resume", forged)], {})
    with pytest.raises(TypeError, match="UploadBatch"):  # a posted file needs somewhere to go
        class Posted:
            filename = "a.pdf"
        parse_submission(form, MultiDict(VALID), MultiDict([("resume", Posted())]), {})


def test_errors_without_a_field_of_their_own_go_to_the_nearest_owner():
    form = Form({"type": "object", "additionalProperties": False, "properties": {
        "doc": {"x-file": True, "accept": ["application/pdf"]}, "name": {"type": "string"}}})
    errors = validate(form, {"name": "x", "extra": 1, "doc": {"file_id": "nope"}})
    assert codes(errors) == {"": ["additionalProperties"], "doc": ["required", "pattern"]}
    assert errors[""][0].message() == "此项填写有误。"


# ----------------------------------------------------------------------------- if/then/else branches

BRANCHED = {
    "type": "object",
    "required": ["decision"],
    "properties": {
        "decision": {"type": "string", "enum": ["accept", "refuse"], "enumNames": ["接受", "拒绝"]},
        "comment": {"type": "string", "title": "意见"},
        "urgent": {"type": "boolean", "title": "加急"},
    },
    "allOf": [
        {"if": {"properties": {"decision": {"const": "refuse"}}, "required": ["decision"]},
         "then": {"properties": {"reason": {"type": "string", "title": "拒绝原因", "minLength": 2}},
                  "required": ["reason", "comment"]}},
        {"if": {"properties": {"urgent": {"const": True}}},
         "then": {"properties": {"deadline": {"type": "string", "format": "date", "title": "期限"}}},
         "else": {"properties": {"why_not_urgent": {"type": "string"}}}},
    ],
}


def test_branch_fields_follow_their_controller_and_carry_their_condition():
    form = Form(BRANCHED, {"decision": {"ui:widget": "radio"}})
    assert [f.key for f in form.fields] == ["decision", "reason", "comment", "urgent", "deadline", "why_not_urgent"]
    reason = form.field("reason")
    assert reason.required and reason.show_when.key == "decision" and reason.show_when.inputs == ("refuse",)
    assert json.loads(reason.show_when.json) == {"field": "decision", "values": ["refuse"], "negate": False}
    deadline, other = form.field("deadline"), form.field("why_not_urgent")
    assert deadline.show_when.inputs == ("true",) and not deadline.show_when.negate
    assert other.show_when.inputs == ("true",) and other.show_when.negate
    # a field defined once and only listed as required in a branch: always shown, required while it holds
    comment = form.field("comment")
    assert comment.show_when is None and not comment.required
    assert [c.inputs for c in comment.required_when] == [("refuse",)]
    assert form.field("decision").show_when is None and not form.field("decision").required_when


def test_a_branch_field_is_kept_only_while_its_condition_holds():
    form = Form(BRANCHED, {})
    refused = parse(form, [("decision", "refuse"), ("reason", "地点太远"), ("comment", "谢谢"), ("deadline", "2026-12-01")])
    # urgent is unchecked: the deadline's branch does not hold
    assert refused == {"decision": "refuse", "reason": "地点太远", "comment": "谢谢", "urgent": False}
    accepted = parse(form, [("decision", "accept"), ("reason", "left over from an earlier choice"),
                            ("urgent", "true"), ("deadline", "2026-12-01")])
    assert "reason" not in accepted and accepted["deadline"] == "2026-12-01"
    # dropped from task data as well, when the form is merged into it
    assert "reason" not in merge_submission(form, {"reason": "old", "other": 1}, accepted)


def test_branch_requirements_are_validated():
    form = Form(BRANCHED, {})
    assert codes(validate(form, parse(form, [("decision", "refuse")]))) == {
        "reason": ["required"], "comment": ["required"]}
    assert validate(form, parse(form, [("decision", "accept")])) == {}


def test_a_field_in_two_branches_is_a_definition_error():
    schema = {"type": "object", "properties": {"a": {"type": "string", "enum": ["x", "y"]}}, "allOf": [
        {"if": {"properties": {"a": {"const": "x"}}}, "then": {"properties": {"b": {"type": "string"}}}},
        {"if": {"properties": {"a": {"const": "y"}}}, "then": {"properties": {"b": {"type": "string"}}}}]}
    with pytest.raises(FormDefinitionError, match="two if/then/else branches"):
        Form(schema, {})


def test_branches_on_conditions_the_page_cannot_follow_are_always_shown():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}},
              "if": {"properties": {"n": {"minimum": 10}}}, "then": {"properties": {"big": {"type": "string"}}}}
    form = Form(schema, {})
    assert [f.key for f in form.fields] == ["n", "big"] and form.field("big").show_when is None
    assert parse(form, [("n", "3"), ("big", "yes")]) == {"n": 3, "big": "yes"}
