"""Signature fields and PAdES signatures of the three parties, in order: student, employer, university.

Every signature is an incremental update (earlier ones stay valid), PAdES B-T (CMS with a signature
timestamp from the TSA), with a visible stamp in a CJK font. The university field carries a FieldMDP lock
of ALL fields and DocMDP NO_CHANGES, so its signature, the last one, locks the document. No signature is a
certification signature (that would have to be the first one).
"""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo
from dataclasses import dataclass
from enum import Enum

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.stamp import TextStampStyle

from documents import signers as party_signers
from documents.fonts import stamp_font
from documents.pki import Credential
from documents.settings import DocumentSettings
from documents.tsa import timestamper_for

STAMP_TIMEZONE = ZoneInfo("Asia/Shanghai")


class Party(str, Enum):
    STUDENT = "student"
    EMPLOYER = "employer"
    UNIVERSITY = "university"

    @property
    def field_name(self) -> str:
        return f"sig_{self.value}"

    @property
    def stamp_label(self) -> str:
        return {"student": "毕业生签名", "employer": "用人单位盖章", "university": "学校就业部门盖章"}[self.value]


SIGNING_ORDER: tuple[Party, ...] = (Party.STUDENT, Party.EMPLOYER, Party.UNIVERSITY)
STAMP_SIZE = (148.0, 80.0)  # points; fits one cell of the template's signature table
_SEAL_RED = (0.78, 0.08, 0.08)


class SigningOrderError(ValueError):
    """A party tried to sign before the parties that must sign first."""


class SignatureFieldError(ValueError):
    """The PDF lacks the party's signature field, or has only some of the three."""


@dataclass(frozen=True)
class FieldPlacement:
    page: int  # 0-based
    box: tuple[float, float, float, float]


def prepare_signature_fields(pdf: bytes) -> bytes:
    """Add the three empty signature fields (the university's one with the locks); no-op if present.

    Fields go where the template's bookmarks Sig<Party> (SigStudent, ...) landed (PDF named destinations); without them,
    side by side at the bottom of the last page.
    """
    reader = PdfFileReader(io.BytesIO(pdf))
    existing = {name for name, _value, _ref in fields.enumerate_sig_fields(reader)}
    wanted = [p for p in SIGNING_ORDER if p.field_name not in existing]
    if not wanted:
        return pdf
    if len(wanted) != len(SIGNING_ORDER):
        raise SignatureFieldError(f"PDF has only some signature fields: {sorted(existing)}")
    placements = field_placements(reader)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for party in SIGNING_ORDER:
        place = placements[party]
        lock = {}
        if party is Party.UNIVERSITY:
            lock = {"field_mdp_spec": FieldMDPSpec(FieldMDPAction.ALL), "doc_mdp_update_value": MDPPerm.NO_CHANGES}
        fields.append_signature_field(
            writer, SigFieldSpec(party.field_name, on_page=place.page, box=place.box, **lock))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def field_placements(reader: PdfFileReader) -> dict[Party, FieldPlacement]:
    pages = _page_refs(reader)
    dests = _named_destinations(reader)
    width, height = STAMP_SIZE
    result: dict[Party, FieldPlacement] = {}
    for i, party in enumerate(SIGNING_ORDER):
        dest = dests.get(f"sig{party.value}")
        page_ref = dest.raw_get(0) if dest is not None and len(dest) >= 4 else None
        if isinstance(page_ref, generic.IndirectObject) and page_ref.reference in pages:
            x, y = float(dest[2]), float(dest[3])
            result[party] = FieldPlacement(pages.index(page_ref.reference), (x, y - height - 6, x + width, y - 6))
        else:
            x = 56 + i * (width + 16)
            result[party] = FieldPlacement(len(pages) - 1, (x, 60, x + width, 60 + height))
    return result


def signed_parties(pdf: bytes) -> list[Party]:
    """The parties whose signature field holds a signature, in signing order."""
    reader = PdfFileReader(io.BytesIO(pdf))
    filled = {name for name, value, _ref in fields.enumerate_sig_fields(reader) if value is not None}
    return [p for p in SIGNING_ORDER if p.field_name in filled]


