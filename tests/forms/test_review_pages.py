"""What a reviewer sees on a task page: the files uploaded in the process (served only through the task, to whoever
may see the task, inline for PDF and images), option labels instead of stored values, and every field of what
they review."""
from __future__ import annotations

import io
import re
import struct
import zlib

from sqlalchemy import select

from app.employers.domain import employer_key
from app.engine.models import OpenTask
from app.identity.models import Employer
from tests.agreements.test_agreement_web import make_student, registration


def png_bytes() -> bytes:
    """A real 2x2 PNG (browsers and the type check read it as one)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def text(resp) -> str:
    return resp.get_data(as_text=True)


def review_task(web, unique: str, licence: tuple) -> tuple[str, str]:
    """Register an organisation with `licence`; (task guid of its qualification review, file id)."""
    resp = web.client(None).post("/employers/register", data=registration(unique, qualification=licence),
                                 content_type="multipart/form-data")
    assert resp.status_code == 302, text(resp)[:2000]
    employer = web.query(select(Employer.id, Employer.qualification_file)
                         .where(Employer.name == f"测试科技有限公司{unique}"))[0]
    guid = web.scalar(select(OpenTask.task_guid).where(OpenTask.business_key == employer_key(employer.id),
                                                      OpenTask.spec_id == "qualification_review"))
    assert guid
    return guid, employer.qualification_file["file_id"]


def test_the_reviewer_opens_the_business_licence_inline_and_others_cannot(web, unique):
    guid, file_id = review_task(web, unique, (io.BytesIO(b"%PDF-1.4\n% licence scan\n%%EOF\n"), "营业执照.pdf"))
    staff = web.client("staff1")
    assert staff.post(f"/tasks/{guid}/claim").status_code == 302
    page = text(staff.get(f"/tasks/{guid}"))
    url = f"/tasks/{guid}/files/{file_id}"
    assert f'data="{url}"' in page and 'type="application/pdf"' in page  # previewed in the page
    assert f'href="{url}?download=1"' in page and "营业执照.pdf" in page
    assert "民营企业" in page and ">private<" not in page  # the option's label, not its stored value

    inline = staff.get(url)
    assert inline.status_code == 200 and inline.mimetype == "application/pdf"
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert inline.headers["X-Content-Type-Options"] == "nosniff" and inline.data.startswith(b"%PDF-")
    download = staff.get(f"{url}?download=1")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    # only files this task holds, only for people who may see the task
    other_guid, other_file = review_task(web, unique[::-1], (io.BytesIO(png_bytes()), "licence.png"))
    assert staff.get(f"/tasks/{guid}/files/{other_file}").status_code == 404
    assert staff.get(f"/tasks/{guid}/files/..%2F..%2Fsecret").status_code == 404
    for outsider in ("2022010101", "counselor_cs", "hr_huachen"):
        assert web.client(outsider).get(url).status_code == 404, outsider
    assert staff.post(f"/tasks/{other_guid}/claim").status_code == 302
    image = staff.get(f"/tasks/{other_guid}/files/{other_file}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert f'<img class="bpm-file-preview__image" src="/tasks/{other_guid}/files/{other_file}"' in text(
        staff.get(f"/tasks/{other_guid}"))


def test_the_recommendation_reviewer_sees_every_field_with_labels(web, unique):
    student = web.client(make_student(web, unique))
    resp = student.post("/processes/employment_recommendation/start")
    assert resp.status_code == 302
    guid = resp.headers["Location"].rsplit("/", 1)[-1]
    answer = {"__action__": "submit", "phone": "13912345678", "email": "lina@example.edu.cn",
              "target_industry": "finance", "target_city": "杭州", "expected_salary": "9000",
              "party_member": "true", "awards.0.__row__": "1", "awards.0.name": "国家奖学金",
              "awards.0.date": "2024-10-01",
              "self_assessment": "在校期间担任班长，组织多次志愿活动，专业成绩排名前百分之十。"}
    instance_id = web.scalar(select(OpenTask.instance_id).where(OpenTask.task_guid == guid))
    done = student.post(f"/tasks/{guid}", data=answer)
    assert done.status_code == 302, text(done)[:3000]
    review = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                        OpenTask.spec_id == "counselor_review"))
    counselor = web.client("counselor_cs")
    assert counselor.post(f"/tasks/{review}/claim").status_code == 302
    page = text(counselor.get(f"/tasks/{review}"))
    readonly = re.findall(r'<div class="bpm-readonly[^"]*" id="f-([\w.]+)">\s*(.*?)\s*</div>', page, re.S)
    shown = dict(readonly)
    for field in ("phone", "email", "target_industry", "target_city", "expected_salary", "party_member",
                  "self_assessment"):
        assert field in shown, (field, sorted(shown))
    assert shown["target_industry"] == "金融" and shown["party_member"] == "是"
    assert "国家奖学金" in page and "13912345678" in page
