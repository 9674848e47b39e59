"""Agreements on the web: employer registration, issuing an offer, who sees which agreement, the Excel export
with masked ID numbers, the public verification page.

The offer goes through app.agreements.services (the process starts, the evidence chain records it); the
list and export tests write agreement rows directly, as they only read.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import pytest
from sqlalchemy import select

from app.agreements.domain import OPEN_STATUSES
from app.agreements.exports import AGREEMENT_COLUMNS
from app.agreements.models import Agreement, EvidenceEntry
from app.engine.models import OpenTask
from app.identity.models import College, Employer, Student, User
from app.platform.oplog import OperationLog

OFFER = {  # the fields of forms/agreement_offer.json
    "position": "后端开发工程师", "work_location": "上海市浦东新区", "monthly_pay": "15000", "probation_months": "3",
    "contract_years": "3", "breach_terms": "任何一方违约，应向对方支付违约金 5000 元。", "other_clauses": "无",
    "archive_address": "上海市人才服务中心", "hukou_transfer": "true",
}
FULL_ID = "110101200301011234"  # student 2022010101 (demo data)
MASKED_ID = "110101********1234"
COLUMNS = [key for key, _width in AGREEMENT_COLUMNS]


def credit_code(seed: str) -> str:
    """A valid 统一社会信用代码 (GB 32100-2015 check character) made from `seed`."""
    from documents.pki import _CREDIT_CODE_CHARS as chars
    from documents.pki import _CREDIT_CODE_WEIGHTS as weights

    body = "91310000" + "".join(chars[int(c, 16) % len(chars)] for c in seed[:9].ljust(9, "0"))
    total = sum(chars.index(c) * w for c, w in zip(body, weights))
    return body + chars[(31 - total % 31) % 31]


def user_id(web, username: str) -> int:
    return web.scalar(select(User.id).where(User.username == username))


def employer_id(web, username: str) -> int:
    return web.scalar(select(User.employer_id).where(User.username == username))


def page(resp) -> str:
    return resp.get_data(as_text=True)


# -- employer registration ---------------------------------------------------------------------------------

def registration(unique: str, **changes) -> dict:
    data = {"name": f"测试科技有限公司{unique}", "credit_code": credit_code(unique), "kind": "private",
            "industry": "信息技术", "address": "杭州市西湖区文三路 1 号", "contact_name": "周经理",
            "contact_phone": "13912345678", "username": f"hr_{unique}", "password": "Sicher-Passwort-1",
            "password_confirm": "Sicher-Passwort-1",
            "qualification": (io.BytesIO(b"%PDF-1.4\n% business licence scan\n%%EOF\n"), "营业执照.pdf")}
    data.update(changes)
    return data


def test_registration_errors_keep_input_and_store_nothing(web, unique):
    client = web.client(None)
    assert client.get("/employers/register").status_code == 200
    data = registration(unique, credit_code="91310000MA1FL8XQ3X", contact_phone="12345", password="short",
                        password_confirm="short",
                        qualification=(io.BytesIO(b"MZ\x90\x00 not a document"), "licence.pdf"))
    resp = client.post("/employers/register", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422
    html = page(resp)
    for field in ("credit_code", "contact_phone", "password", "qualification"):
        assert f'id="f-{field}-error"' in html, field
    assert 'id="f-name-error"' not in html
    assert f'value="测试科技有限公司{unique}"' in html  # input kept
    assert "Sicher" not in html and 'name="password" type="password" value' not in html  # passwords never echoed
    assert web.scalar(select(Employer.id).where(Employer.name == f"测试科技有限公司{unique}")) is None
    assert web.scalar(select(User.id).where(User.username == f"hr_{unique}")) is None
    # an empty form: every required field is named
    empty = client.post("/employers/register", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422 and page(empty).count("bpm-error-message") >= 9


def test_registration_rejects_a_file_that_only_claims_to_be_a_pdf(web, unique):
    client = web.client(None)
    data = registration(unique, qualification=(io.BytesIO(b"<html>hello</html>"), "licence.pdf"))
    resp = client.post("/employers/register", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422 and 'id="f-qualification-error"' in page(resp)


def test_registration_succeeds_and_waits_for_approval(web, unique):
    client = web.client(None)
    resp = client.post("/employers/register", data=registration(unique), content_type="multipart/form-data")
    assert resp.status_code == 302, page(resp)[:2000]
    assert resp.headers["Location"].endswith("/employers/register/done")
    assert client.get(resp.headers["Location"]).status_code == 200
    (row,) = web.query(select(Employer.status, Employer.credit_code, Employer.qualification_file)
                       .where(Employer.name == f"测试科技有限公司{unique}"))
    assert row.status == "pending" and row.credit_code == credit_code(unique)
    assert row.qualification_file and row.qualification_file["content_type"] == "application/pdf"
    # the same organisation twice: a clear error, no second row
    again = client.post("/employers/register", data=registration(unique, username=f"hr2_{unique}"),
                        content_type="multipart/form-data")
    assert again.status_code == 422
    assert len(web.query(select(Employer.id).where(Employer.credit_code == credit_code(unique)))) == 1
    # a pending employer's user cannot issue offers (if the account may sign in before approval at all)
    login = web.app.test_client()
    if login.post("/login", data={"username": f"hr_{unique}", "password": "Sicher-Passwort-1"}).status_code == 302:
        assert login.get("/agreements/new").status_code == 403
        assert login.post("/agreements/new", data={"student_no": "2022010101", **OFFER}).status_code == 403


# -- issuing an offer, who sees it ----------------------------------------------------------------------------

def revoke_open_offers(web, employer_user: str, student_no: str) -> None:
    """Other tests may have left an offer open (one open offer per student and employer)."""
    ids = [r.id for r in web.query(
        select(Agreement.id).join(Student, Student.user_id == Agreement.student_id)
        .where(Student.student_no == student_no, Agreement.employer_id == employer_id(web, employer_user),
               Agreement.status.in_(OPEN_STATUSES)))]
    client = web.client(employer_user)
    for agreement_id in ids:
        client.post(f"/agreements/{agreement_id}/revoke", data={"reason": "测试前清理"})


def issue(web, employer_user: str = "hr_huachen", student_no: str = "2022010101", **terms) -> int:
    revoke_open_offers(web, employer_user, student_no)
    resp = web.client(employer_user).post("/agreements/new", data={"student_no": student_no, **OFFER, **terms})
    assert resp.status_code == 302, page(resp)[:3000]
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_offer_form_field_errors(web):
    hr = web.client("hr_huachen")
    assert hr.get("/agreements/new").status_code == 200
    resp = hr.post("/agreements/new", data={**OFFER, "student_no": "", "monthly_pay": "很多", "probation_months": "12",
                                            "hukou_transfer": ""})
    assert resp.status_code == 422
    html = page(resp)
    for field in ("student_no", "monthly_pay", "probation_months", "hukou_transfer"):
        assert f'id="f-{field}-error"' in html, field
    assert 'value="后端开发工程师"' in html and 'value="很多"' in html  # input kept
    assert 'id="f-position-error"' not in html


def test_offer_form_is_only_for_employers(web):
    for username in ("2022010101", "counselor_cs", "staff1"):
        client = web.client(username)
        assert client.get("/agreements/new").status_code == 403
        assert client.post("/agreements/new", data={"student_no": "2022010101", **OFFER}).status_code == 403


def test_offer_to_an_unknown_student_is_an_error_on_that_field(web):
    resp = web.client("hr_huachen").post("/agreements/new", data={"student_no": "1999999999", **OFFER})
    assert resp.status_code == 422
    html = page(resp)
    error = re.search(r'<p class="bpm-error-message" id="f-student_no-error">(.*?)</p>', html, re.S)
    assert error and "1999999999" in error.group(1) and "记录" in error.group(1)
    assert 'id="f-student_no"' in html and 'aria-invalid="true"' in html
    assert 'value="后端开发工程师"' in html  # input kept


def test_offer_through_the_web_and_who_sees_it(web):
    agreement_id = issue(web)
    (row,) = web.query(select(Agreement.status, Agreement.terms, Agreement.student_id, Agreement.instance_id)
                       .where(Agreement.id == agreement_id))
    assert row.status == "offered" and row.student_id == user_id(web, "2022010101")
    assert row.terms["position"] == "后端开发工程师" and row.terms["monthly_pay"] == 15000
    assert row.terms["hukou_transfer"] is True

    # the student: a task in the inbox, the agreement in the list and its page
    student = web.client("2022010101")
    guids = [r.task_guid for r in web.query(select(OpenTask.task_guid).where(OpenTask.instance_id == row.instance_id))]
    assert guids, "the offer started no task"
    inbox = page(student.get("/"))
    assert any(guid in inbox for guid in guids)
    assert f"/agreements/{agreement_id}\"" in page(student.get("/agreements/"))
    detail = student.get(f"/agreements/{agreement_id}")
    assert detail.status_code == 200
    html = page(detail)
    assert "华辰科技有限公司" in html and "后端开发工程师" in html
    assert "status-intact" in html  # the evidence chain checks out
    assert FULL_ID in html  # the student's own ID number
    student.get(f"/agreements/{agreement_id}")  # a second look is not recorded again
    views = web.query(select(EvidenceEntry.actor_id, EvidenceEntry.details).where(
        EvidenceEntry.agreement_id == agreement_id, EvidenceEntry.act == "viewed"))
    assert [(v.actor_id, v.details["status"]) for v in views] == [(user_id(web, "2022010101"), "offered")]

    # the issuing employer, the student's counselor and the career office see it; ID masked but for staff
    for username, full in (("hr_huachen", False), ("counselor_cs", False), ("staff1", True), ("admin", True)):
        client = web.client(username)
        html = page(client.get(f"/agreements/{agreement_id}"))
        assert "后端开发工程师" in html, username
        assert (FULL_ID in html) is full and (MASKED_ID in html) is not full, username
        assert client.get(f"/agreements/{agreement_id}/audit").status_code == 200
        assert f"/agreements/{agreement_id}\"" in page(client.get("/agreements/")), username

    # nobody else: another student, another employer, a counselor of another college
    for username in ("2022010102", "hr_jiangnan", "counselor_em"):
        client = web.client(username)
        assert client.get(f"/agreements/{agreement_id}").status_code == 404, username
        assert client.get(f"/agreements/{agreement_id}/audit").status_code == 404, username
        assert client.get(f"/agreements/{agreement_id}/document.pdf").status_code in (403, 404), username
        assert client.post(f"/agreements/{agreement_id}/revoke", data={"reason": "x"}).status_code in (403, 404)
        assert client.post(f"/agreements/{agreement_id}/rescind", data={"reason": "x"}).status_code in (403, 404)
        assert f"/agreements/{agreement_id}\"" not in page(client.get("/agreements/")), username
    assert web.client("2022010102").get(f"/agreements/{agreement_id}/document.pdf").status_code == 404
    assert web.client("hr_jiangnan").get(f"/agreements/{agreement_id}/document.pdf").status_code == 404

    # a second offer from the same employer while the window is open: refused, with a message
    again = web.client("hr_huachen").post("/agreements/new", data={"student_no": "2022010101", **OFFER})
    assert again.status_code == 422

    # the employer revokes its offer (a reason is required), and the evidence chain records it
    hr = web.client("hr_huachen")
    assert hr.post(f"/agreements/{agreement_id}/revoke", data={"reason": ""}).status_code == 303
    assert web.scalar(select(Agreement.status).where(Agreement.id == agreement_id)) == "offered"
    assert hr.post(f"/agreements/{agreement_id}/revoke", data={"reason": "岗位取消"}).status_code == 302
    assert web.scalar(select(Agreement.status).where(Agreement.id == agreement_id)) == "revoked"
    html = page(hr.get(f"/agreements/{agreement_id}"))
    assert "岗位取消" in html and "status-intact" in html
    # a student cannot rescind an agreement that is not in force
    assert student.post(f"/agreements/{agreement_id}/rescind", data={"reason": "x"}).status_code == 303


# -- list filters and the export ------------------------------------------------------------------------------

@pytest.fixture
def declined_agreement(web, unique):
    """An agreement row of student 2022010101 (CS) with 华辰科技, written directly: the list and the export only
    read, so they are tested without the process. Declined, so no rule about open offers is touched."""
    return web.add(Agreement(
        student_id=user_id(web, "2022010101"), employer_id=employer_id(web, "hr_huachen"), status="declined",
        terms={**OFFER, "position": f"导出测试岗位{unique}", "monthly_pay": 12000, "probation_months": 3,
               "contract_years": 3, "hukou_transfer": False},
        created_by=user_id(web, "hr_huachen"), offered_at=dt.datetime.now(dt.timezone.utc)))


def sheet_rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


def test_export_masks_id_numbers_for_counselors(web, unique, declined_agreement):
    position = f"导出测试岗位{unique}"
    by_role = {}
    for username in ("counselor_cs", "staff1"):
        resp = web.client(username).get("/agreements/export.xlsx?status=declined")
        assert resp.status_code == 200, username
        assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert "attachment" in resp.headers["Content-Disposition"]
        rows = sheet_rows(resp.data)
        header, mine = rows[0], [r for r in rows[1:] if position in r]
        assert "身份证号" in header and "学号" in header  # Chinese column titles
        assert len(mine) == 1, username
        by_role[username] = dict(zip(COLUMNS, mine[0]))
    counselor, staff = by_role["counselor_cs"], by_role["staff1"]
    assert counselor["id_number"] == MASKED_ID and staff["id_number"] == FULL_ID
    assert counselor["student_no"] == staff["student_no"] == "2022010101"
    assert staff["employer"] == "华辰科技有限公司" and staff["monthly_pay"] == 12000
    assert staff["hukou_transfer"] == "否" and staff["status"] == "已拒绝"
    # a counselor of another college exports nothing of it; students and employers may not export
    em_rows = sheet_rows(web.client("counselor_em").get("/agreements/export.xlsx").data)
    assert not any(position in r for r in em_rows[1:])
    assert not any(FULL_ID in r or MASKED_ID in r for r in em_rows[1:])
    for username in ("2022010101", "hr_huachen", "owner"):
        assert web.client(username).get("/agreements/export.xlsx").status_code == 403
    # who exported personal data, and when, is in the operation log
    assert web.query(select(OperationLog.id).where(OperationLog.username == "counselor_cs",
                                                   OperationLog.path == "/agreements/export.xlsx?status=declined",
                                                   OperationLog.outcome == "export"))


def test_list_filters(web, unique, declined_agreement):
    position = f"导出测试岗位{unique}"
    staff = web.client("staff1")
    cs = web.scalar(select(College.id).where(College.code == "CS"))
    em = web.scalar(select(College.id).where(College.code == "EM"))
    huachen, jiangnan = employer_id(web, "hr_huachen"), employer_id(web, "hr_jiangnan")
    assert position in page(staff.get(f"/agreements/?college={cs}&status=declined&employer={huachen}&q=2022010101"))
    assert position not in page(staff.get(f"/agreements/?college={em}"))
    assert position not in page(staff.get(f"/agreements/?employer={jiangnan}"))
    assert position not in page(staff.get("/agreements/?status=in_force"))
    for junk in ("college=abc", "page=-3", "status=nonsense", "college=%C2%B2"):  # the strict reader: 400, never a 500
        assert staff.get(f"/agreements/?{junk}").status_code == 400, junk
    # the export follows the same filters
    assert not any(position in r for r in sheet_rows(staff.get(f"/agreements/export.xlsx?college={em}").data)[1:])
    # scoped lists: own student, own employer, own college; not the others
    for username, sees in (("2022010101", True), ("hr_huachen", True), ("counselor_cs", True),
                           ("2022010102", False), ("hr_jiangnan", False), ("counselor_em", False)):
        assert (position in page(web.client(username).get("/agreements/"))) is sees, username


def test_export_writes_text_not_formulas(web, unique):
    web.add(Agreement(student_id=user_id(web, "2022010101"), employer_id=employer_id(web, "hr_huachen"),
                      status="declined", terms={"position": f"=HYPERLINK(\"http://x\",\"{unique}\")"},
                      offered_at=dt.datetime.now(dt.timezone.utc)))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(web.client("staff1").get("/agreements/export.xlsx").data))
    cells = [c for row in book.active.iter_rows() for c in row if isinstance(c.value, str) and unique in c.value]
    assert cells and all(c.data_type == "s" for c in cells)


# -- public verification --------------------------------------------------------------------------------------

def test_verify_rejects_what_is_not_a_pdf(web):
    client = web.client(None)
    assert client.get("/verify").status_code == 200
    assert client.post("/verify", data={}, content_type="multipart/form-data").status_code == 400
    garbage = client.post("/verify", data={"pdf": (io.BytesIO(b"\x00\x01garbage" * 100), "agreement.pdf")},
                          content_type="multipart/form-data")
    assert garbage.status_code == 422 and "flash error" in page(garbage)
    broken = client.post("/verify", data={"pdf": (io.BytesIO(b"%PDF-1.7\n1 0 obj <<\n" + b"\xff" * 5000), "a.pdf")},
                         content_type="multipart/form-data")
    assert broken.status_code == 422 and "flash error" in page(broken)
    empty = client.post("/verify", data={"pdf": (io.BytesIO(b""), "a.pdf")}, content_type="multipart/form-data")
    assert empty.status_code == 422


def _self_signed_pdf() -> bytes:
    """A one-page PDF signed with a self-made certificate (not issued by the installation's CA)."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.writer import PdfFileWriter
    from pyhanko.sign import signers

    writer = PdfFileWriter()
    n = generic.NumberObject
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([n(0), n(0), n(595), n(842)]),
        generic.NameObject("/Resources"): generic.DictionaryObject()}))
    buf = io.BytesIO()
    writer.write(buf)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "伪造单位")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=None)
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(buf.getvalue())),
                           signers.PdfSignatureMetadata(field_name="sig_employer"), signer=signer)
    return out.getvalue()


