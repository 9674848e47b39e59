"""The template context of the agreement from plain agreement data (masking, labels, formats)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from docxtpl import Listing

EMPLOYER_TYPES = {
    "state_owned": "国有企业", "private": "民营企业", "foreign": "外资企业", "joint_venture": "中外合资企业",
    "public_institution": "事业单位", "government": "机关", "other": "其他",
}


def mask_id_number(id_number: str) -> str:
    """110105199901011234 -> 110105********1234 (region code and last four digits stay)."""
    value = (id_number or "").strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(phone: str) -> str:
    value = (phone or "").strip()
    return value[:3] + "****" + value[-4:] if len(value) == 11 and value.isdigit() else value


def agreement_context(agreement: Mapping[str, Any], *, reveal_id_number: bool = False,
                      reveal_phone: bool = True) -> dict[str, Any]:
    """Context for templates/tripartite_agreement.docx.

    `agreement` has the sections graduate, employer, job, university (see the template's tags), plus
    agreement_number. The signing dates are in the signatures' stamps (documents/sign.py). The ID number is
    masked unless reveal_id_number (staff copies).
    """
    graduate = dict(agreement.get("graduate", {}))
    employer = dict(agreement.get("employer", {}))
    job = dict(agreement.get("job", {}))
    if not reveal_id_number:
        graduate["id_number"] = mask_id_number(graduate.get("id_number", ""))
    if not reveal_phone:
        graduate["phone"] = mask_phone(graduate.get("phone", ""))
    graduate["expected_graduation"] = _date_text(graduate.get("expected_graduation"), month_only=True)
    employer["type"] = EMPLOYER_TYPES.get(employer.get("type", ""), employer.get("type", ""))
    if isinstance(employer.get("hukou_transfer"), bool):
        employer["hukou_transfer"] = "是" if employer["hukou_transfer"] else "否"
    if isinstance(job.get("monthly_pay"), (int, float)):
        job["monthly_pay"] = f"{job['monthly_pay']:,.0f} 元/月（税前）"
    if isinstance(job.get("probation"), int):
        job["probation"] = f"{job['probation']} 个月" if job["probation"] else "无"
    if isinstance(job.get("contract_term"), int):
        job["contract_term"] = f"{job['contract_term']} 年"
    for key in ("breach_terms", "other_clauses"):
        job[key] = Listing(str(job.get(key) or "无"))  # keeps line breaks of multi-line text
    return {
        "agreement_number": agreement.get("agreement_number") or "（签署完成后由学校编号）",
        "university": dict(agreement.get("university", {})),
        "graduate": graduate,
        "employer": employer,
        "job": job,
    }


def _date_text(value: Any, month_only: bool = False) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year} 年 {value.month} 月" if month_only else f"{value.year} 年 {value.month} 月 {value.day} 日"
    return "" if value is None else str(value)
