"""python-docx helpers shared by the Word documents we build: CJK fonts on every run, shaded cells, row
heights and bookmarks (LibreOffice exports bookmarks as PDF named destinations)."""
from __future__ import annotations

from collections.abc import Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

FONT = "WenQuanYi Micro Hei"  # Debian fonts-wqy-microhei; Word falls back to a CJK font if it is missing


def a4_document(*, landscape: bool, side_cm: float, top_cm: float, bottom_cm: float, font_size: float,
                footer: str):
    """An A4 Word document in the CJK font, with a centred one-line footer."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = (Cm(29.7), Cm(21.0)) if landscape else (Cm(21.0), Cm(29.7))
    section.page_width, section.page_height = width, height
    section.left_margin = section.right_margin = Cm(side_cm)
    section.top_margin, section.bottom_margin = Cm(top_cm), Cm(bottom_cm)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(font_size)
    normal.element.get_or_add_rPr().rFonts.set(qn("w:eastAsia"), FONT)
    line = section.footer.paragraphs[0]
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_run_font(line.add_run(footer), 8)
    return doc


def set_run_font(run, size: float, bold: bool = False, font: str = FONT) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = font
    rpr = run._element.get_or_add_rPr()
    rpr.rFonts.set(qn("w:eastAsia"), font)


def paragraph(container, text: str = "", size: float = 10.5, bold: bool = False,
              align=WD_ALIGN_PARAGRAPH.LEFT, space_after: float = 2):
    p = container.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    p.paragraph_format.space_before = Pt(0)
    if text:
        set_run_font(p.add_run(text), size, bold)
    return p


def cell_text(cell, text: str, size: float = 10, bold: bool = False, shade: str | None = None,
              align=WD_ALIGN_PARAGRAPH.LEFT) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    set_run_font(p.add_run(text), size, bold)
    if shade:
        tc_pr = cell._element.get_or_add_tcPr()
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), shade)
        tc_pr.append(shd)


def grid_table(container, rows: int, widths_cm: Sequence[float]):
    """A bordered, centred table with fixed column widths."""
    table = container.add_table(rows=rows, cols=len(widths_cm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):  # LibreOffice lays out by the grid's widths,
        column.width = Cm(width)
    for row in table.rows:
        fit_cells(row, widths_cm)
    return table


def fit_cells(row, widths_cm: Sequence[float]) -> None:
    """Word lays out by the cells' widths: set them too (also on rows added later)."""
    for cell, width in zip(row.cells, widths_cm):
        cell.width = Cm(width)


def row_height(row, cm: float) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    height = OxmlElement("w:trHeight")
    height.set(qn("w:val"), str(int(cm * 567)))
    height.set(qn("w:hRule"), "atLeast")
    tr_pr.append(height)


def repeat_as_header(row) -> None:
    """The row is repeated at the top of every page the table runs over."""
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def bookmark(paragraph_, name: str, bookmark_id: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    paragraph_._p.append(start)
    paragraph_._p.append(end)