def test_verify_reports_an_untrusted_signature_not_on_record(web):
    resp = web.client(None).post("/verify", data={"pdf": (io.BytesIO(_self_signed_pdf()), "forged.pdf")},
                                 content_type="multipart/form-data")
    assert resp.status_code == 200
    html = page(resp)
    assert "伪造单位" in html and "verdict bad" in html
    assert re.search(r"status-altered", html)  # "certified by the university: no"
    assert "agreements/" not in html.split("verdict")[1]  # no link to any agreement


# -- the whole flow on the web, then the signed PDF ------------------------------------------------------------

def make_student(web, unique: str) -> str:
    """A fresh CS student (own agreements only: the demo students are shared by other tests)."""
    from werkzeug.security import generate_password_hash

    from app.identity.demo import DEMO_PASSWORD
    from app.identity.models import Major, UserRole
    from app.platform.extensions import db

    student_no = f"2026{int(unique[:6], 16) % 10**6:06d}"
    with web.app.app_context():
        user = User(username=student_no, display_name=f"测试{unique[:4]}", password_hash=generate_password_hash(
            DEMO_PASSWORD), roles=[UserRole(role="student")])
        db.session.add(user)
        db.session.flush()
        major = db.session.execute(select(Major).where(Major.code == "CS02")).scalar_one()
        db.session.add(Student(user_id=user.id, student_no=student_no, gender="女", id_number="110101200405056789",
                               college_id=major.college_id, major_id=major.id, degree="本科", graduation_year=2026,
                               expected_graduation=dt.date(2026, 6, 30)))
        db.session.commit()
        db.session.remove()
    return student_no


