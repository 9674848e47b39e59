"""Excel exports. ID and phone numbers are masked unless the principal's role may see them in full."""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.agreements import queries
from app.agreements.domain import graduate_contact
from app.identity.principal import Principal
from app.platform.clock import LOCAL_TZ
from documents.context import mask_id_number, mask_phone


#: column key -> width; the order of the sheet. Labels come from the caller (translated).
AGREEMENT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("number", 22), ("status", 10), ("student_no", 13), ("student_name", 10), ("gender", 6),
    ("id_number", 21), ("phone", 14), ("email", 26), ("college", 22), ("major", 18), ("degree", 8), ("graduation_year", 10),
    ("employer", 28), ("employer_credit_code", 21), ("position", 18), ("work_location", 14), ("monthly_pay", 10),
    ("probation_months", 8), ("contract_years", 8), ("hukou_transfer", 8), ("offered_at", 17), ("in_force_at", 17),
)


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def agreement_values(row, *, reveal: bool, status_labels: Mapping[str, str], yes_no: tuple[str, str]) -> dict:
    terms = row.terms or {}
    hukou = terms.get("hukou_transfer")
    phone, email = graduate_contact(terms, row.student_phone, row.student_email)
    return {
        "number": row.number or "", "status": status_labels.get(row.status, row.status),
        "student_no": row.student_no, "student_name": row.student_name, "gender": row.gender or "",
        "id_number": (row.id_number or "") if reveal else mask_id_number(row.id_number or ""),
        "phone": phone if reveal else mask_phone(phone), "email": email,
        "college": row.college, "major": row.major, "degree": row.degree or "",
        "graduation_year": row.graduation_year, "employer": row.employer,
        "employer_credit_code": row.employer_credit_code, "position": terms.get("position", ""),
        "work_location": terms.get("work_location", ""), "monthly_pay": terms.get("monthly_pay", ""),
        "probation_months": terms.get("probation_months", ""), "contract_years": terms.get("contract_years", ""),
        "hukou_transfer": "" if hukou is None else yes_no[0] if hukou else yes_no[1],
        "offered_at": _local(row.offered_at), "in_force_at": _local(row.in_force_at),
    }


class ExportTooLarge(Exception):
    def __init__(self, count: int, limit: int):
        super().__init__(f"{count} rows, limit {limit}")
        self.count, self.limit = count, limit


def agreements_xlsx(principal: Principal, filters: queries.Filters, labels: Mapping[str, str],
                    status_labels: Mapping[str, str], yes_no: tuple[str, str] = ("是", "否"),
                    sheet_title: str = "三方协议") -> bytes:
    """The agreements the principal may see (with the list's filters) as an .xlsx file: all of them, or
    ExportTooLarge when they are more than one sheet should hold (the caller asks for narrower filters)."""
    count = queries.export_count(principal, filters)
    if count > queries.EXPORT_LIMIT:
        raise ExportTooLarge(count, queries.EXPORT_LIMIT)
    reveal = principal.can("agreement.personal_data")
    rows = queries.export_rows(principal, filters)
    return _workbook(sheet_title, [(key, labels.get(key, key), width) for key, width in AGREEMENT_COLUMNS],
                     (agreement_values(r, reveal=reveal, status_labels=status_labels, yes_no=yes_no) for r in rows))


def _workbook(title: str, columns: Sequence[tuple[str, str, int]], records) -> bytes:
    """Written row by row (openpyxl's write-only mode), so a large export does not hold every cell."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, (_key, _label, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header_fill = PatternFill("solid", fgColor="F0F4F8")
    header = []
    for _key, label, _width in columns:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font, cell.fill, cell.alignment = Font(bold=True), header_fill, Alignment(vertical="center")
        header.append(cell)
    sheet.append(header)
    count = 0
    for count, record in enumerate(records, start=1):
        row = []
        for key, _label, _width in columns:
            value = record.get(key)
            if isinstance(value, str):
                value = WriteOnlyCell(sheet, value=value)
                value.data_type = "s"  # text stays text: no formula from "=...", ID numbers keep every digit
            row.append(value)
        sheet.append(row)
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
