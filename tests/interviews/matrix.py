"""The recruiting routes in the access matrix (tests/identity/test_access_matrix.py): objects of the demo data
plus a few made once per database so that no request of the matrix changes what the next one sees (a closed
position, a decided application, a finished ticket, a free booth's check-in token)."""
from __future__ import annotations

import io
from datetime import datetime, timezone

from sqlalchemy import select

from app.forms.task_forms import uploads_dir
from app.forms.uploads import UploadBatch
from app.identity.models import User
from app.interviews import checkin_tokens, domain
from app.interviews import queue_rules as rules
from app.interviews.demo import FAIR_TITLE
from app.interviews.models import (
    Application, Booth, BoothApplication, FairHall, Invitation, JobFair, Position, QueueTicket,
)
from app.platform.extensions import db

MARK = "matrix-closed-position"


def objects(web, student_username: str, employer_username: str) -> dict:
    """Ids for the routes: the demo fair, a hall, the employer's booth, a free booth's token, and the
    matrix's own closed position, decided application and finished ticket (made once per database)."""
    with web.app.app_context():
        try:
            student = db.session.execute(select(User.id).where(User.username == student_username)).scalar()
            recruiter, employer = db.session.execute(select(User.id, User.employer_id).where(
                User.username == employer_username)).one()
            fair = db.session.execute(select(JobFair).where(JobFair.title == FAIR_TITLE)).scalars().first()
            hall = db.session.execute(select(FairHall.id).where(FairHall.fair_id == fair.id)).scalars().first()
            booth = db.session.execute(select(Booth).where(Booth.fair_id == fair.id, Booth.employer_id == employer)
                                       ).scalar_one()
            free = db.session.execute(select(Booth.id).where(Booth.fair_id == fair.id, Booth.employer_id.is_(None))
                                      ).scalars().first()
            position = db.session.execute(select(Position).where(Position.description == MARK)).scalar_one_or_none()
            if position is None:
                position = Position(employer_id=employer, title="矩阵测试岗位", description=MARK, degree="本科", city="上海",
                                    work_location="上海", pay_min=1, pay_max=2, headcount=1, probation_months=0,
                                    contract_years=1, breach_terms="无", other_clauses="无", archive_address="上海",
                                    hukou_transfer=False, status=domain.CLOSED, created_by=recruiter,
                                    flags=[], search_text="")
                db.session.add(position)
                db.session.flush()
                with UploadBatch(uploads_dir()) as batch:
                    upload = io.BytesIO(b"%PDF-1.4\n%%EOF\n")
                    upload.filename = "矩阵简历.pdf"
                    resume = batch.stage(upload)
                    batch.commit()
                db.session.add(Application(position_id=position.id, student_id=student, employer_id=employer,
                                           status=domain.NOT_SELECTED, resume=resume, note="", reason="矩阵"))
                now = datetime.now(timezone.utc)
                db.session.add(QueueTicket(fair_id=fair.id, booth_id=booth.id, student_id=student, number=9999,
                    order_key=rules.order_key(rules.WALK_IN_CLASS, 999_999), invited=False,
                    status=rules.DONE, requeues=0, via=rules.VIA_KIOSK, checked_in_at=now, started_at=now,
                    finished_at=now, outcome=domain.OUTCOME_REJECT))
                db.session.commit()
            application = db.session.execute(select(Application.id).where(Application.position_id == position.id)
                                             ).scalar_one()
            ticket = db.session.execute(select(QueueTicket.id).where(
                QueueTicket.booth_id == booth.id, QueueTicket.student_id == student, QueueTicket.status == rules.DONE,
                QueueTicket.number == 9999)).scalar_one()
            invitation = db.session.execute(select(Invitation.id).where(
                Invitation.student_id == student, Invitation.employer_id == employer)).scalars().first()
            booth_application = db.session.execute(select(BoothApplication.id).where(
                BoothApplication.booth_id == booth.id)).scalar_one()
            return {"fair": fair.id, "hall": hall, "booth": booth.id, "position": position.id,
                    "application": application, "ticket": ticket, "invitation": invitation,
                    "booth_application": booth_application,
                    "token": checkin_tokens.make(free, fair.ends_at), "published": db.session.execute(
                        select(Position.id).where(Position.employer_id == employer,
                                                  Position.status == domain.PUBLISHED)).scalars().first()}
        finally:
            db.session.remove()


