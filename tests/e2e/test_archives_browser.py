"""The basic-data import in a real headless Chromium: the career office uploads a workbook with one bad row and
sees the problem (row, column, message), uploads the corrected file, commits it, finds the new student and
opens the archive with its timeline. Screenshots in test-artifacts/."""
from __future__ import annotations

import uuid

from tests.archives.conftest import HEADERS, id_number, workbook
from tests.e2e.conftest import shot, sign_in


def _row(prefix: str, n: int, **changes) -> list:
    values = {"学号": f"{prefix}{n:03d}", "姓名": f"浏览器{n}", "性别": "男", "身份证号": id_number(n + 40), "学院": "EM",
              "专业": "会计学", "学历层次": "本科", "班级": f"会计{prefix}", "入学年份": 2025, "预计毕业年份": 2029,
              "手机号": f"1360000{n:04d}", "电子邮箱": "", "生源地": "山东", "辅导员账号": "counselor_em"}
    values.update(changes)
    return [values[h] for h in HEADERS]


def test_import_with_a_bad_row_fix_commit_and_open_the_archive(browser, live_server, web, tmp_path):
    backend = web.app.config["BACKEND"]
    prefix = "B" + uuid.uuid4().hex[:6].upper()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([_row(prefix, 1), _row(prefix, 2, **{"身份证号": "370102200001011234"}), _row(prefix, 3)]))
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([_row(prefix, 1), _row(prefix, 2), _row(prefix, 3)]))
    page = sign_in(browser, live_server, "staff1")
    page.goto(f"{live_server}/archives/")
    page.click("text=从 Excel 导入")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button[type=submit].primary")
    page.wait_for_selector("#import-problems")
    problems = page.inner_text("#import-problems")
    assert "3" in problems and "身份证号" in problems and "校验位" in problems
    assert page.is_visible("text=下载标出问题的文件")
    assert not page.is_visible("text=提交导入")
    shot(page, "archives-01-problems", backend)

    page.click("text=上传修改后的文件")
    page.set_input_files("input[name=file]", str(good))
    page.click("button[type=submit].primary")
    page.wait_for_selector("#import-summary")
    assert "3" in page.inner_text("#import-summary")
    page.click("text=提交导入")
    page.wait_for_selector("#import-status[data-status=done]", timeout=120_000)
    shot(page, "archives-02-imported", backend)

    page.goto(f"{live_server}/archives/?q={prefix}002")
    page.click(f"text={prefix}002")
    page.wait_for_selector("#timeline")
    assert page.is_visible("li[data-kind=enrolment]")
    assert id_number(42) in page.inner_text("[data-field=id_number]")  # the career office sees it whole
    shot(page, "archives-03-archive", backend)
    counselor = sign_in(browser, live_server, "counselor_em")
    counselor.goto(page.url)
    assert "********" in counselor.inner_text("[data-field=id_number]")
