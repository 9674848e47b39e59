"""notify(): recorded once per user and event, in the caller's transaction; e-mail through a real SMTP
server by the worker job, retried without sending twice; channels as configured; live announcements."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select, update

from app.notifications import notify, translated
from app.notifications import task_events  # noqa: F401 - registers the task kinds used here
from app.notifications.delivery import deliver, sweep
from app.notifications.models import Delivery, Notification
from app.platform import live
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work

KIND = "task.assigned"


def params(task: str = "辅导员审核") -> dict:
    return {"task": translated(task), "process": translated("就业推荐表"), "key": "REC-7", "due": "—"}


def rows(model, **where):
    return db.session.execute(select(model).filter_by(**where)).scalars().all()


def deliveries_of(user_id: int) -> list[Delivery]:
    return db.session.execute(select(Delivery).join(Notification, Notification.id == Delivery.notification_id)
                              .where(Notification.user_id == user_id)).scalars().all()


def test_recorded_once_per_user_and_event_and_never_for_inactive_users(ctx, make_user):
    alice, bob, gone = make_user(), make_user(), make_user(active=False)
    key = f"test:{uuid.uuid4().hex}"
    assert notify([alice, bob, gone, alice, None], KIND, params=params(), link="/tasks/x", key=key) == 2
    assert notify([alice, bob], KIND, params=params(), link="/tasks/x", key=key) == 0  # a job that ran twice
    assert sorted(n.user_id for n in rows(Notification, dedup_key=key)) == sorted([alice, bob])
    assert not rows(Notification, user_id=gone)
    assert notify([], KIND) == 0
    with pytest.raises(ValueError):
        notify([alice], "no.such.kind")


def test_nothing_is_recorded_sent_or_announced_when_the_caller_rolls_back(ctx, make_user, smtp):
    user = make_user(email="rollback@student.demo.edu.cn")
    redis = Redis.from_url(ctx.config["REDIS_URL"])
    key = live.stream_key(live.user_channel(user))
    with pytest.raises(RuntimeError):
        with unit_of_work():
            assert notify([user], KIND, params=params(), key="rolled-back") == 1
            raise RuntimeError("the caller failed")
    assert not rows(Notification, user_id=user)
    assert redis.xlen(key) == 0
    assert not smtp.to("rollback@student.demo.edu.cn")


def test_each_user_reads_it_in_their_own_language(ctx, make_user, smtp):
    from flask_babel import force_locale

    from app.notifications.queries import notifications_of

    zh = make_user(email="zh@student.demo.edu.cn", locale="zh_CN")
    en = make_user(email="en@student.demo.edu.cn", locale="en")
    notify([zh, en], KIND, params=params("辅导员审核"), link="/tasks/abc", key=f"lang:{uuid.uuid4().hex}")
    with ctx.test_request_context():
        with force_locale("en"):
            shown_en = notifications_of(en).rows[0]
        with force_locale("zh_CN"):
            shown_zh = notifications_of(zh).rows[0]
    assert shown_en.title == "New task for you: Counselor review"
    assert shown_zh.title == "新待办：辅导员审核"
    assert "Employment recommendation" in shown_en.body and "REC-7" in shown_en.body
    # and the e-mails speak each reader's language
    assert smtp.wait_for("en@student.demo.edu.cn")["Subject"] == "New task for you: Counselor review"
    assert smtp.wait_for("zh@student.demo.edu.cn")["Subject"] == "新待办：辅导员审核"


def test_the_email_arrives_with_the_link_and_a_stable_message_id(ctx, make_user, smtp):
    user = make_user(email="lina@student.demo.edu.cn", locale="zh_CN", name="李娜")
    notify([user], KIND, params=params(), link="/tasks/guid-1", key=f"mail:{uuid.uuid4().hex}")
    mail = smtp.wait_for("lina@student.demo.edu.cn")
    [sent] = deliveries_of(user)
    assert (sent.status, sent.attempts, sent.channel) == ("sent", 1, "email")
    assert mail["From"] == "career@demo-university.edu.cn"
    assert mail["Message-ID"] == f"<notification-{sent.id}@demo-university.edu.cn>"
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(("plain",)).get_content()
    assert "李娜" in text and "https://career.demo-university.edu.cn/tasks/guid-1" in text
    html = mail.get_body(("html",)).get_content()
    assert 'href="https://career.demo-university.edu.cn/tasks/guid-1"' in html


def test_a_temporary_refusal_is_retried_and_the_mail_goes_out_once(ctx, make_user, smtp, monkeypatch):
    monkeypatch.setitem(ctx.config, "NOTIFY_BACKOFF_BASE_S", 0.0)
    user = make_user(email="retry@student.demo.edu.cn")
    smtp.refuse_with = "451 4.3.0 Mailbox busy, try again later"
    notify([user], KIND, params=params(), key=f"retry:{uuid.uuid4().hex}")
    [row] = deliveries_of(user)
    assert (row.status, row.attempts) == ("retry", 1) and "451" in row.last_error
    assert not smtp.to("retry@student.demo.edu.cn")
    db.session.rollback()
    smtp.refuse_with = None
    assert sweep() >= 1  # due again: handed to a worker (synchronous in tests) and sent
    db.session.rollback()
    [row] = deliveries_of(user)
    assert (row.status, row.attempts) == ("sent", 2)
    assert deliver(row.id) == "not due"  # the same job delivered once more sends nothing
    assert len(smtp.to("retry@student.demo.edu.cn")) == 1


def test_a_permanent_refusal_is_not_retried(ctx, make_user, smtp):
    user = make_user(email="nobody@student.demo.edu.cn")
    smtp.refuse_with = "550 5.1.1 No such user"
    notify([user], KIND, params=params(), key=f"perm:{uuid.uuid4().hex}")
    [row] = deliveries_of(user)
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error
    db.session.rollback()
    sweep()
    db.session.rollback()
    assert deliveries_of(user)[0].attempts == 1


def test_an_unreachable_server_is_retried_until_the_attempts_run_out(ctx, make_user, monkeypatch):
    from tests.smtp_server import free_port

    monkeypatch.setitem(ctx.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(ctx.config, "MAIL_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(ctx.config, "NOTIFY_BACKOFF_BASE_S", 0.0)
    monkeypatch.setitem(ctx.config, "NOTIFY_MAX_ATTEMPTS", 3)
    user = make_user(email="down@student.demo.edu.cn")
    notify([user], KIND, params=params(), key=f"down:{uuid.uuid4().hex}")
    db.session.rollback()
    sweep()
    db.session.rollback()
    sweep()
    db.session.rollback()
    [row] = deliveries_of(user)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "ConnectionRefusedError" in row.last_error


def test_channels_follow_the_configuration_per_kind_and_role(ctx, make_user, smtp, tmp_path, monkeypatch):
    config = tmp_path / "notifications.toml"
    config.write_text(
        '[channels.email]\nadapter = "app.notifications.email:EmailChannel"\n'
        '[default]\n"*" = []\n'
        f'[kinds."{KIND}"]\n"*" = []\ncounselor = ["email"]\n')
    monkeypatch.setitem(ctx.config, "NOTIFICATIONS_CONFIG", str(config))
    student = make_user(("student",), email="s@student.demo.edu.cn")
    counselor = make_user(("counselor",), email="c@staff.demo.edu.cn")
    both = make_user(("student", "counselor"), email="b@staff.demo.edu.cn")
    no_address = make_user(("counselor",), email=None)
    key = f"route:{uuid.uuid4().hex}"
    assert notify([student, counselor, both, no_address], KIND, params=params(), key=key) == 4
    assert {u: [d.channel for d in deliveries_of(u)] for u in (student, counselor, both, no_address)} == {
        student: [], counselor: ["email"], both: ["email"], no_address: []}
    smtp.wait_for("c@staff.demo.edu.cn")
    assert not smtp.to("s@student.demo.edu.cn")


def test_without_a_mail_server_only_the_in_app_notification_is_recorded(ctx, make_user, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_SERVER", None)
    user = make_user(email="offline@student.demo.edu.cn")
    assert notify([user], KIND, params=params(), key=f"off:{uuid.uuid4().hex}") == 1
    assert deliveries_of(user) == []


def test_the_sweep_sends_what_never_reached_the_queue(ctx, make_user, smtp):
    import app.platform.queue as platform_queue

    user = make_user(email="lost@student.demo.edu.cn")

    def redis_down():
        raise ConnectionError("Redis is down")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(platform_queue, "job_queue", redis_down)
        notify([user], KIND, params=params(), key=f"lost:{uuid.uuid4().hex}")
    [row] = deliveries_of(user)
    assert row.status == "pending"  # committed, not queued: nothing lost
    db.session.rollback()
    assert sweep() == 0 or not smtp.to("lost@student.demo.edu.cn")  # within the grace period: left alone
    with unit_of_work() as session:
        session.execute(update(Delivery).where(Delivery.id == row.id)
                        .values(updated_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    sweep()
    smtp.wait_for("lost@student.demo.edu.cn")
    db.session.rollback()
    assert deliveries_of(user)[0].status == "sent"


def test_each_recipient_hears_of_it_live_with_the_unread_count(ctx, make_user):
    user = make_user(locale="en")
    redis = Redis.from_url(ctx.config["REDIS_URL"])
    key = live.stream_key(live.user_channel(user))
    notify([user], KIND, params=params(), link="/tasks/live", key=f"live:{uuid.uuid4().hex}")
    notify([user], KIND, params=params("学院审核"), link="/tasks/live2", key=f"live:{uuid.uuid4().hex}")
    events = [json.loads(fields[b"e"]) for _id, fields in redis.xrange(key)]
    assert [e["type"] for e in events] == ["notification", "notification"]
    assert [e["data"]["unread"] for e in events] == [1, 2]
    assert events[0]["data"]["title"] == "New task for you: Counselor review"
    assert events[1]["data"]["link"] == "/tasks/live2"


def test_the_scheduler_sweeps_due_deliveries_every_few_seconds(app, ctx, make_user, smtp, monkeypatch):
    """The sweep is the notification area's periodic job: the scheduler's leader enqueues it (the test queue
    runs it at once) at most once per period."""
    from app.platform import periodic
    from app.platform.areas import registry

    [job] = [j for j in registry().periodic_jobs if j.name == "notifications.sweep"]
    assert (job.func, job.every_s) == ("tasks.notifications.sweep", 5)
    monkeypatch.setitem(ctx.config, "NOTIFY_BACKOFF_BASE_S", 0.0)
    user = make_user(email="swept@student.demo.edu.cn")
    smtp.refuse_with = "421 4.3.2 Service shutting down"
    notify([user], KIND, params=params(), key=f"swept:{uuid.uuid4().hex}")
    assert deliveries_of(user)[0].status == "retry"
    db.session.rollback()
    smtp.refuse_with = None
    Redis.from_url(ctx.config["REDIS_URL"]).delete(f"{ctx.config['RQ_QUEUE']}:periodic:notifications.sweep")
    assert "notifications.sweep" in periodic.enqueue_due()
    assert "notifications.sweep" not in periodic.enqueue_due()  # not again within its period
    smtp.wait_for("swept@student.demo.edu.cn")


def test_areas_bring_their_kinds_and_task_notices(ctx):
    from app.notifications.kinds import get_kind
    from app.notifications.task_events import _notices

    assert get_kind("agreement.offer_received").title == "New offer from %(employer)s"
    assert get_kind("task.group_waiting").name == "task.group_waiting"
    assert ("tripartite_agreement", "student_respond") in _notices
