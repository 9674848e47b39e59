"""Employer organisations' rules (用人单位): qualification statuses, the business key of the review process,
and what a registration must hold. Pure: no Flask, no database."""
from __future__ import annotations

import re

from app.platform.formats import is_phone
from documents.pki import is_valid_credit_code

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
STATUS_LABELS = {PENDING: "资质审核中", APPROVED: "已通过审核", REJECTED: "未通过审核"}
PROCESS_KEY = "employer_qualification"
USERNAME = re.compile(r"[A-Za-z0-9_.\-]{3,40}\Z")
MIN_PASSWORD = 8


def employer_key(employer_id: int) -> str:
    return f"EMP-{employer_id}"


def normalise_credit_code(code: str) -> str:
    return re.sub(r"\s+", "", code or "").upper()


def is_credit_code(code: str) -> bool:
    """A well-formed unified social credit code (统一社会信用代码: 18 characters, the last a check character)."""
    return is_valid_credit_code(normalise_credit_code(code))


def decision_status(decision: str) -> str:
    """The qualification review's decision (approve | reject) as the employer's status."""
    return APPROVED if decision == "approve" else REJECTED


def may_issue_offers(status: str) -> bool:
    return status == APPROVED


def registration_problems(name: str, credit_code: str, contact_name: str, contact_phone: str, username: str,
                          password: str) -> list[tuple[str, str]]:
    """(field, message) for each problem of the registration data."""
    problems = []
    if len((name or "").strip()) < 2:
        problems.append(("name", "请填写单位全称"))
    if not is_credit_code(credit_code):
        problems.append(("credit_code", "统一社会信用代码不正确（18 位，最后一位为校验码）"))
    if len((contact_name or "").strip()) < 2:
        problems.append(("contact_name", "请填写联系人姓名"))
    if not contact_phone or not is_phone(contact_phone):
        problems.append(("contact_phone", "联系电话格式不正确"))
    if not USERNAME.match(username or ""):
        problems.append(("username", "用户名须为 3–40 位字母、数字或 _ . -"))
    if len(password or "") < MIN_PASSWORD:
        problems.append(("password", "密码至少 8 位"))
    return problems
