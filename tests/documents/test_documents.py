"""The agreement's document pipeline end to end: render -> PDF -> three PAdES signatures -> two validators.

Needs LibreOffice, poppler and NSS tools (config/system-packages.txt). Without them the tests skip with the
reason; with CI=true a missing binary is an error, as for the servers in tests/conftest.py.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from documents import pki, sign, verify
from documents.agreement import render_agreement_pdf
from documents.settings import DocumentSettings, Pkcs11Settings
from documents.tsa import LocalTsaServer
from tests.pdf_tools import flip_byte_in_signed_content, pdftotext

BINARIES = ("soffice", "pdfsig", "pdftotext", "pdffonts", "certutil")
_MISSING = [b for b in BINARIES if shutil.which(b) is None]
if _MISSING and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    pytest.fail(f"CI: missing {', '.join(_MISSING)}: install config/system-packages.txt", pytrace=False)
pytestmark = pytest.mark.skipif(
    bool(_MISSING), reason=f"system binaries missing: {', '.join(_MISSING)} (apt-get install the packages "
                           "in config/system-packages.txt)")

CREDIT_CODE = "91110108MA01ABCD2H"
AGREEMENT = {
    "agreement_number": "2025-10001-B-000123",
    "university": {"name": "示范大学", "office": "就业指导中心"},
    "graduate": {
        "name": "张三丰", "gender": "男", "student_number": "2021010203", "id_number": "110105200301011234",
        "college": "计算机学院", "major": "软件工程", "degree": "本科", "expected_graduation": "2025 年 6 月",
        "phone": "13800001111", "email": "zhangsf@example.edu.cn",
    },
    "employer": {
        "name": "北京星河科技有限公司", "credit_code": CREDIT_CODE, "type": "private",
        "industry": "信息传输、软件和信息技术服务业", "address": "北京市海淀区中关村大街 1 号",
        "contact_person": "李经理", "contact_phone": "010-88886666",
        "archive_address": "北京市海淀区人才服务中心", "hukou_transfer": True,
    },
    "job": {
        "position": "后端开发工程师", "location": "北京市海淀区", "monthly_pay": 15000, "probation": 3,
        "contract_term": 3, "breach_terms": "任何一方违约，应向守约方支付违约金人民币伍仟元。\n解约须提前三十日书面通知。",
        "other_clauses": "单位提供人才公寓一年。",
    },
}


@pytest.fixture(scope="module")
def base_settings(tmp_path_factory) -> DocumentSettings:
    return DocumentSettings(key_dir=tmp_path_factory.mktemp("pki"), key_passphrase="test-passphrase-三方")


@pytest.fixture(scope="module")
def settings(base_settings):
    with LocalTsaServer(base_settings) as tsa:
        yield replace(base_settings, tsa_url=tsa.url)


@pytest.fixture(scope="module")
def credentials(settings) -> dict[str, pki.Credential]:
    return {
        "student": pki.ensure_party_certificate(settings, "student", "2021010203", "张三丰", unit="计算机学院"),
        "employer": pki.ensure_party_certificate(settings, "employer", "E-1001", "北京星河科技有限公司",
                                                 credit_code=CREDIT_CODE),
        "university": pki.ensure_party_certificate(settings, "university", "seal", "示范大学就业指导中心"),
    }


@pytest.fixture(scope="module")
def unsigned_pdf(settings) -> bytes:
    return render_agreement_pdf(AGREEMENT, settings)


@pytest.fixture(scope="module")
def signed_steps(unsigned_pdf, settings, credentials) -> dict[str, bytes]:
    steps, pdf = {}, unsigned_pdf
    for party in ("student", "employer", "university"):
        pdf = sign.sign_field(pdf, party, credentials[party], settings)
        steps[party] = pdf
    return steps


@pytest.fixture(scope="module")
def signed_pdf(signed_steps) -> bytes:
    return signed_steps["university"]


@pytest.fixture(scope="module")
def nss_db(settings) -> Path:
    return verify.installation_nss_db(settings)


def test_pdf_text_is_extractable_chinese_with_embedded_fonts(unsigned_pdf, signed_pdf, tmp_path):
    text = re.sub(r"\s+", "", pdftotext(signed_pdf, tmp_path))
    for value in ("全国普通高等学校毕业生就业协议书", "张三丰", "计算机学院", "软件工程", "北京星河科技有限公司",
                  CREDIT_CODE, "民营企业", "后端开发工程师", "15,000元/月", "3个月", "违约金人民币伍仟元",
                  "人才公寓", "2025-10001-B-000123", "110105********1234"):
        assert value in text, value
    assert "110105200301011234" not in text  # the ID number is masked
    path = tmp_path / "fonts.pdf"
    path.write_bytes(signed_pdf)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and any("WenQuanYi" in row for row in rows)
    for row in rows:  # columns: name type encoding emb sub uni ...
        assert re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", row), f"font not embedded: {row}"


def test_signature_fields_sit_in_the_signature_table(unsigned_pdf):
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    placements = sign.field_placements(PdfFileReader(io.BytesIO(unsigned_pdf)))
    boxes = [placements[p].box for p in sign.SIGNING_ORDER]
    assert {placements[p].page for p in sign.SIGNING_ORDER} == {1}  # page 2: clauses and signatures
    assert boxes[0][0] < boxes[1][0] < boxes[2][0]  # side by side, student on the left
    assert boxes[0][1] > 200  # from the bookmarks, not the bottom-of-page fallback
    assert sign.signed_parties(unsigned_pdf) == []


def test_three_signatures_validate_with_pyhanko(signed_pdf, settings):
    report = verify.verify_pdf(signed_pdf, [pki.ca_certificate_path(settings)])
    assert [s.field for s in report.signatures] == ["sig_student", "sig_employer", "sig_university"]
    assert [s.signer for s in report.signatures] == ["张三丰", "北京星河科技有限公司", "示范大学就业指导中心"]
    for sig in report.signatures:
        assert sig.intact and sig.valid and sig.trusted and sig.docmdp_ok, sig.summary
        assert sig.timestamp is not None and sig.timestamp_trusted, sig.summary
        assert sig.pades_level == "B-T"
    first, second, last = report.signatures
    assert first.coverage == second.coverage == "ENTIRE_REVISION"
    assert first.modifications == second.modifications == "FORM_FILLING"
    assert last.coverage == "ENTIRE_FILE" and last.modifications == "NONE"
    assert last.field_lock == "ALL" and last.docmdp == "NO_CHANGES"
    assert first.docmdp is None and second.docmdp is None  # not certification signatures
    assert report.all_ok and report.locked
    assert len(report.sha256) == 64


def test_three_signatures_validate_with_pdfsig(signed_pdf, nss_db):
    result = verify.run_pdfsig(signed_pdf, nss_db)
    assert [s.field for s in result] == ["sig_student", "sig_employer", "sig_university"]
    assert all(s.signature_status == "Signature is Valid." for s in result), result
    assert all(s.trusted for s in result), result
    assert result[-1].total_document_signed


def test_one_flipped_byte_is_detected_by_both_validators(signed_pdf, unsigned_pdf, settings, nss_db):
    tampered = flip_byte_in_signed_content(signed_pdf, len(unsigned_pdf))
    report = verify.verify_pdf(tampered, [pki.ca_certificate_path(settings)])
    assert len(report.signatures) == 3
    assert not any(s.intact for s in report.signatures)
    assert not report.all_ok
    assert report.sha256 != verify.verify_pdf(signed_pdf, [pki.ca_certificate_path(settings)]).sha256
    result = verify.run_pdfsig(tampered, nss_db)
    assert len(result) == 3 and not any(s.valid for s in result), result


def test_signing_again_for_a_signed_party_changes_nothing(signed_steps, settings, credentials):
    after_student = signed_steps["student"]
    assert sign.sign_field(after_student, "student", credentials["student"], settings) == after_student
    final = signed_steps["university"]
    for party in ("student", "employer", "university"):
        assert sign.sign_field(final, party, credentials[party], settings) == final
    assert sign.signed_parties(final) == list(sign.SIGNING_ORDER)


def test_wrong_order_is_refused(unsigned_pdf, signed_steps, settings, credentials):
    with pytest.raises(sign.SigningOrderError, match="employer cannot sign before student"):
        sign.sign_field(unsigned_pdf, "employer", credentials["employer"], settings)
    with pytest.raises(sign.SigningOrderError, match="university cannot sign before employer"):
        sign.sign_field(signed_steps["student"], "university", credentials["university"], settings)


def test_a_credential_signs_only_its_own_party_field(unsigned_pdf, settings, credentials):
    with pytest.raises(ValueError, match="cannot sign the employer field"):
        sign.sign_field(unsigned_pdf, "employer", credentials["student"], settings)


@pytest.mark.skipif(not Path("/usr/lib/softhsm/libsofthsm2.so").exists() or shutil.which("softhsm2-util") is None,
                    reason="softhsm2 not installed (Debian package softhsm2)")
def test_student_key_in_a_pkcs11_token_signs(unsigned_pdf, settings, tmp_path, monkeypatch):
    conf = tmp_path / "softhsm2.conf"
    (tmp_path / "tokens").mkdir()
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bpm-test", "--so-pin", "0000",
                    "--pin", "1234"], check=True, capture_output=True, timeout=30)
    # Same key_dir (same CA as the running TSA), a student of its own: the key is made in the token.
    hsm_settings = replace(settings, pkcs11=Pkcs11Settings("/usr/lib/softhsm/libsofthsm2.so", "bpm-test", "1234"))
    from documents import hsm

    try:
        credential = pki.ensure_party_certificate(hsm_settings, "student", "2021019999", "李四")
        assert credential.key_path is None and credential.pkcs11_label == "student-2021019999"
        assert not (settings.key_dir / "parties" / "student" / "2021019999.key.pem").exists()
        assert pki.ensure_party_certificate(hsm_settings, "student", "2021019999", "李四") == credential
        signed = sign.sign_field(unsigned_pdf, "student", credential, hsm_settings)
    finally:
        hsm.close_sessions()
    report = verify.verify_pdf(signed, [pki.ca_certificate_path(hsm_settings)])
    assert report.signatures[0].signer == "李四"
    assert report.signatures[0].ok and report.signatures[0].timestamp_trusted, report.signatures[0].summary


def test_signature_blocks_carry_the_signing_date(signed_pdf, tmp_path):
    text = pdftotext(signed_pdf, tmp_path)
    dates = re.findall(r"签署日期：(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    assert len(dates) == 3, text[-1500:]  # one per stamp
    today = datetime.now(sign.STAMP_TIMEZONE).date()
    for y, m, d in dates:  # signed by the fixture moments ago (Beijing time; a midnight may have passed)
        assert 0 <= (today - date(int(y), int(m), int(d))).days <= 1
    assert re.search(r"\d{2}:\d{2}:\d{2} 北京时间", text)
    assert "签署日期：见上方电子签章" in re.sub(r"[ \t]+", "", text)
    assert "年    月    日" not in text  # no blank date line left to fill in by hand


def test_a_long_email_address_stays_on_one_line(settings, tmp_path):
    email = "zhang.sanfeng.graduate.2025@mail.computer-science.example-university.edu.cn"
    pdf = render_agreement_pdf({**AGREEMENT, "graduate": {**AGREEMENT["graduate"], "email": email}}, settings)
    lines = [line.strip() for line in pdftotext(pdf, tmp_path).splitlines()]
    assert any(email in line for line in lines), [line for line in lines if "@" in line or "edu" in line]
