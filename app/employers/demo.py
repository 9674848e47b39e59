"""Demo employers: two approved organisations, each with a recruiter account (after the directory's demo); with
DEMO_ACTIVITY also a registration still waiting for the career office's qualification review (made through the
registration service, so its review task is in the staff's inbox)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.employers import services

from app.identity.demo import DEMO_PASSWORD, add_accounts
from app.identity.models import Employer
from app.platform.extensions import db
from app.platform.uow import unit_of_work

EMPLOYERS = [
    ("华辰科技有限公司", "91310000MA1FL8XQ37", "私营企业", "信息技术", "上海市浦东新区张江路 88 号", "approved"),
    ("江南银行股份有限公司", "91320000134567890Y", "国有企业", "金融", "南京市鼓楼区中山路 1 号", "approved"),
]
# name, credit code, contact, phone, user name, kind, industry, address
PENDING = ("苏州启明智能装备有限公司", "91320500MA1Q7R2K8K", "陆经理", "0512-66881234", "hr_qiming", "private", "智能制造",
           "苏州市工业园区金鸡湖大道 99 号")
ACCOUNTS = [
    ("hr_huachen", "华辰科技 招聘专员 刘女士", ["employer"], {"employer": "91310000MA1FL8XQ37"}),
    ("hr_jiangnan", "江南银行 人力资源部 孙先生", ["employer"], {"employer": "91320000134567890Y"}),
]


def load(password: str = DEMO_PASSWORD) -> None:
    with unit_of_work() as uow:
        ids = {}
        for name, code, kind, industry, address, status in EMPLOYERS:
            employer = uow.execute(select(Employer).where(Employer.credit_code == code)).scalar_one_or_none()
            if employer is None:
                employer = Employer(name=name, credit_code=code, kind=kind, industry=industry, address=address,
                                    status=status)
                uow.add(employer)
                uow.flush()
            ids[code] = employer.id
        add_accounts(uow.session, ACCOUNTS, password, ids)
        uow.commit()
    if current_app.config.get("DEMO_ACTIVITY", False):
        _pending_registration(password)


def _pending_registration(password: str) -> None:
    name, code, contact, phone, username, kind, industry, address = PENDING
    exists = db.session.execute(select(Employer.id).where(Employer.credit_code == code)).scalar()
    db.session.rollback()
    if exists is None:
        services.register_employer(name, code, contact, phone, username, password, kind, industry, address, None)