def sign_field(pdf: bytes, party: Party | str, credential: Credential, settings: DocumentSettings, *,
               reason: str | None = None, location: str | None = None) -> bytes:
    """Sign `party`'s field. Returns `pdf` unchanged if that field is already signed (a job may run twice).

    Raises SigningOrderError when an earlier party has not signed yet. Adds the three fields first if the
    PDF has none.
    """
    party = Party(party)
    if not credential.name.startswith(party.value + ":"):
        raise ValueError(f"credential {credential.name!r} cannot sign the {party.value} field")
    reader = PdfFileReader(io.BytesIO(pdf))
    status = {name: value is not None for name, value, _ref in fields.enumerate_sig_fields(reader)}
    if not any(p.field_name in status for p in SIGNING_ORDER):
        pdf = prepare_signature_fields(pdf)
        status = {p.field_name: False for p in SIGNING_ORDER}
    if party.field_name not in status:
        raise SignatureFieldError(f"PDF has no signature field {party.field_name}")
    if status[party.field_name]:
        return pdf
    missing = [p.value for p in SIGNING_ORDER[:SIGNING_ORDER.index(party)] if not status.get(p.field_name)]
    if missing:
        raise SigningOrderError(f"{party.value} cannot sign before {', '.join(missing)} "
                                f"(order: {' -> '.join(p.value for p in SIGNING_ORDER)})")
    name = credential.certificate.subject.rfc4514_string()
    cn = [a.value for a in credential.certificate.subject if a.oid.dotted_string == "2.5.4.3"]
    name = str(cn[0]) if cn else name
    # The stamp shows the university's local time (the signature's own signing time stays in UTC).
    local_date, local_time = stamp_time(datetime.now(STAMP_TIMEZONE))
    meta = signers.PdfSignatureMetadata(
        field_name=party.field_name, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        reason=reason or f"{party.stamp_label}：就业协议书", location=location, name=name,
        # Matches the university field's /Lock (P=1); pyHanko would otherwise warn that it tightened it.
        docmdp_permissions=MDPPerm.NO_CHANGES if party is Party.UNIVERSITY else MDPPerm.FILL_FORMS,
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=party_signers.signer_for(settings, credential), timestamper=timestamper_for(settings),
        stamp_style=_stamp_style(settings, party, f"{name}\n{party.stamp_label}\n{local_date}\n{local_time}"),
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out,
                        bytes_reserved=settings.signature_bytes_reserved,
                        appearance_text_params={"name": name, "role": party.stamp_label, "local_date": local_date,
                                                "local_time": local_time})
    return out.getvalue()


def stamp_time(moment: datetime) -> tuple[str, str]:
    """The signing date and time on a stamp, in the university's time zone: ("签署日期：2026年6月1日",
    "09:30:05 北京时间")."""
    local = moment.astimezone(STAMP_TIMEZONE)
    return f"签署日期：{local.year}年{local.month}月{local.day}日", f"{local:%H:%M:%S} 北京时间"


def _stamp_style(settings: DocumentSettings, party: Party, text: str) -> TextStampStyle:
    return TextStampStyle(
        stamp_text="%(name)s\n%(role)s\n%(local_date)s\n%(local_time)s",
        text_box_style=TextBoxStyle(font=stamp_font(settings.font_path).engine_factory(text), font_size=10,
                                    leading=14),
        border_width=1 if party is Party.STUDENT else 2,
        border_color=(0.2, 0.2, 0.2) if party is Party.STUDENT else _SEAL_RED,
        background=None,
    )


def _page_refs(reader: PdfFileReader) -> list[generic.Reference]:
    refs: list[generic.Reference] = []

    def walk(node_ref: generic.IndirectObject) -> None:
        node = node_ref.get_object()
        if node.get("/Type") == "/Pages":
            kids = node["/Kids"]
            for i in range(len(kids)):
                walk(kids.raw_get(i))
        else:
            refs.append(node_ref.reference)

    walk(reader.root.raw_get("/Pages"))
    return refs


def _named_destinations(reader: PdfFileReader) -> dict[str, generic.ArrayObject]:
    """Named destinations from the catalog's /Dests dict (PDF 1.1) and the /Names /Dests name tree."""
    dests: dict[str, generic.ArrayObject] = {}
    root = reader.root
    if "/Dests" in root:
        old = root["/Dests"]
        for key in old:
            dests[str(key).lstrip("/")] = _dest_array(old[key])
    if "/Names" in root and "/Dests" in root["/Names"]:
        _walk_name_tree(root["/Names"]["/Dests"], dests)
    return {_dest_key(k): v for k, v in dests.items() if v is not None}


def _dest_key(name: str) -> str:
    # LibreOffice writes a bookmark "Sig_X" as the name "Sig5FX"; compare names without case or "_".
    return name.lower().replace("5f", "").replace("_", "")


def _walk_name_tree(node, out: dict) -> None:
    if "/Names" in node:
        names = node["/Names"]
        for i in range(0, len(names) - 1, 2):
            out[str(names[i])] = _dest_array(names[i + 1])
    if "/Kids" in node:
        for kid in node["/Kids"]:
            _walk_name_tree(kid, out)


def _dest_array(value):
    if isinstance(value, generic.DictionaryObject) and "/D" in value:
        value = value.get("/D")
    return value if isinstance(value, generic.ArrayObject) else None
