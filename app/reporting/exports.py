"""A report's table as a file: CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese) or Excel."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def table_file(fmt: str, title: str, note: str, headers: Sequence[str], rows: Sequence[Sequence]) -> bytes:
    """`note` (what the figures are, their source and date) goes first, as the reports' figures do."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([title])
        writer.writerow([note])
        writer.writerow(headers)
        writer.writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([note])
    sheet.append(list(headers))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column, header in zip(sheet.iter_cols(min_row=3, max_row=3), headers):
        sheet.column_dimensions[column[0].column_letter].width = max(10, len(str(header)) * 2 + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
