"""Task forms rendered by app/forms/templates/forms/_fields.html in a tiny Flask app built here (no database, no
project fixtures): every widget, errors next to fields, kept input, rows without JavaScript, uploads."""
from __future__ import annotations

import hashlib
import io
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask, redirect, render_template_string, request
from flask_babel import Babel

from app.forms import (
    apply_row_action,
    initial_values,
    load_form,
    merge_submission,
    parse_submission,
    redisplay_values,
    row_action,
    validate,
)
from app.forms.uploads import (
    DOCX,
    JPEG,
    PDF,
    UploadBatch,
    UploadRejected,
    detect_type,
    sweep_staging,
    upload_path,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "app" / "forms" / "templates"
FORMS = ROOT / "tests" / "forms"

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"This program cannot be run in DOS mode."

PAGE = """{% import "forms/_fields.html" as forms %}<!doctype html><html><body>
{{ forms.form_element(form, values, errors, action="/task", file_url=file_url) }}</body></html>"""

EXISTING = {
    "student_no": "2021012345",
    "reviewer_comment": "同意。\n请按时提交周报。",
    "interview_at": "2025-03-01T06:30:00+00:00",
    "internships": [{"company": "腾讯", "months": 3, "certified": True}],
    "resume": {"file_id": "a" * 32, "name": "张三-简历.pdf", "size": 234567, "sha256": "b" * 64,
               "content_type": PDF},
    "process_note": "not a form field",
}

VALID = {
    "student_name": "张三", "email": "zhang.san@stu.example.edu.cn", "mobile": "13800138000", "grade": "2023",
    "degree": "master", "start_date": "2025-07-01", "employer.name": "华为技术有限公司",
    "employer.contact.phone": "0755-28780808", "agree": "true",
}


def make_app(tmp_path: Path) -> tuple[Flask, dict]:
    """The route every task form uses, in miniature (see the app/forms package docstring)."""
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.update(TESTING=True, BABEL_DEFAULT_LOCALE="zh_CN")
    Babel(app, locale_selector=lambda: request.args.get("lang"))
    uploads_dir = tmp_path / "uploads"
    store: dict = {"data": dict(EXISTING)}

    def render(form, values, errors):
        return render_template_string(PAGE, form=form, values=values, errors=errors,
                                      file_url=lambda file_id: f"/files/{file_id}")

    @app.route("/task", methods=["GET", "POST"])
    def task():
        form = load_form(FORMS, "widgets.json", "widgets.ui.json")
        task_data = store["data"]
        if request.method == "GET":
            return render(form, initial_values(form, task_data), {})
        action = row_action(request.form)
        if action:
            data = parse_submission(form, request.form, None, task_data, keep_blank_rows=True)
            return render(form, apply_row_action(form, data, action), {})
        with UploadBatch(uploads_dir) as batch:
            data = parse_submission(form, request.form, request.files, task_data, uploads=batch)
            errors = validate(form, data)
            if errors:
                return render(form, redisplay_values(form, data, task_data), errors), 422
            batch.commit()
        store["data"] = merge_submission(form, task_data, data)
        return redirect("/task", code=303)

    store["uploads_dir"] = uploads_dir
    return app, store


@pytest.fixture
def setup(tmp_path):
    app, store = make_app(tmp_path)
    return app.test_client(), store


# ------------------------------------------------------------------------------- a tiny HTML tree

VOID = {"input", "br", "meta", "link", "img", "hr", "source", "col", "area", "base", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent, self.children, self.parts = tag, attrs, parent, [], []

    def __getitem__(self, key):
        return self.attrs[key]

    def get(self, key, default=None):
        return self.attrs.get(key, default)

    @property
    def text(self) -> str:
        out = []
        for part in self.parts:
            out.append(part.text if isinstance(part, Node) else part)
        return "".join(out)

    def iter(self):
        for child in self.children:
            yield child
            yield from child.iter()

    def find_all(self, tag=None, **attrs):
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, ident):
        return next((n for n in self.iter() if n.attrs.get("id") == ident), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: ("" if v is None else v) for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        self.cur.parts.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_endtag(self, tag):
        node = self.cur
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.cur = node.parent

    def handle_data(self, data):
        self.cur.parts.append(data)


def tree(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    return builder.root


def control(doc: Node, name: str, **attrs) -> Node:
    found = [n for n in doc.find_all(name=name) if n.tag in ("input", "select", "textarea")
             and all(n.get(k) == v for k, v in attrs.items())]
    assert found, f"no control named {name} {attrs}"
    return found[0]


def label_for(doc: Node, ident: str) -> str:
    label = doc.find("label", for_=ident)
    assert label is not None, f"no label for {ident}"
    return label.text.strip()


def files_on_disk(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


def post(client, fields: dict | list, files: dict | None = None, query: str = ""):
    data = {}
    items = fields.items() if isinstance(fields, dict) else fields
    for k, v in items:
        data.setdefault(k, []).append(v)
    for k, (content, filename, ctype) in (files or {}).items():
        data[k] = (io.BytesIO(content), filename, ctype)
    return client.post("/task" + query, data=data, content_type="multipart/form-data")


# ------------------------------------------------------------------------------------ every widget

def test_every_widget_renders_the_right_control(setup):
    client, _ = setup
    resp = client.get("/task")
    assert resp.status_code == 200
    doc = tree(resp.get_data(as_text=True))
    form = doc.find("form")
    assert form["enctype"] == "multipart/form-data" and form["method"] == "post" and "novalidate" in form.attrs

    # read-only: text, no input, never posted
    assert not doc.find_all(name="student_no") and not doc.find_all(name="reviewer_comment")
    assert doc.by_id("f-student_no").text.strip() == "2021012345"
    assert doc.by_id("f-reviewer_comment").text.strip() == "同意。\n请按时提交周报。"

    name = control(doc, "student_name")
    assert (name["type"], name["maxlength"], name["minlength"], name["placeholder"]) == ("text", "20", "2", "与身份证一致")
    assert "required" in name.attrs and name["aria-required"] == "true"
    assert label_for(doc, "f-student_name") == "姓名*"
    assert control(doc, "email")["type"] == "email" and control(doc, "email")["autocomplete"] == "email"
    assert control(doc, "mobile")["type"] == "tel"
    office = control(doc, "office_phone")
    assert office["type"] == "tel" and office["aria-describedby"] == "f-office_phone-help"
    assert doc.by_id("f-office_phone-help").text == "座机请带区号，例如 010-12345678"
    assert control(doc, "homepage")["type"] == "url"
    intro = control(doc, "self_intro")
    assert intro.tag == "textarea" and intro["rows"] == "4"
    age = control(doc, "age")
    assert (age["type"], age["min"], age["max"], age["step"], age["inputmode"]) == ("number", "16", "60", "1", "numeric")
    salary = control(doc, "expected_salary")
    assert (salary["type"], salary["step"], salary["min"]) == ("number", "any", "0")
    hours = control(doc, "hours_per_week")
    assert (hours["type"], hours["value"]) == ("range", "16")  # schema default

    grade = control(doc, "grade")
    assert grade.tag == "select" and "required" in grade.attrs
    assert [(o["value"], o.text) for o in grade.find_all("option")] == [
        ("", "请选择"), ("2022", "2022级"), ("2023", "2023级"), ("2024", "2024级"), ("2025", "2025级")]
    radios = [n for n in doc.find_all("input", name="degree")]
    assert [(r["type"], r["value"], label_for(doc, r["id"])) for r in radios] == [
        ("radio", "bachelor", "本科"), ("radio", "master", "硕士研究生"), ("radio", "doctor", "博士研究生")]
    group = doc.by_id("f-degree-group")
    assert group.tag == "fieldset" and group.find("legend").text == "学历层次*"
    skills = doc.find_all("input", name="skills")
    assert [(s["type"], s["value"]) for s in skills] == [
        ("checkbox", "python"), ("checkbox", "java"), ("checkbox", "design"), ("checkbox", "english")]
    assert label_for(doc, skills[2]["id"]) == "设计"
    relocate = control(doc, "relocate")
    assert (relocate["type"], relocate["value"]) == ("checkbox", "true") and "checked" not in relocate.attrs
    offer = doc.find_all("input", name="has_offer")
    assert [(o["type"], o["value"], label_for(doc, o["id"])) for o in offer] == [
        ("radio", "true", "是"), ("radio", "false", "否")]

    assert control(doc, "start_date")["type"] == "date"
    interview = control(doc, "interview_at")
    assert (interview["type"], interview["value"]) == ("datetime-local", "2025-03-01T14:30")  # China time

    resume = control(doc, "resume")
    assert (resume["type"], resume["accept"]) == ("file", "application/pdf,.pdf")
    assert "required" not in resume.attrs
    assert resume["aria-describedby"] == "f-resume-accept"
    assert doc.by_id("f-resume-accept").text == "支持的文件类型：PDF；大小上限：1 MB"
    current = doc.find("p", class_="bpm-file-current")
    assert "张三-简历.pdf" in current.text and current.find("a")["href"] == "/files/" + "a" * 32
    assert control(doc, "resume.__clear__")["type"] == "checkbox"

    employer = doc.by_id("f-employer")
    assert employer.tag == "fieldset" and employer.find("legend").text == "实习单位*"
    contact = doc.by_id("f-employer.contact")
    assert contact.tag == "fieldset" and contact.find("legend").text == "单位联系人"
    assert contact in list(doc.by_id("f-employer.contact.phone").ancestors())
    assert control(doc, "employer.contact.phone")["type"] == "tel"

    array = doc.by_id("f-internships")
    assert array.tag == "fieldset" and array["data-bpm-array"] == "internships" and array["data-max-items"] == "5"
    assert control(doc, "internships.0.company")["value"] == "腾讯"
    assert control(doc, "internships.0.months")["value"] == "3"
    assert "checked" in control(doc, "internships.0.certified").attrs
    assert control(doc, "internships.0.__row__")["type"] == "hidden"
    assert doc.find("button", value="remove:internships.0") is not None
    add = doc.find("button", value="add:internships")
    assert add["name"] == "__action__" and "添加一行" in add.text and "formnovalidate" in add.attrs
    template = array.find("template")
    assert template.find("input", name="internships.__INDEX__.company") is not None
    assert template.find("button", value="remove:internships.__INDEX__") is not None

    assert control(doc, "tracking_code")["type"] == "hidden"
    agree = control(doc, "agree")
    assert agree["type"] == "checkbox" and "required" in agree.attrs
    assert label_for(doc, "f-agree") == "本人承诺所填信息真实有效*"

    # every visible control is labelled; the first submit button (what Enter presses) submits
    for node in doc.iter():
        if node.tag in ("input", "select", "textarea") and node.get("type") != "hidden" and node.get("id"):
            assert doc.find("label", for_=node["id"]) is not None, node.attrs
    first_button = doc.find("button")
    assert (first_button["value"], first_button["type"]) == ("submit", "submit")
    assert doc.find("button", class_="bpm-btn bpm-btn--primary").text.strip() == "提交"


def test_render_form_alone_fits_inside_a_page_form(tmp_path):
    """tasks/show.html puts render_form inside its own <form> with its own buttons."""
    app, _ = make_app(tmp_path)
    form = load_form(FORMS, "widgets.json", "widgets.ui.json")
    page = ('{% from "forms/_fields.html" import render_form %}<form method="post">'
            '{{ render_form(form, values, errors) }}<button name="__action__" value="save">save</button></form>')
    with app.test_request_context("/"):
        html = render_template_string(page, form=form, values=initial_values(form, EXISTING), errors={})
    doc = tree(html)
    assert len(doc.find_all("form")) == 1
    fields = doc.find("div", class_="bpm-form")
    assert "data-bpm-form" in fields.attrs and fields.find("input", name="student_name") is not None
    assert doc.find("form").find("button")["value"] == "submit"  # Enter submits, it does not add a row


def test_english_ui(setup):
    client, _ = setup
    html = client.get("/task?lang=en").get_data(as_text=True)
    doc = tree(html)
    assert "Add row" in doc.find("button", value="add:internships").text
    assert [o.text for o in control(doc, "grade").find_all("option")][0] == "Please choose"
    assert doc.by_id("f-resume-accept").text == "Accepted file types: PDF; Maximum size: 1 MB"
    resp = post(client, {"student_name": "张"}, query="?lang=en")
    doc = tree(resp.get_data(as_text=True))
    assert doc.by_id("f-student_name-error").text == "Error: Enter at least 2 characters."
    assert doc.by_id("f-email-error").text.endswith("This field is required.")
    assert doc.find("h2", id="bpm-error-summary-title").text == "There is a problem"


# ------------------------------------------------------------------------------- errors, kept input

def test_errors_appear_next_to_fields_with_aria_and_input_is_kept(setup):
    client, store = setup
    before = dict(store["data"])
    resp = post(client, [
        ("student_name", "张"), ("email", "not-an-email"), ("mobile", "12345"), ("age", "二十"),
        ("grade", "2024"), ("degree", "doctor"), ("skills", "java"), ("skills", "english"),
        ("relocate", "true"), ("interview_at", "2025-03-02T09:15"), ("employer.contact.person", "李四"),
        ("internships.0.__row__", "1"), ("internships.0.company", "腾讯"), ("internships.0.months", "0"),
        ("internships.1.__row__", "1"), ("internships.1.months", "2"),
        ("student_no", "HACKED"), ("self_intro", "我擅长 <script>alert(1)</script> 数据分析"),
    ])
    assert resp.status_code == 422
    assert store["data"] == before  # nothing stored
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html  # escaped
    doc = tree(html)

    expected = {
        "student_name": "请至少输入 2 个字符。",
        "email": "请输入有效的电子邮箱地址，例如 name@example.com。",
        "mobile": "请输入有效的手机号码（11 位）或固定电话，例如 010-12345678。",
        "age": "请输入有效的整数。",
        "start_date": "此项为必填项。",
        "employer.name": "此项为必填项。",
        "employer.contact.phone": "此项为必填项。",
        "internships.0.months": "不能小于 1。",
        "internships.1.company": "此项为必填项。",
        "agree": "请勾选此项后再提交。",
    }
    for path, message in expected.items():
        error = doc.by_id(f"f-{path}-error")
        assert error is not None, path
        assert error.text == "错误： " + message, path
        field_input = doc.by_id(f"f-{path}")
        assert field_input["aria-invalid"] == "true", path
        assert f"f-{path}-error" in field_input["aria-describedby"].split(), path
        wrapper = error.parent  # the message sits in the field's own wrapper, next to its control
        assert field_input in list(wrapper.iter()) and "bpm-field--error" in wrapper["class"], path

    # radios: the fieldset is described by the error; no error for degree (chosen)
    assert doc.by_id("f-degree-error") is None
    # summary links to each field, in form order
    summary = doc.find("div", class_="bpm-error-summary")
    assert summary["role"] == "alert"
    links = [a["href"] for a in summary.find_all("a")]
    assert links[:3] == ["#f-student_name", "#f-email", "#f-mobile"] and "#f-internships.1.company" in links
    assert "经历 2 · 单位 此项为必填项。" in [a.text for a in summary.find_all("a")]

    # previous input kept
    assert control(doc, "student_name")["value"] == "张"
    assert control(doc, "email")["value"] == "not-an-email"
    assert control(doc, "mobile")["value"] == "12345"
    age = control(doc, "age")
    assert age["value"] == "二十" and age["type"] == "text"  # a number input would blank it
    assert "selected" in control(doc, "grade").find("option", value="2024").attrs
    assert "checked" in control(doc, "degree", value="doctor").attrs
    assert [s["value"] for s in doc.find_all("input", name="skills") if "checked" in s.attrs] == ["java", "english"]
    assert "checked" in control(doc, "relocate").attrs and "checked" not in control(doc, "agree").attrs
    assert control(doc, "interview_at")["value"] == "2025-03-02T09:15"
    assert control(doc, "employer.contact.person")["value"] == "李四"
    assert control(doc, "internships.0.months")["value"] == "0"
    assert control(doc, "internships.1.months")["value"] == "2"
    assert control(doc, "self_intro").text == "我擅长 <script>alert(1)</script> 数据分析"
    assert doc.by_id("f-student_no").text.strip() == "2021012345"  # read-only: from task data


def test_valid_submission_is_stored_and_read_only_fields_ignored(setup):
    client, store = setup
    resp = post(client, {**VALID, "student_no": "HACKED", "reviewer_comment": "自己批准",
                         "internships.0.company": "腾讯", "internships.0.months": "4", "age": "22"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    data = store["data"]
    assert data["student_no"] == "2021012345" and data["reviewer_comment"] == EXISTING["reviewer_comment"]
    assert data["age"] == 22 and data["employer"]["contact"] == {"phone": "0755-28780808"}
    assert data["internships"] == [{"company": "腾讯", "months": 4, "certified": False}]
    assert data["resume"] == EXISTING["resume"]  # no new upload: the current file stays
    assert data["process_note"] == "not a form field"
    assert "interview_at" not in data  # cleared by the person


# ------------------------------------------------------------------------------- rows without JS

def test_add_and_remove_rows_without_javascript(setup):
    client, store = setup
    base = [("student_name", "张三"), ("internships.0.__row__", "1"), ("internships.0.company", "腾讯")]
    resp = post(client, base + [("__action__", "add:internships")])
    assert resp.status_code == 200
    doc = tree(resp.get_data(as_text=True))
    assert doc.find("div", class_="bpm-error-summary") is None  # not validated
    assert control(doc, "internships.0.company")["value"] == "腾讯"
    assert control(doc, "internships.1.company")["value"] == ""
    assert control(doc, "student_name")["value"] == "张三"
    resp = post(client, base + [("internships.1.__row__", "1"), ("internships.1.company", "字节跳动"),
                                ("__action__", "remove:internships.0")])
    doc = tree(resp.get_data(as_text=True))
    assert control(doc, "internships.0.company")["value"] == "字节跳动"
    assert not doc.find_all(name="internships.1.company")
    assert store["data"] == EXISTING


# --------------------------------------------------------------------------------------- uploads

def upload_post(client, content: bytes, filename: str, ctype: str, extra: dict | None = None):
    return post(client, {**VALID, **(extra or {})}, files={"resume": (content, filename, ctype)})


@pytest.mark.parametrize("content, filename, ctype", [
    (PNG_BYTES, "简历.pdf", "application/pdf"),        # a PNG renamed .pdf, claimed as PDF
    (EXE_BYTES, "resume.exe", "application/x-msdownload"),
    (EXE_BYTES, "简历.pdf", "application/pdf"),
    (b"PK\x03\x04" + b"\x00" * 40, "简历.pdf", "application/pdf"),  # broken zip
])
def test_wrong_type_upload_is_refused_and_nothing_is_kept(setup, content, filename, ctype):
    client, store = setup
    resp = upload_post(client, content, filename, ctype)
    assert resp.status_code == 422
    doc = tree(resp.get_data(as_text=True))
    assert doc.by_id("f-resume-error").text == "错误： 文件类型不符合要求，仅支持：PDF。"
    resume = control(doc, "resume")
    assert resume["aria-invalid"] == "true" and "f-resume-error" in resume["aria-describedby"]
    assert "张三-简历.pdf" in doc.find("p", class_="bpm-file-current").text  # the stored file is still current
    assert files_on_disk(store["uploads_dir"]) == []
    assert store["data"] == EXISTING


def test_too_large_upload_is_refused_and_nothing_is_kept(setup):
    client, store = setup
    big = PDF_BYTES + b"0" * (1024 * 1024)  # limit in the schema: 1 MiB
    resp = upload_post(client, big, "大文件.pdf", "application/pdf")
    assert resp.status_code == 422
    doc = tree(resp.get_data(as_text=True))
    assert doc.by_id("f-resume-error").text == "错误： 文件大小不能超过 1 MB。"
    assert files_on_disk(store["uploads_dir"]) == []


def test_good_upload_is_discarded_when_another_field_is_invalid(setup):
    client, store = setup
    resp = upload_post(client, PDF_BYTES, "简历.pdf", "application/pdf", extra={"email": "bad"})
    assert resp.status_code == 422
    assert files_on_disk(store["uploads_dir"]) == []
    doc = tree(resp.get_data(as_text=True))
    assert "张三-简历.pdf" in doc.find("p", class_="bpm-file-current").text  # not the discarded upload


def test_good_upload_is_committed_and_referenced(setup):
    client, store = setup
    resp = upload_post(client, PDF_BYTES, "../../etc/张三 简历.pdf", "application/octet-stream")
    assert resp.status_code == 303
    ref = store["data"]["resume"]
    assert ref["name"] == "张三 简历.pdf" and ref["size"] == len(PDF_BYTES) and ref["content_type"] == PDF
    assert ref["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    stored = upload_path(store["uploads_dir"], ref["file_id"])
    assert stored.read_bytes() == PDF_BYTES
    assert files_on_disk(store["uploads_dir"]) == [stored]


def test_clearing_an_optional_file(setup):
    client, store = setup
    resp = post(client, {**VALID, "resume.__clear__": "true"})
    assert resp.status_code == 303 and "resume" not in store["data"]


def test_upload_batch_directly(tmp_path):
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("a.txt", "hello")

    class Upload:  # the FileStorage interface stage() uses
        def __init__(self, data: bytes, filename: str):
            self.stream, self.filename = io.BytesIO(data), filename

    with UploadBatch(tmp_path) as batch:
        ref = batch.stage(Upload(docx.getvalue(), "协议.docx"), accept=["application/vnd.openxmlformats-"
                                                                          "officedocument.wordprocessingml.document"])
        assert ref["content_type"] == DOCX
        assert batch.stage(Upload(JPEG_BYTES, "照片.png"), accept=["image/*"])["content_type"] == JPEG
        with pytest.raises(UploadRejected) as refused:
            batch.stage(Upload(plain_zip.getvalue(), "x.docx"), accept=[".docx"])
        assert refused.value.code == "fileType" and refused.value.params == {"accept": ["Word (.docx)"]}
        with pytest.raises(UploadRejected) as empty:
            batch.stage(Upload(b"", "empty.pdf"))
        assert empty.value.code == "fileEmpty"
        assert len(list((tmp_path / ".staging").iterdir())) == 2
    assert files_on_disk(tmp_path) == []  # left the block without commit: discarded

    batch = UploadBatch(tmp_path)
    ref = batch.stage(Upload(PDF_BYTES, "a.pdf"), max_size=len(PDF_BYTES))
    with pytest.raises(UploadRejected) as big:
        batch.stage(Upload(PDF_BYTES + b"x", "b.pdf"), max_size=len(PDF_BYTES))
    assert big.value.params == {"limit": len(PDF_BYTES)}
    batch.commit()
    assert files_on_disk(tmp_path) == [upload_path(tmp_path, ref["file_id"])]
    assert detect_type(upload_path(tmp_path, ref["file_id"])) == PDF
    with pytest.raises(ValueError):
        upload_path(tmp_path, "../../etc/passwd")

    (tmp_path / ".staging" / "old.part").write_bytes(b"x")
    assert sweep_staging(tmp_path, older_than_s=-1) == 1


def test_if_then_fields_carry_their_condition_for_the_page(tmp_path):
    """A branch's own field is wrapped with its condition (js/forms.js shows it while it holds); a field a
    branch only requires gets a star that the script shows while the condition holds."""
    import json

    from app.forms import Form

    app, _ = make_app(tmp_path)
    form = Form({"type": "object", "properties": {
        "decision": {"type": "string", "enum": ["accept", "refuse"], "enumNames": ["接受", "拒绝"]},
        "comment": {"type": "string", "title": "意见"}},
        "if": {"properties": {"decision": {"const": "refuse"}}},
        "then": {"properties": {"reason": {"type": "string", "title": "拒绝原因"}}, "required": ["reason", "comment"]}},
        {"decision": {"ui:widget": "radio"}})
    page = '{% from "forms/_fields.html" import render_form %}<form>{{ render_form(form, values, errors) }}</form>'
    with app.test_request_context("/"):
        doc = tree(render_template_string(page, form=form, values={}, errors={}))
    box = doc.find("div", class_="bpm-conditional")
    assert json.loads(box["data-bpm-show-when"]) == {"field": "decision", "values": ["refuse"], "negate": False}
    assert box.find("textarea", name="reason") or box.find("input", name="reason")
    assert box.find("span", class_="bpm-required") is not None  # required whenever it is shown
    star = doc.find("label", for_="f-comment").find("span", class_="bpm-required")
    assert "hidden" in star.attrs and json.loads(star["data-bpm-required-when"])[0]["values"] == ["refuse"]
    assert doc.find("input", name="comment").get("required") is None  # never blocks the other choice
