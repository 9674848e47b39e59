"""Batch import from Excel (.xlsx): a template to download, reading and checking an uploaded file row by row,
the error report as the uploaded workbook marked up, and what an import would change (docs/xlsx_import.md).

An area describes its sheet once (`Sheet` of `Column`s, each with a parser that raises ValueError with the
message for the person who fills in the file) and then:

    template(SHEET)                  -> bytes of a workbook with the headers, notes and an example row
    read(SHEET, data)                -> Reading(rows, problems): values parsed, one Problem per bad cell
    marked_up(SHEET, data, problems) -> the uploaded workbook, bad cells in red with a note, a 问题 column
    changes(existing, rows)          -> Changes(create, update, unchanged): what a commit would write
    parse_values(SHEET, texts)       -> one row typed into a web form, checked by the same rules

Nothing here touches the database: the area checks its own rules (unknown college...), adds Problems, and
commits everything or nothing in one unit of work.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zipfile import BadZipFile

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

MAX_BYTES = 20 * 1024 * 1024
PROBLEMS_HEADER = "问题"
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

Parser = Callable[[str], Any]


class ImportFileError(ValueError):
    """The upload is not a workbook this sheet can read at all (not .xlsx, too large, no sheet)."""


@dataclass(frozen=True)
class Column:
    key: str                 # the name of the value in Row.values
    header: str              # the column's header in the workbook (what people see)
    parse: Parser = str      # text -> value; raises ValueError(message) for a bad cell
    required: bool = False
    example: str = ""
    note: str = ""           # shown as the header's comment in the template


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[Column, ...]
    key: str                 # the column whose value identifies a row (student number...)
    max_rows: int = 200_000

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Problem:
    row: int                 # the worksheet row (1 = headers)
    column: str              # the column's header, "" for the whole row
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Row:
    number: int              # the worksheet row
    values: dict[str, Any]


@dataclass
class Reading:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Changes:
    create: list[Row] = field(default_factory=list)
    update: list[tuple[Row, dict[str, tuple[Any, Any]]]] = field(default_factory=list)  # field: (old, new)
    unchanged: int = 0

    def summary(self) -> dict[str, int]:
        return {"create": len(self.create), "update": len(self.update), "unchanged": self.unchanged}


# -- parsers (each raises ValueError with the message for the person filling in the file) ------------------

def text(max_length: int, min_length: int = 1) -> Parser:
    def parse(value: str) -> str:
        if not min_length <= len(value) <= max_length:
            raise ValueError(_("Between %(low)d and %(high)d characters.", low=min_length, high=max_length))
        return value
    return parse


def choice(options: Sequence[str]) -> Parser:
    def parse(value: str) -> str:
        if value not in options:
            raise ValueError(_("One of: %(options)s.", options="、".join(options)))
        return value
    return parse


def integer(low: int, high: int) -> Parser:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(_("A whole number.")) from None
        if not low <= number <= high:
            raise ValueError(_("A number from %(low)d to %(high)d.", low=low, high=high))
        return number
    return parse


def matching(pattern: str, message: str) -> Parser:
    compiled = re.compile(pattern)

    def parse(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(message)
        return value
    return parse


# -- template, reading, the marked-up report -----------------------------------------------------------------

def template(sheet: Sheet) -> bytes:
    """A workbook with the headers (required ones in bold, every column formatted as text so that long
    numbers keep their digits), a note per header and one example row."""
    book = Workbook()
    ws = book.active
    ws.title = sheet.title[:31]
    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=column.required)
        cell.fill = HEADER_FILL
        note = (_("Required.") + " " if column.required else "") + column.note
        if note.strip():
            cell.comment = Comment(note.strip(), "")
        example = ws.cell(row=2, column=index, value=column.example or None)
        example.number_format = "@"
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        for row in range(3, 1002):
            ws.cell(row=row, column=index).number_format = "@"
    ws.freeze_panes = "A2"
    return _save(book)


def cell_text(value: Any) -> str:
    """A cell as the text someone typed: 2023001.0 -> "2023001", a date -> 2026-09-01."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _open(data: bytes, read_only: bool):
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)))
    try:
        return load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError, TypeError) as err:
        raise ImportFileError(_("This is not an Excel workbook (.xlsx).")) from err


def _header_map(sheet: Sheet, headers: Sequence[str]) -> tuple[dict[str, int], list[Problem]]:
    by_text = {c.header: c for c in sheet.columns} | {c.key: c for c in sheet.columns}
    positions: dict[str, int] = {}
    problems = []
    for index, header in enumerate(headers):
        column = by_text.get(header)
        if column is not None and column.key not in positions:
            positions[column.key] = index
    for column in sheet.columns:
        if column.required and column.key not in positions:
            problems.append(Problem(1, column.header, _("The column is missing.")))
    return positions, problems


