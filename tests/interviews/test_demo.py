"""The recruiting demo data (loaded by the `web` fixture through the services and the real processes, as
`make run` does): today's fair with its halls and booths, published positions and one flagged in review,
applications with résumés, invitations at several states each waiting where its process waits, a queue that has
been moving; loading it again adds nothing."""
from __future__ import annotations

from collections import Counter

import pytest

from sqlalchemy import func, select

from app.engine.models import OpenTask, ProcessInstance
from app.interviews import domain
from app.interviews import queue_rules as rules
from app.interviews.demo import FAIR_TITLE, POSITIONS
from app.interviews.models import (Application, Booth, FairHall, FairRegistration, Invitation, JobFair, Position,
                                   QueueTicket)

from tests.conftest import drop_app, make_app
from tests.web import Web


@pytest.fixture(scope="module")
def web(app, tmp_path_factory, redis_url):
    """A demo of its own: the session's shared one is moved on by other tests (timers fired under a controlled
    clock expire its open invitation)."""
    from app.engine import deploy_directory
    from app.platform.demo import load_demo_data

    fresh, schema = make_app(app.config["BACKEND"], tmp_path_factory.mktemp("demo"), redis_url)
    fresh.config["BACKEND"] = app.config["BACKEND"]
    with fresh.app_context():
        deploy_directory()
        load_demo_data()
    yield Web(fresh)
    drop_app(fresh, schema)


# where an invitation's process waits in each open state
WAITS_AT = {domain.INVITED: "student_answer", domain.PROPOSED: "employer_consider"}


def counts(web) -> dict:
    return {model.__tablename__: web.scalar(select(func.count()).select_from(model))
            for model in (JobFair, Booth, Position, Application, Invitation, QueueTicket, FairRegistration)}


def test_the_demo_shows_a_living_fair_and_invitations_at_several_states(web):
    fair_id = web.scalar(select(JobFair.id).where(JobFair.title == FAIR_TITLE))
    assert fair_id is not None
    assert web.scalar(select(JobFair.status).where(JobFair.id == fair_id)) == domain.FAIR_OPEN
    assert web.scalar(select(func.count()).select_from(FairHall).where(FairHall.fair_id == fair_id)) == 2
    booths = web.query(select(Booth.id, Booth.code, Booth.employer_id).where(Booth.fair_id == fair_id))
    assert len({b.employer_id for b in booths if b.employer_id}) >= 6  # a booth for each employer
    statuses = Counter(s for (s,) in web.query(select(Position.status)))
    assert statuses[domain.PUBLISHED] >= len([p for specs in POSITIONS.values() for p in specs]), statuses
    in_review = web.query(select(Position.flags).where(Position.status == domain.IN_REVIEW))
    assert any(flags for (flags,) in in_review), "a position in review with flagged wording"
    applications = Counter(s for (s,) in web.query(select(Application.status)))
    assert applications[domain.SHORTLISTED] and applications[domain.NOT_SELECTED]
    assert web.scalar(select(func.count()).select_from(FairRegistration)
                      .where(FairRegistration.fair_id == fair_id)) >= 22

    rows = web.query(select(Invitation.id, Invitation.status, Invitation.agreement_id, Invitation.agreement_instance_id,
                            ProcessInstance.status.label("process")).join(
        ProcessInstance, ProcessInstance.id == Invitation.instance_id))
    seen = {r.status for r in rows}
    assert {domain.INVITED, domain.DECLINED, domain.PROPOSED, domain.OFFERED, domain.NOT_PASSED} <= seen
    for r in rows:
        open_specs = {s for (s,) in web.query(select(OpenTask.spec_id).where(
            OpenTask.business_key == domain.invitation_key(r.id)))}
        if r.status in WAITS_AT:
            assert WAITS_AT[r.status] in open_specs, (r.id, r.status, open_specs)
        if r.status == domain.OFFERED:
            assert r.agreement_id and r.agreement_instance_id
        if r.status in (domain.DECLINED, domain.OFFERED, domain.NOT_PASSED, domain.EXPIRED, domain.CANCELLED):
            assert r.process == "completed" and not open_specs, (r.id, r.status, r.process, open_specs)

    tickets = Counter(s for (s,) in web.query(select(QueueTicket.status).where(QueueTicket.fair_id == fair_id)))
    assert tickets[rules.DONE] >= 2 and tickets[rules.IN_INTERVIEW] >= 1 and tickets[rules.CALLED] >= 1
    assert tickets[rules.WAITING] >= 5
    assert web.scalar(select(func.count()).select_from(QueueTicket).where(
        QueueTicket.fair_id == fair_id, QueueTicket.via == rules.VIA_KIOSK)) >= 1


def test_loading_the_demo_again_adds_nothing(web):
    from app.interviews import demo

    before = counts(web)
    with web.app.app_context():
        demo.load()
    assert counts(web) == before
