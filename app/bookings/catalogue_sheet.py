"""The catalogue as an Excel sheet (app/platform/xlsx_import.py): the template, the export (which imports
back unchanged), and the import: every row checked by the catalogue's rules, a dry run that shows what would
change, and all rows saved or none."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font

from app.bookings import catalogue
from app.bookings.models import Resource
from app.platform import xlsx_import as xl
from app.platform.extensions import db
from sqlalchemy import select

SHEET = xl.Sheet("资源目录", (
    xl.Column("code", "编号", required=True, example="STUDIO-1", note="字母、数字、-、_，最多 30 位；已有编号则更新"),
    xl.Column("name", "名称", required=True, example="1 号录播间"),
    xl.Column("kind", "类型", required=True, example="studio",
              note="studio 录播间 / interview_room 面试间 / print_robot 自助打印机器人 / big_screen 大屏"),
    xl.Column("location", "地点", example="就业指导中心 3 楼 301"),
    xl.Column("booking_mode", "预约方式", required=True, example="approval",
              note="closed 不开放 / direct 直接预约 / approval 需审批"),
    xl.Column("opens", "开放时间", required=True, example="08:00"),
    xl.Column("closes", "关闭时间", required=True, example="21:00"),
    xl.Column("closed_weekdays", "每周闭馆日", example="6,7", note="1=周一 … 7=周日，逗号分隔"),
    xl.Column("closed_dates", "闭馆日期", example="2026-10-01,2026-10-02", note="逗号分隔"),
    xl.Column("slot_minutes", "时段长度（分钟）", required=True, example="60"),
    xl.Column("max_minutes", "最长预约（分钟）", required=True, example="120"),
    xl.Column("advance_days", "可提前预约天数", required=True, example="7"),
    xl.Column("grace_minutes", "签到宽限（分钟）", required=True, example="15"),
    xl.Column("remind_minutes", "提前提醒（分钟）", required=True, example="60"),
    xl.Column("roles", "可预约角色", required=True, example="student,employer",
              note="student / counselor / staff / employer，逗号分隔"),
    xl.Column("devices", "控制的设备", example="studio-1:studio", note="设备编号:类型（studio / printer / screen），逗号分隔"),
    xl.Column("description", "说明", example="含三机位与录播主机"),
), key="code", max_rows=2000)
HEADERS = {c.key: c.header for c in SHEET.columns}


@dataclass
class ImportPreview:
    problems: list[xl.Problem] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    saved: tuple[int, int] | None = None  # (created, updated) when it was not a dry run


def template() -> bytes:
    return xl.template(SHEET)


def export(resources: list[Resource]) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = SHEET.title
    ws.append([c.header for c in SHEET.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for resource in resources:
        values = catalogue.as_values(resource)
        ws.append([values[c.key] for c in SHEET.columns])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_catalogue(data: bytes, dry_run: bool) -> ImportPreview:
    """Check every row; without problems and unless a dry run, save all of them in one unit of work.
    Raises xl.ImportFileError when the upload is not a readable workbook."""
    reading = xl.read(SHEET, data)
    preview = ImportPreview(problems=list(reading.problems))
    inputs = []
    for row in reading.rows:
        value, errors = catalogue.read_input({k: v if v is not None else "" for k, v in row.values.items()})
        for name, code in errors.items():
            preview.problems.append(xl.Problem(row.number, HEADERS.get(name, name), str(catalogue.PROBLEMS[code])))
        if value is not None:
            inputs.append(value)
    existing = {r.code: catalogue.as_values(r) for r in db.session.execute(
        select(Resource).where(Resource.code.in_([r.values["code"] for r in reading.rows]))).scalars()}
    db.session.rollback()
    plan = xl.changes(existing, reading.rows, key="code", compared=[c.key for c in SHEET.columns])
    preview.summary = plan.summary()
    if not preview.problems and not dry_run:
        preview.saved = catalogue.save_all(inputs)
    return preview


def marked_up(data: bytes, problems: list[xl.Problem]) -> bytes:
    return xl.marked_up(SHEET, data, problems)