def make_employer(web, unique: str) -> str:
    """An approved employer with a valid credit code (its organisation certificate needs one) and its user."""
    from werkzeug.security import generate_password_hash

    from app.identity.demo import DEMO_PASSWORD
    from app.identity.models import UserRole

    employer = web.add(Employer(name=f"签署测试有限公司{unique}", credit_code=credit_code(unique), kind="private",
                                industry="信息技术", address="上海市徐汇区漕溪北路 1 号", contact_name="吴经理",
                                contact_phone="021-12345678", status="approved"))
    username = f"hr_sign_{unique}"
    web.add(User(username=username, display_name=f"签署测试 人事 {unique[:4]}", employer_id=employer,
                 password_hash=generate_password_hash(DEMO_PASSWORD), roles=[UserRole(role="employer")]))
    return username


def work_task(web, username: str, instance_id: int, spec_id: str, data: dict, claim: bool = False) -> None:
    guid = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                      OpenTask.spec_id == spec_id))
    assert guid, f"no open task {spec_id}"
    client = web.client(username)
    if claim:
        assert client.post(f"/tasks/{guid}/claim").status_code == 302
    resp = client.post(f"/tasks/{guid}", data={"__action__": "submit", **data})
    assert resp.status_code == 302, f"{spec_id}: {resp.status_code} {page(resp)[:3000]}"


