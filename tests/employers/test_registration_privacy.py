"""The public registration page does not tell which credit codes and user names exist (issue 8 point 7): one
neutral answer for either, and an address that keeps meeting taken details is refused for an hour."""
from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from app.identity.models import Employer, User
from tests.agreements.test_agreement_web import page, registration

DEMO_CODE = "91310000MA1FL8XQ37"  # 华辰科技, a demo employer
NEUTRAL = "无法使用所填信息注册"


def _client(web, address: str):
    client = web.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _address() -> str:
    tail = uuid.uuid4().int
    return f"10.{tail % 250}.{tail // 250 % 250}.{tail // 62500 % 250 + 1}"


def _answer(resp) -> str:
    """The page without what differs between any two posts (the CSRF token, the echoed input)."""
    html = page(resp)
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return re.sub(r'value="[^"]*"', "", html)


def test_a_taken_code_and_a_taken_user_name_get_the_same_answer(web, unique):
    client = _client(web, _address())
    code_taken = client.post("/employers/register", data=registration(unique, credit_code=DEMO_CODE),
                             content_type="multipart/form-data")
    name_taken = client.post("/employers/register", data=registration(unique, username="hr_huachen"),
                             content_type="multipart/form-data")
    assert code_taken.status_code == name_taken.status_code == 422
    assert NEUTRAL in page(code_taken)
    assert _answer(code_taken) == _answer(name_taken)
    for field in ("credit_code", "username"):
        assert f'id="f-{field}-error"' not in page(code_taken)
    assert "该用户名已被使用" not in page(name_taken) and "该统一社会信用代码已注册" not in page(code_taken)
    assert web.scalar(select(User.id).where(User.username == f"hr_{unique}")) is None


def test_probing_is_refused_after_a_few_taken_answers(web, unique):
    client = _client(web, _address())
    limit = web.app.config.get("REGISTRATION_TAKEN_PER_HOUR", 5)
    for n in range(limit):
        resp = client.post("/employers/register", data=registration(f"{unique}{n}", username="hr_huachen"),
                           content_type="multipart/form-data")
        assert resp.status_code == 422
    fresh = client.post("/employers/register", data=registration(unique), content_type="multipart/form-data")
    assert fresh.status_code == 429
    assert web.scalar(select(Employer.id).where(Employer.name == f"测试科技有限公司{unique}")) is None
    # another address is not affected
    other = _client(web, _address()).post("/employers/register", data=registration(unique),
                                          content_type="multipart/form-data")
    assert other.status_code == 302
