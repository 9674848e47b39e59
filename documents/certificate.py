"""The audit-trail certificate of an agreement as a signed PDF (like an e-signature service's certificate of
completion): the parties, every document version with its SHA-256, and every evidence entry (who, when,
from which address, the document hash at that moment, the entry's chain hash).

Built as Word with python-docx (tables of whatever length the chain has), converted by the long-lived
LibreOffice, then certified by the university: a PAdES B-T certification signature with DocMDP
NO_CHANGES, so any later change to the file is detected by every validator. The chain head's anchor (its
statement and its timestamped CMS seal, app/agreements/anchors.py) is printed and attached to the file.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

from documents import signers as party_signers
from documents.docx_tools import a4_document, cell_text, fit_cells, grid_table, paragraph, repeat_as_header
from documents.pki import Credential
from documents.render import docx_to_pdf
from documents.settings import DocumentSettings
from documents.tsa import timestamper_for

FIELD_NAME = "sig_certificate"


@dataclass
class CertificateData:
    university: str
    office: str
    agreement_number: str
    agreement_id: int
    status: str
    chain_intact: bool
    problems: list[str]
    issued_at: str  # local time, as printed
    verify_url: str
    parties: list[tuple[str, str]]  # (role, name)
    documents: list[tuple[str, str, str, str]] = field(default_factory=list)  # version, kind, created, sha256
    # seq, time, who, act, address, document sha256 ("" if none), entry hash
    evidence: list[tuple[str, str, str, str, str, str, str]] = field(default_factory=list)
    anchor: "AnchorData | None" = None


@dataclass
class AnchorData:
    """The sealed head of the chain: how many entries, the last one's hash, who sealed it and the TSA's time."""

    count: int
    head_hash: str
    signer: str
    timestamp: str  # local time, as printed
    statement_name: str
    statement: bytes
    seal_name: str
    seal: bytes


def _table(doc, header: list[str], rows: list[tuple], widths_cm: list[float], size: float = 8) -> None:
    table = grid_table(doc, 1, widths_cm)
    for cell, text in zip(table.rows[0].cells, header):
        cell_text(cell, text, size=size, bold=True, shade="F2F2F2")
    repeat_as_header(table.rows[0])
    for values in rows:
        row = table.add_row()
        fit_cells(row, widths_cm)
        for cell, text in zip(row.cells, values):
            cell_text(cell, str(text), size=size)


def build_docx(c: CertificateData) -> bytes:
    doc = a4_document(landscape=True, side_cm=1.5, top_cm=1.5, bottom_cm=1.5, font_size=10,
                      footer=f"{c.university}就业指导中心出具    协议书编号：{c.agreement_number or '未编号'}")

    paragraph(doc, c.university, size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(doc, "就业协议书签署审计证书", size=18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    paragraph(doc, "本证书列出下列三方协议上记录的全部行为：由谁、在何时、从哪个网络地址作出，以及当时协议文件的 SHA-256 "
                   "摘要。各条记录首尾相连（每条记录的链哈希包含前一条的链哈希），任何删改都会被发现。", size=9.5,
              space_after=6)
    chain = "完整（已逐条核对）" if c.chain_intact else "发现问题：" + "；".join(c.problems)
    _table(doc, ["协议书编号", "内部编号", "协议状态", "证据链", "出具时间（北京时间）"],
           [(c.agreement_number or "未编号", f"#{c.agreement_id}", c.status, chain, c.issued_at)],
           [5.0, 2.5, 3.5, 8.7, 7.0], size=9)
    paragraph(doc, "", space_after=4)
    _table(doc, [role for role, _name in c.parties], [tuple(name for _role, name in c.parties)],
           [26.7 / max(1, len(c.parties))] * len(c.parties), size=9)

    paragraph(doc, "一、协议文件各版本", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(10)
    if c.documents:
        _table(doc, ["版本", "类型", "生成时间", "SHA-256"], c.documents, [1.5, 4.0, 4.5, 16.7])
    else:
        paragraph(doc, "尚未生成协议文件。", size=9.5)

    paragraph(doc, "二、证据链", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(10)
    # both hashes in one wide cell, one per line, so neither is broken in the middle
    rows = [(*e[:5], (f"文件 {e[5]}\n" if e[5] else "") + f"链 {e[6]}") for e in c.evidence]
    _table(doc, ["序号", "时间", "行为人", "行为", "网络地址", "文件 SHA-256 / 链哈希"], rows,
           [1.0, 3.0, 3.0, 4.5, 2.7, 12.5], size=7.5)

    paragraph(doc, "三、链头锚定", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(10)
    if c.anchor is not None:
        a = c.anchor
        _table(doc, ["锚定的记录条数", "最后一条的链哈希", "签名人", "可信时间戳（北京时间）"],
               [(str(a.count), a.head_hash, a.signer, a.timestamp)], [3.0, 12.5, 5.2, 6.0], size=8)
        paragraph(doc, f"证据链的链头（条数与最后一条的链哈希）在每次协议状态变化后由学校签名，并由时间戳服务机构加盖 RFC 3161 "
                       f"时间戳，保存在数据库之外。签名文件 {a.seal_name} 及其内容 {a.statement_name} 附在本 PDF 中；删除或改写已锚定的"
                       "记录都会被发现。", size=9.5)
    else:
        paragraph(doc, "链头尚未锚定。", size=9.5)

    paragraph(doc, "四、如何核验", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(10)
    paragraph(doc, f"任何人都可以在 {c.verify_url} 核验已签署的协议 PDF：页面显示签署人、签署时间、签署后是否被修改，以及是否与"
                   "存档文件一致。本证书由学校就业部门以电子签名认证（PAdES，含可信时间戳），认证后不允许任何修改；"
                   "在信任学校的证书颁发机构后，可用任何支持签名验证的 PDF 阅读器（如 Adobe Acrobat、poppler 的 pdfsig）核验。",
              size=9.5)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_pdf(c: CertificateData, settings: DocumentSettings) -> bytes:
    pdf = docx_to_pdf(build_docx(c), settings)
    if c.anchor is None:
        return pdf
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name, data, mime, description in (
            (c.anchor.statement_name, c.anchor.statement, "application/json", "证据链链头（锚定内容）"),
            (c.anchor.seal_name, c.anchor.seal, "application/pkcs7-signature", "链头的 CMS 签名（含 RFC 3161 时间戳）")):
        embed.embed_file(writer, embed.FileSpec(
            file_spec_string=name, file_name=name, description=description,
            embedded_data=embed.EmbeddedFileObject.from_file_data(writer, data, mime_type=mime)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def certify(pdf: bytes, credential: Credential, settings: DocumentSettings, *, location: str | None = None) -> bytes:
    """The university's certification signature (invisible, PAdES B-T, DocMDP NO_CHANGES)."""
    if not credential.name.startswith("university:"):
        raise ValueError(f"credential {credential.name!r} is not the university's")
    cn = [a.value for a in credential.certificate.subject if a.oid.dotted_string == "2.5.4.3"]
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES, certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES, reason="就业协议书签署审计证书", location=location,
        name=str(cn[0]) if cn else None)
    pdf_signer = signers.PdfSigner(meta, signer=party_signers.signer_for(settings, credential),
                                   timestamper=timestamper_for(settings))
    out = io.BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out,
                        bytes_reserved=settings.signature_bytes_reserved)
    return out.getvalue()