def routes(o: dict, expect) -> list:
    """(method, url, expected by role) for the recruiting routes; `expect(anonymous, student, counselor, staff,
    employer, process_owner, admin)`."""
    viewer = expect(302, 200, 200, 200, 200, 403, 200)           # position.view / fair.view
    employer_only = expect(302, 403, 403, 403, 200, 403, 403)
    office = expect(302, 403, 403, 200, 403, 403, 200)
    student_only = expect(302, 200, 403, 403, 403, 403, 403)
    console = expect(302, 403, 403, 200, 200, 403, 200)         # booth.run: the booth's employer, the office
    refused_console = expect(302, 403, 403, 303, 303, 403, 303)  # a finished ticket: a message, nothing changes
    everyone = {r: 200 for r in ("anonymous", "student", "counselor", "staff", "employer", "process_owner", "admin")}
    p, f, b, t = o["position"], o["fair"], o["booth"], o["ticket"]
    return [
        ("GET", "/positions/", viewer),
        ("GET", "/positions/mine", employer_only),
        ("GET", "/positions/new", employer_only),
        ("POST", "/positions/new", expect(302, 403, 403, 403, 422, 403, 403)),  # empty: field errors
        ("GET", f"/positions/{o['published']}", viewer),
        ("GET", f"/positions/{p}", expect(302, 200, 200, 200, 200, 403, 200)),   # closed: still readable
        ("GET", f"/positions/{p}/edit", expect(302, 403, 403, 403, 404, 403, 403)),  # closed: not editable
        ("POST", f"/positions/{p}/edit", expect(302, 403, 403, 403, 404, 403, 403)),
        ("POST", f"/positions/{p}/submit", expect(302, 403, 403, 403, 303, 403, 403)),  # closed: refused
        ("POST", f"/positions/{p}/close", expect(302, 403, 403, 403, 303, 403, 403)),
        ("POST", f"/positions/{p}/apply", expect(302, 303, 403, 403, 403, 403, 403)),  # no file: a message
        ("GET", "/positions/applications", student_only),
        ("POST", f"/positions/applications/{o['application']}/withdraw", expect(302, 303, 403, 403, 403, 403, 403)),
        ("GET", f"/positions/{p}/applicants", expect(302, 404, 404, 200, 200, 403, 200)),
        ("POST", f"/positions/applications/{o['application']}/screen", expect(302, 403, 403, 403, 303, 403, 403)),
        ("GET", f"/positions/applications/{o['application']}/resume", expect(302, 200, 404, 200, 200, 403, 200)),
        ("GET", "/fairs/", viewer),
        ("GET", "/fairs/new", office),
        ("POST", "/fairs/new", expect(302, 403, 403, 422, 403, 403, 422)),
        ("GET", f"/fairs/{f}", viewer),
        ("POST", f"/fairs/{f}/status", expect(302, 403, 403, 303, 403, 403, 303)),  # no status given: a message
        ("POST", f"/fairs/{f}/register", expect(302, 303, 403, 403, 403, 403, 403)),  # registered already
        ("POST", f"/fairs/{f}/booth-application", expect(302, 403, 403, 403, 303, 403, 403)),  # has a booth
        ("POST", f"/fairs/booth-applications/{o['booth_application']}/move", expect(302, 403, 403, 303, 403, 403, 303)),
        ("GET", f"/fairs/{f}/me", student_only),
        ("GET", f"/fairs/{f}/me.json", student_only),
        ("POST", f"/fairs/tickets/{t}/leave", expect(302, 303, 403, 403, 403, 403, 403)),  # finished: a message
        ("GET", f"/fairs/tickets/{t}", expect(302, 200, 404, 200, 200, 403, 200)),
        ("GET", f"/fairs/{f}/overview", office),
        ("GET", f"/fairs/{f}/overview.json", office),
        ("GET", f"/fairs/{f}/kiosk", office),
        ("POST", f"/fairs/{f}/kiosk", expect(302, 403, 403, 422, 403, 403, 422)),  # no student number
        ("GET", f"/fairs/{f}/halls/{o['hall']}/board", everyone),
        ("GET", f"/fairs/{f}/halls/{o['hall']}/board.json", everyone),
        ("GET", f"/booths/{b}/console", console),
        ("GET", f"/booths/{b}/console.json", console),
        ("GET", f"/booths/{b}/qr", console),
        ("GET", f"/booths/{b}/qr.svg", console),
        ("POST", f"/booths/{b}/call", expect(302, 403, 403, 303, 303, 403, 303)),
        ("POST", f"/booths/{b}/tickets/{t}/start", refused_console),
        ("POST", f"/booths/{b}/tickets/{t}/finish", refused_console),
        ("POST", f"/booths/{b}/tickets/{t}/no-show", refused_console),
        ("POST", f"/booths/{b}/tickets/{t}/leave", refused_console),
        ("GET", f"/checkin/{o['token']}", student_only),
        ("POST", f"/checkin/{o['token']}", expect(302, 303, 403, 403, 403, 403, 403)),  # a free booth: refused
        ("GET", "/invitations/", expect(302, 200, 403, 200, 200, 403, 200)),
        ("GET", "/invitations/new", employer_only),
        ("POST", "/invitations/new", expect(302, 403, 403, 403, 422, 403, 403)),
        ("GET", f"/invitations/{o['invitation']}", expect(302, 200, 403, 200, 200, 403, 200)),
        ("POST", f"/invitations/{o['invitation']}/cancel", expect(302, 303, 403, 303, 303, 403, 303)),  # no reason
        ("GET", "/interviews/reports/", office),
    ]
