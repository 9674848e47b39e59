"""The recruiting reports from recorded history, on both databases: a fair lived through the services and the
real processes (applications, invitations answered through the engine, a queue with calls, a no-show re-queued
once and then given up, an offer at the booth that started an agreement, that agreement signed) gives exactly
the funnel per employer (at the fair and overall), the average wait per booth and the no-show rate; the staff
page shows them and the employer may not read them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from app.agreements.models import Agreement
from app.engine import complete_task
from app.engine.models import OpenTask
from app.interviews import domain, invitations, offers, queue_services, reports
from app.interviews import queue_rules as rules
from app.interviews.invitations import Place
from app.interviews.models import Application, BoothApplication, Invitation, Position
from app.platform.extensions import db
from tests.interviews.conftest import make_fair

QR = rules.VIA_QR


def _position(employer_id: int, recruiter: int, title: str) -> int:
    position = Position(employer_id=employer_id, title=title, description="-", degree="本科", city="上海",
                        work_location="上海市浦东新区", pay_min=8000, pay_max=12000, headcount=3, probation_months=3,
                        contract_years=3, breach_terms="违约金 5000 元", other_clauses="无",
                        archive_address="上海市人才服务中心",
                        hukou_transfer=False, status=domain.PUBLISHED, created_by=recruiter, flags=[])
    db.session.add(position)
    db.session.flush()
    return position.id


def _apply(position_id: int, employer_id: int, student_id: int) -> None:
    db.session.add(Application(position_id=position_id, student_id=student_id, employer_id=employer_id,
                               status=domain.SUBMITTED, resume={"name": "简历.pdf"}))


def _answer(invitation_id: int, student_id: int, answer: dict) -> None:
    guid = db.session.execute(select(OpenTask.task_guid).where(
        OpenTask.business_key == domain.invitation_key(invitation_id), OpenTask.spec_id == "student_answer")).scalar()
    db.session.rollback()
    complete_task(guid, answer, student_id)


def _live_a_fair():
    """Booth 0 (employer A): three applications to the position it brought and one to another; two invitations
    to its booth (one accepted, one declined); a queue of three: the invited student first (offer, signed), a
    walk-in missing his call twice, a walk-in interviewed and turned down. Booth 1 (employer B): one walk-in
    called. Returns the fair and the expected figures."""
    fair = make_fair(booths=2, students=6, no_show_minutes=3)
    s = fair.students
    a, b = fair.employers
    hr_a, hr_b = fair.recruiters
    booth_a, booth_b = fair.booths
    brought = _position(a, hr_a, "数据分析师")
    elsewhere = _position(a, hr_a, "财务专员")
    db.session.add(BoothApplication(fair_id=fair.id, employer_id=a, positions=[brought], status=domain.BOOTH_APPROVED,
                                    booth_id=booth_a, created_by=hr_a))
    for student in s[:3]:
        _apply(brought, a, student)
    _apply(elsewhere, a, s[5])
    db.session.commit()
    now = datetime.now(timezone.utc)
    slot = domain.Slot(now + timedelta(hours=1), now + timedelta(hours=1, minutes=20))
    invited = {}
    for student in s[:2]:
        invited[student] = invitations.invite(hr_a, student, brought, slot, Place(domain.PLACE_BOOTH, booth_a),
                                              now + timedelta(minutes=50))
    _answer(invited[s[0]], s[0], {"answer": "accept"})
    _answer(invited[s[1]], s[1], {"answer": "decline"})

    t0 = now - timedelta(minutes=50)
    at = lambda minutes: t0 + timedelta(minutes=minutes)  # noqa: E731
    first = queue_services.check_in(s[0], booth_a, QR, now=at(0))
    walk_in = queue_services.check_in(s[2], booth_a, QR, now=at(1))
    other = queue_services.check_in(s[3], booth_a, QR, now=at(2))
    queue_services.check_in(s[4], booth_b, QR, now=at(3))
    assert queue_services.call_next(booth_a, hr_a, now=at(4)).id == first.id  # invited first
    queue_services.start(first.id, booth_a, hr_a, now=at(5))
    queue_services.finish(first.id, booth_a, hr_a, domain.OUTCOME_OFFER, "欢迎加入",
                          offer=offers.OfferRequest(brought, 9000), now=at(15))
    assert queue_services.call_next(booth_a, hr_a, now=at(16)).id == walk_in.id
    assert queue_services.mark_no_show(walk_in.id, booth_a, None, now=at(20)) == rules.WAITING  # re-queued
    assert queue_services.call_next(booth_a, hr_a, now=at(21)).id == other.id
    queue_services.start(other.id, booth_a, hr_a, now=at(22))
    queue_services.finish(other.id, booth_a, hr_a, domain.OUTCOME_REJECT, "", now=at(30))
    assert queue_services.call_next(booth_a, hr_a, now=at(31)).id == walk_in.id
    assert queue_services.mark_no_show(walk_in.id, booth_a, None, now=at(35)) == rules.NO_SHOW
    queue_services.call_next(booth_b, hr_b, now=at(9))

    agreement_id = db.session.execute(select(Invitation.agreement_id).where(Invitation.id == invited[s[0]])).scalar()
    assert agreement_id is not None
    db.session.execute(update(Agreement).where(Agreement.id == agreement_id).values(status="in_force"))  # signed
    db.session.commit()
    return fair


def test_the_funnel_waits_and_no_shows_come_from_what_happened(web):
    with web.app.app_context():
        fair = _live_a_fair()
        s = fair.students
        a, b = fair.employers
        at_fair = {row.key[1]: row for row in reports.funnel(fair.id)}
        assert at_fair[a].students == {
            "applied": set(s[:3]), "invited": set(s[:2]), "accepted": {s[0]}, "checked_in": {s[0], s[2], s[3]},
            "interviewed": {s[0], s[3]}, "offer": {s[0]}, "signed": {s[0]}}
        assert at_fair[b].counts == {"applied": 0, "invited": 0, "accepted": 0, "checked_in": 1, "interviewed": 0,
                                     "offer": 0, "signed": 0}
        overall = {row.key[1]: row for row in reports.funnel()}
        assert overall[a].students["applied"] == set(s[:3]) | {s[5]}  # the position it did not bring counts here
        assert overall[a].counts["signed"] == 1
        waits = {w.booth_id: w for w in reports.booth_waits(fair.id)}
        booth_a, booth_b = fair.booths
        # first calls: 4, 15 and 19 minutes after check-in; four calls, two of them missed
        assert (waits[booth_a].called, waits[booth_a].average_wait_s, waits[booth_a].no_shows) == (
            4, (4 + 15 + 19) * 60 // 3, 2)
        assert waits[booth_a].no_show_rate == 0.5
        assert (waits[booth_b].called, waits[booth_b].average_wait_s, waits[booth_b].no_shows) == (1, 6 * 60, 0)
        assert reports.no_show_rate(fair.id) == 2 / 5
        employer_a = at_fair[a].employer
        fair_id = fair.id
        db.session.remove()
    shown = web.client("staff1").get("/interviews/reports/", query_string={"fair": fair_id})
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert employer_a in text and "40.0%" in text and "12.7" in text  # rate of the fair; booth A's minutes
    assert web.client("hr_jiangnan").get("/interviews/reports/").status_code == 403
