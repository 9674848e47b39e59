"""Document pipeline of the tripartite agreement: conversion, signatures, validation.

Run from the repository root:  .venv/bin/python bench/signing.py [--agreements 5 --signatures 30]

Measures, in one process on a throw-away PKI and the local TSA (HTTP on 127.0.0.1):
  (a) docx -> PDF: one `soffice --convert-to pdf` start per file vs the long-lived LibreOffice of
      documents.render (first call = office start + conversion; then warm calls);
  (b) per agreement, warm: render the template -> PDF -> three signature fields -> student, employer,
      university signatures -> pyHanko validation of all three (pipeline_s), plus the same for the first,
      cold agreement of the process;
  (c) ms per signature of documents.sign.sign_field (key loaded once, bytes_reserved, per-stamp font
      subset, kept-alive TSA connection, CJK stamp), and signatures/s of one process;
  (d) baseline: pyHanko's default setup for the same PAdES B-T signature on the same field: key loaded from
      the encrypted PKCS#8 file for every signature (SimpleSigner.load), HTTPTimeStamper (aiohttp), no
      bytes_reserved (pyHanko signs a dry run to size the signature), pyHanko's default Latin stamp;
  (e) for information: the same baseline with a CJK stamp through pyHanko's stock GlyphAccumulatorFactory
      on the wqy-microhei face (the whole font is parsed and subset for every stamp).
Prints the figures and, as its last line, one JSON object. No timing assertions: it only measures.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402

from documents import pki, sign, verify  # noqa: E402
from documents.agreement import render_agreement_docx  # noqa: E402
from documents.render import convert_with_fresh_soffice, converter_for  # noqa: E402
from documents.settings import DocumentSettings  # noqa: E402
from documents.tsa import LocalTsaServer  # noqa: E402

CREDIT_CODE = "91110108MA01ABCD2H"
AGREEMENT = {
    "agreement_number": "2025-10001-B-000123",
    "university": {"name": "示范大学", "office": "就业指导中心"},
    "graduate": {"name": "张三丰", "gender": "男", "student_number": "2021010203", "id_number": "110105200301011234",
                 "college": "计算机学院", "major": "软件工程", "degree": "本科", "expected_graduation": "2025 年 6 月",
                 "phone": "13800001111", "email": "zhangsf@example.edu.cn"},
    "employer": {"name": "北京星河科技有限公司", "credit_code": CREDIT_CODE, "type": "private",
                 "industry": "信息传输、软件和信息技术服务业", "address": "北京市海淀区中关村大街 1 号",
                 "contact_person": "李经理", "contact_phone": "010-88886666",
                 "archive_address": "北京市海淀区人才服务中心", "hukou_transfer": True},
    "job": {"position": "后端开发工程师", "location": "北京", "monthly_pay": 15000, "probation": 3,
            "contract_term": 3, "breach_terms": "任何一方违约，应向守约方支付违约金人民币伍仟元。", "other_clauses": "无"},
}


def _ms(values: list[float]) -> str:
    return f"mean {statistics.mean(values) * 1000:7.1f} ms  median {statistics.median(values) * 1000:7.1f} ms"


def pipeline_once(settings: DocumentSettings, creds: dict, ca_path: Path) -> tuple[float, dict[str, float]]:
    parts: dict[str, float] = {}
    t0 = time.perf_counter()
    docx = render_agreement_docx(AGREEMENT)
    t1 = time.perf_counter()
    pdf = converter_for(settings).convert(docx)
    t2 = time.perf_counter()
    pdf = sign.prepare_signature_fields(pdf)
    t3 = time.perf_counter()
    for party in ("student", "employer", "university"):
        pdf = sign.sign_field(pdf, party, creds[party], settings)
    t4 = time.perf_counter()
    report = verify.verify_pdf(pdf, [ca_path])
    t5 = time.perf_counter()
    if not (report.all_ok and report.locked and len(report.signatures) == 3):
        raise SystemExit(f"pipeline produced an invalid document: {report.as_dict()}")
    parts.update(render=t1 - t0, convert=t2 - t1, fields=t3 - t2, sign3=t4 - t3, validate=t5 - t4)
    return t5 - t0, parts


def baseline_signature(pdf: bytes, credential: pki.Credential, settings: DocumentSettings, ca_path: Path,
                       stamp_style=None) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.timestamps import HTTPTimeStamper

    signer = signers.SimpleSigner.load(str(credential.key_path), str(credential.cert_path),
                                       ca_chain_files=(str(ca_path),), key_passphrase=settings.passphrase_bytes)
    meta = signers.PdfSignatureMetadata(field_name="sig_student", md_algorithm="sha256",
                                        subfilter=SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=HTTPTimeStamper(settings.tsa_url),
                                   stamp_style=stamp_style)
    out = io.BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=5)
    parser.add_argument("--signatures", type=int, default=30, help="signatures per signer setup (multiple of 3)")
    parser.add_argument("--fresh-soffice", type=int, default=3)
    parser.add_argument("--cjk-baseline", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-signing-") as tmp:
        base = DocumentSettings(key_dir=Path(tmp) / "pki", key_passphrase="bench-passphrase")
        with LocalTsaServer(base) as tsa:
            settings = replace(base, tsa_url=tsa.url)
            result = run(settings, args)
    print(json.dumps(result))


def run(settings: DocumentSettings, args) -> dict:
    t = time.perf_counter()
    ca = pki.ensure_ca(settings)
    creds = {
        "student": pki.ensure_party_certificate(settings, "student", "2021010203", "张三丰", unit="计算机学院"),
        "employer": pki.ensure_party_certificate(settings, "employer", "E-1001", "北京星河科技有限公司",
                                                 credit_code=CREDIT_CODE),
        "university": pki.ensure_party_certificate(settings, "university", "seal", "示范大学就业指导中心"),
    }
    print(f"PKI set-up (CA, TSA, 3 party certificates, P-256, encrypted PKCS#8): {time.perf_counter() - t:.2f} s")

    # (b) first: cold process (office start, font parse, key decryption), then warm agreements
    cold, cold_parts = pipeline_once(settings, creds, ca.cert_path)
    warm, parts = [], []
    for _ in range(args.agreements):
        total, p = pipeline_once(settings, creds, ca.cert_path)
        warm.append(total)
        parts.append(p)
    pipeline_s = statistics.mean(warm)

    # (a) conversion
    docx = render_agreement_docx(AGREEMENT)
    converter = converter_for(settings)
    warm_conv = []
    for _ in range(10):
        t = time.perf_counter()
        converter.convert(docx)
        warm_conv.append(time.perf_counter() - t)
    fresh = []
    for _ in range(args.fresh_soffice):
        t = time.perf_counter()
        convert_with_fresh_soffice(docx)
        fresh.append(time.perf_counter() - t)

    # (c) our signatures, cycling student -> employer -> university on fresh copies
    unsigned = sign.prepare_signature_fields(converter.convert(docx))
    ours = []
    for _ in range(max(1, args.signatures // 3)):
        pdf = unsigned
        for party in ("student", "employer", "university"):
            t = time.perf_counter()
            pdf = sign.sign_field(pdf, party, creds[party], settings)
            ours.append(time.perf_counter() - t)
    ms_per_signature = statistics.mean(ours) * 1000

    # (d) pyHanko defaults, same field, same TSA, key loaded per signature, no bytes_reserved
    baseline = []
    for _ in range(max(1, args.signatures // 3)):
        t = time.perf_counter()
        signed = baseline_signature(unsigned, creds["student"], settings, ca.cert_path)
        baseline.append(time.perf_counter() - t)
    check = verify.verify_pdf(signed, [ca.cert_path]).signatures[0]
    assert check.ok and check.timestamp_trusted, check.summary
    baseline_ms = statistics.mean(baseline) * 1000

    # (e) baseline with a CJK stamp through pyHanko's stock font engine
    cjk = []
    if args.cjk_baseline:
        import logging

        logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" per stamp
        from fontTools.ttLib import TTCollection
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
        from pyhanko.pdf_utils.text import TextBoxStyle
        from pyhanko.stamp import TextStampStyle

        face = Path(settings.key_dir) / "wqy-face0.ttf"
        TTCollection(str(settings.font_path)).fonts[0].save(str(face))
        style = TextStampStyle(stamp_text="张三丰\n毕业生签名\n%(ts)s",
                               text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(face))))
        for _ in range(args.cjk_baseline):
            t = time.perf_counter()
            baseline_signature(unsigned, creds["student"], settings, ca.cert_path, stamp_style=style)
            cjk.append(time.perf_counter() - t)

    print("\n(a) docx -> PDF (the agreement, 2 pages)")
    print(f"  fresh `soffice --convert-to` per file : {_ms(fresh)}  (n={len(fresh)})")
    print(f"  long-lived LibreOffice, warm         : {_ms(warm_conv)}  (n={len(warm_conv)}), "
          f"{statistics.mean(fresh) / statistics.mean(warm_conv):.1f}x faster")
    print(f"  long-lived LibreOffice, first call   : {cold_parts['convert'] * 1000:7.1f} ms (office start included)")
    print("\n(b) per agreement: render -> PDF -> fields -> 3 signatures -> validate (pyHanko)")
    print(f"  cold (first in process)              : {cold:.3f} s  "
          + " ".join(f"{k}={v * 1000:.0f}ms" for k, v in cold_parts.items()))
    print(f"  warm                                 : {pipeline_s:.3f} s  (n={len(warm)}) "
          + " ".join(f"{k}={statistics.mean(p[k] for p in parts) * 1000:.0f}ms" for k in parts[0]))
    print("\n(c) documents.sign.sign_field (PAdES B-T, CJK stamp, HTTP TSA on 127.0.0.1)")
    print(f"  per signature                        : {_ms(ours)}  (n={len(ours)})")
    print(f"  signatures/s, one process            : {1000 / ms_per_signature:7.1f}")
    print("\n(d) baseline: pyHanko defaults (key loaded per signature, aiohttp TSA client, no bytes_reserved)")
    print(f"  per signature                        : {_ms(baseline)}  (n={len(baseline)}), "
          f"ours is {baseline_ms / ms_per_signature:.1f}x faster")
    if cjk:
        print(f"(e) baseline + CJK stamp via pyHanko's GlyphAccumulatorFactory: {_ms(cjk)}  (n={len(cjk)})")
    return {"ms_per_signature": round(ms_per_signature, 1), "baseline_ms_per_signature": round(baseline_ms, 1),
            "pipeline_s": round(pipeline_s, 3)}


if __name__ == "__main__":
    main()