def read(sheet: Sheet, data: bytes) -> Reading:
    """Every row of the first worksheet, parsed; empty rows are skipped. Raises ImportFileError when the
    file cannot be read at all; everything else is a Problem (row, column, message)."""
    book = _open(data, read_only=True)
    try:
        ws = book.worksheets[0] if book.worksheets else None
        if ws is None:
            raise ImportFileError(_("The workbook has no worksheet."))
        rows = ws.iter_rows(values_only=True)
        headers = [cell_text(v) for v in next(rows, ())]
        positions, problems = _header_map(sheet, headers)
        reading = Reading(problems=problems)
        if problems:
            return reading
        seen: dict[Any, int] = {}
        for number, cells in enumerate(rows, start=2):
            texts = [cell_text(v) for v in cells]
            if not any(texts):
                continue
            if len(reading.rows) >= sheet.max_rows:
                reading.problems.append(Problem(number, "", _("More than %(n)d rows: split the file.",
                                                              n=sheet.max_rows)))
                break
            row = _parse_row(sheet, positions, texts, number, reading.problems)
            if row is None:
                continue
            key = row.values.get(sheet.key)
            if key in seen:
                reading.problems.append(Problem(number, sheet.column(sheet.key).header,
                                                _("Same as row %(row)d.", row=seen[key])))
                continue
            seen[key] = number
            reading.rows.append(row)
        return reading
    finally:
        book.close()


def _parse_row(sheet: Sheet, positions: Mapping[str, int], texts: Sequence[str], number: int,
               problems: list[Problem]) -> Row | None:
    values: dict[str, Any] = {}
    bad = False
    for column in sheet.columns:
        index = positions.get(column.key)
        raw = texts[index] if index is not None and index < len(texts) else ""
        if not raw:
            if column.required:
                problems.append(Problem(number, column.header, _("Required.")))
                bad = True
            values[column.key] = None
            continue
        try:
            values[column.key] = column.parse(raw)
        except ValueError as err:
            problems.append(Problem(number, column.header, str(err)))
            bad = True
    return None if bad else Row(number, values)


def parse_values(sheet: Sheet, texts: Mapping[str, str]) -> tuple[Row | None, list[Problem]]:
    """One row typed into a web form (column key -> text) checked by the same rules as a file's row: manual
    create and edit use the import's rules. Problems carry row 0 and the column's key."""
    keys = [c.key for c in sheet.columns]
    problems: list[Problem] = []
    row = _parse_row(sheet, {k: i for i, k in enumerate(keys)}, [(texts.get(k) or "").strip() for k in keys], 0,
                     problems)
    by_header = {c.header: c.key for c in sheet.columns}
    return row, [Problem(0, by_header.get(p.column, p.column), p.message) for p in problems]


def marked_up(sheet: Sheet, data: bytes, problems: Iterable[Problem]) -> bytes:
    """The uploaded workbook with each bad cell in red (the problem as its note), a 问题 column at the end of
    each bad row, and a sheet listing every problem: what the person fixes and uploads again."""
    book = _open(data, read_only=False)
    ws = book.worksheets[0]
    headers = {cell_text(c.value): c.column for c in ws[1]}
    for column in sheet.columns:  # a header found by its key is still marked under its text
        if column.header not in headers and column.key in headers:
            headers[column.header] = headers[column.key]
    problem_column = ws.max_column + 1
    ws.cell(row=1, column=problem_column, value=PROBLEMS_HEADER).fill = BAD_FILL
    per_row: dict[int, list[str]] = {}
    problems = sorted(problems, key=lambda p: (p.row, p.column))
    for problem in problems:
        target = headers.get(problem.column)
        if target is not None and problem.row >= 1:
            cell = ws.cell(row=problem.row, column=target)
            cell.fill = BAD_FILL
            cell.comment = Comment(problem.message, "")
        label = f"{problem.column}: {problem.message}" if problem.column else problem.message
        per_row.setdefault(problem.row, []).append(label)
    for row, labels in per_row.items():
        ws.cell(row=row, column=problem_column, value="；".join(labels)).font = Font(color="9C0006")
    listing = book.create_sheet(PROBLEMS_HEADER)
    listing.append([_("Row"), _("Column"), _("Problem")])
    for problem in problems:
        listing.append([problem.row, problem.column, problem.message])
    return _save(book)


def changes(existing: Mapping[Any, Mapping[str, Any]], rows: Iterable[Row], key: str,
            compared: Sequence[str]) -> Changes:
    """What importing `rows` would do against `existing` (key -> current values): new keys are created; of the
    others only those whose `compared` values differ are updated, with just the fields that differ. An empty
    cell leaves a field as it is, so a file may carry only the columns it updates."""
    result = Changes()
    for row in rows:
        current = existing.get(row.values[key])
        if current is None:
            result.create.append(row)
            continue
        differing = {name: (current.get(name), row.values[name]) for name in compared
                     if row.values.get(name) is not None and row.values[name] != current.get(name)}
        if differing:
            result.update.append((row, differing))
        else:
            result.unchanged += 1
    return result


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