def agreement_to_sign(web, unique: str) -> tuple[str, str, int, int]:
    """An offer from a new employer to a new student, accepted and approved by the counselor and the office: it
    waits for the signatures. Returns (student_no, hr, agreement_id, instance_id)."""
    student_no, hr = make_student(web, unique), make_employer(web, unique)
    agreement_id = issue(web, hr, student_no)
    instance_id = web.scalar(select(Agreement.instance_id).where(Agreement.id == agreement_id))
    work_task(web, student_no, instance_id, "student_respond",
              {"student_decision": "accept", "student_phone": "13800001111", "student_email": "t@example.edu.cn"})
    work_task(web, "counselor_cs", instance_id, "counselor_review",
              {"counselor_decision": "approve", "counselor_comment": "信息无误"}, claim=True)
    work_task(web, "staff1", instance_id, "office_review",
              {"office_decision": "approve", "office_comment": "同意签约"}, claim=True)
    return student_no, hr, agreement_id, instance_id


@pytest.mark.skipif(any(shutil.which(b) is None for b in ("soffice", "pdfsig")),
                    reason="LibreOffice / poppler not installed (config/system-packages.txt)")
def test_signed_pdf_download_and_public_verification(web, unique):
    # jobs run in the request here (RQ_ASYNC is off in tests): rendering and signing happen as tasks complete
    student_no, hr, agreement_id, instance_id = agreement_to_sign(web, unique)
    work_task(web, student_no, instance_id, "student_sign", {"student_sign_confirm": "true"})
    work_task(web, hr, instance_id, "employer_sign", {"employer_sign_confirm": "true"})
    work_task(web, "staff1", instance_id, "university_sign", {"university_sign_confirm": "true"}, claim=True)
    (row,) = web.query(select(Agreement.status, Agreement.number).where(Agreement.id == agreement_id))
    assert row.status == "in_force" and row.number

    student = web.client(student_no)
    detail = page(student.get(f"/agreements/{agreement_id}"))
    assert row.number in detail and "status-intact" in detail and "/document.pdf" in detail
    assert "rescind" in detail  # the student may ask to rescind an agreement in force
    resp = student.get(f"/agreements/{agreement_id}/document.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF-")
    pdf = resp.data
    assert web.client("counselor_cs").get(f"/agreements/{agreement_id}/document.pdf").status_code == 403
    assert web.client("hr_jiangnan").get(f"/agreements/{agreement_id}/document.pdf").status_code == 404
    assert web.client(hr).get(f"/agreements/{agreement_id}/document.pdf").status_code == 200
    acts = [r.act for r in web.query(select(EvidenceEntry.act).where(EvidenceEntry.agreement_id == agreement_id)
                                     .order_by(EvidenceEntry.seq))]
    assert acts[-1] == "downloaded" and acts.count("signed") == 3

    # anyone can verify the copy: three trusted signatures, the agreement number, no personal data, no link
    result = web.client(None).post("/verify", data={"pdf": (io.BytesIO(pdf), "agreement.pdf")},
                                   content_type="multipart/form-data")
    html = page(result)
    assert result.status_code == 200 and "verdict ok" in html, html[-4000:]
    assert row.number in html and "示范大学就业指导中心" in html and f"签署测试有限公司{unique}" in html
    assert "110101200405056789" not in html and f"/agreements/{agreement_id}" not in html
    # a party signed in gets the link; the verification is in the evidence chain
    assert f"/agreements/{agreement_id}\"" in page(student.post(
        "/verify", data={"pdf": (io.BytesIO(pdf), "agreement.pdf")}, content_type="multipart/form-data"))
    verified = web.query(select(EvidenceEntry.actor_id).where(EvidenceEntry.agreement_id == agreement_id,
                                                              EvidenceEntry.act == "verified")
                         .order_by(EvidenceEntry.seq))
    assert [v.actor_id for v in verified] == [None, user_id(web, student_no)]
    # one changed byte: not on record, signatures broken
    tampered = pdf.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in pdf else pdf[:-10] + b"0" + pdf[-9:]
    html = page(web.client(None).post("/verify", data={"pdf": (io.BytesIO(tampered), "agreement.pdf")},
                                      content_type="multipart/form-data"))
    assert "verdict ok" not in html and row.number not in html
    assert web.scalar(select(Agreement.status).where(Agreement.id == agreement_id)) == "in_force"
    assert web.client(None).get(f"/agreements/{agreement_id}/audit").status_code == 302
    audit = page(student.get(f"/agreements/{agreement_id}/audit"))
    assert "110101********6789" in audit and "110101200405056789" not in audit  # the certificate masks the ID


def test_export_too_large_is_refused_with_a_message_not_cut_short(web, declined_agreement, monkeypatch):
    from app.agreements import queries as agreement_queries

    monkeypatch.setattr(agreement_queries, "EXPORT_LIMIT", 0)
    client = web.client("staff1")
    before = web.query(select(OperationLog.id).where(OperationLog.outcome == "export"))
    resp = client.get("/agreements/export.xlsx?status=declined")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/agreements/?status=declined")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "单次导出最多 0 份" in page and "请用筛选条件缩小范围" in page
    assert web.query(select(OperationLog.id).where(OperationLog.outcome == "export")) == before
