"""The fast copy of a fair's queues, in Redis: what "check in" and "call next" need in one atomic step each.

Per fair (keys share the hash tag `{f<id>}`, `<RQ_QUEUE>:iq:{f<id>}:...`):

    epoch               the generation of this copy; missing = lost (flushed, restarted): rebuild from the database
    b<booth>:w          sorted set of waiting students, score = order key (queue_rules.order_key)
    b<booth>:n          hash student -> ticket number (active tickets)
    b<booth>:cur        hash student -> "<number>:<state>" of those called or in an interview (the board's "now")
    b<booth>:seq / ord  counters: ticket numbers, arrivals
    b<booth>:len        the last interview lengths in seconds (the estimated wait)
    p:<student>         the booth holding a student who was called there (expires: queue_rules pause lengths)

Every script first checks `epoch`; without it the caller rebuilds the fair from the database (`rebuild`, under
a lock) and tries again. The database stays the truth: services write each ticket and transition there (only
conditional updates: a ticket called twice is refused by its row), and re-apply their change here when the
epoch moved while they worked (`epoch` in every result), so a flush at any moment loses no ticket and no order.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from redis import Redis

from app.interviews import queue_rules as rules
from app.platform.queue import redis_connection

SCAN_LIMIT = 500          # waiting students "call next" looks through for one not held elsewhere
NEXT_SHOWN = 3            # next numbers on the board
REBUILD_LOCK_MS = 30_000

_CHECK_IN = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then return {-1} end
local s = ARGV[1]
local score = redis.call('ZSCORE', KEYS[2], s)
if score then
  return {0, epoch, tonumber(redis.call('HGET', KEYS[3], s) or 0), redis.call('ZRANK', KEYS[2], s), tonumber(score)}
end
local number = redis.call('INCR', KEYS[4])
local key = tonumber(ARGV[2]) * tonumber(ARGV[3]) + redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[2], key, s)
redis.call('HSET', KEYS[3], s, number)
return {1, epoch, number, redis.call('ZRANK', KEYS[2], s), key}
"""

_CALL_NEXT = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then return {-1} end
local batch = redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[4]) - 1, 'WITHSCORES')
for i = 1, #batch, 2 do
  local s = batch[i]
  local held = redis.call('GET', ARGV[1] .. s)
  if (not held) or held == ARGV[2] then
    redis.call('ZREM', KEYS[2], s)
    redis.call('SET', ARGV[1] .. s, ARGV[2], 'PX', ARGV[3])
    local number = redis.call('HGET', KEYS[3], s) or '0'
    redis.call('HSET', KEYS[4], s, number .. ':called')
    return {1, epoch, tonumber(s), tonumber(batch[i + 1]), tonumber(number)}
  end
end
return {0, epoch}
"""

_REQUEUE = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then return {-1} end
local key = tonumber(ARGV[2]) * tonumber(ARGV[3]) + redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], key, ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if redis.call('GET', ARGV[4]) == ARGV[5] then redis.call('DEL', ARGV[4]) end
return {1, epoch, key}
"""

# The effects of the other transitions: idempotent, so a service may apply them again after a rebuild.
_SET_STATE = """
-- ARGV: student, number, state ('' = none any more), hold key, booth, hold ms (0 = release), score to wait with
-- ('' = not waiting), interview length ('' = none). Nothing without an epoch: the rebuild reads the rows.
local epoch = redis.call('GET', KEYS[5])
if not epoch then return false end
local s = ARGV[1]
if ARGV[7] ~= '' then redis.call('ZADD', KEYS[1], ARGV[7], s) else redis.call('ZREM', KEYS[1], s) end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[3], s, ARGV[2] .. ':' .. ARGV[3]); redis.call('HSET', KEYS[2], s, ARGV[2])
else
  redis.call('HDEL', KEYS[3], s)
  if ARGV[7] == '' then redis.call('HDEL', KEYS[2], s) else redis.call('HSET', KEYS[2], s, ARGV[2]) end
end
local ms = tonumber(ARGV[6])
if ms > 0 then redis.call('SET', ARGV[4], ARGV[5], 'PX', ms)
elseif redis.call('GET', ARGV[4]) == ARGV[5] then redis.call('DEL', ARGV[4]) end
if ARGV[8] ~= '' then redis.call('LPUSH', KEYS[4], ARGV[8]); redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[9]) - 1) end
return epoch
"""

_SNAPSHOT = """
local nxt = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local numbers = {}
if #nxt > 0 then numbers = redis.call('HMGET', KEYS[2], unpack(nxt)) end
return {redis.call('GET', KEYS[4]) or false, redis.call('ZCARD', KEYS[1]), numbers, redis.call('HVALS', KEYS[3]), nxt}
"""


class StateLost(Exception):
    """The fair's copy in Redis is gone (flushed, restarted): rebuild it from the database."""


@dataclass(frozen=True)
class Keys:
    fair_id: int
    prefix: str

    def booth(self, booth_id: int, part: str) -> str:
        return f"{self.prefix}:b{booth_id}:{part}"

    @property
    def epoch(self) -> str:
        return f"{self.prefix}:epoch"

    @property
    def lock(self) -> str:
        return f"{self.prefix}:rebuilding"

    @property
    def hold_prefix(self) -> str:
        return f"{self.prefix}:p:"

    def hold(self, student_id: int) -> str:
        return f"{self.hold_prefix}{student_id}"


def keys(fair_id: int) -> Keys:
    return Keys(fair_id, f"{current_app.config['RQ_QUEUE']}:iq:{{f{fair_id}}}")


def _redis() -> Redis:
    return redis_connection()


def _script(name: str, source: str):
    scripts = current_app.extensions.setdefault("interviews.queue_scripts", {})
    if name not in scripts:
        scripts[name] = _redis().register_script(source)
    return scripts[name]


def _text(value) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


# -- the atomic steps ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placed:
    new: bool          # False: the student was already waiting here (the same check-in twice)
    epoch: str
    number: int
    position: int      # 1 = next
    order_key: int


def place(fair_id: int, booth_id: int, student_id: int, priority: int) -> Placed:
    """A new place at the end of the student's class (invited or walk-in): a number and an order key."""
    k = keys(fair_id)
    found = _script("check_in", _CHECK_IN)(
        keys=[k.epoch, k.booth(booth_id, "w"), k.booth(booth_id, "n"), k.booth(booth_id, "seq"),
              k.booth(booth_id, "ord")], args=[student_id, priority, rules.ORDER_SPAN], client=_redis())
    if found[0] == -1:
        raise StateLost(fair_id)
    return Placed(found[0] == 1, _text(found[1]), int(found[2]), int(found[3]) + 1, int(found[4]))


@dataclass(frozen=True)
class Called:
    epoch: str
    student_id: int | None   # None: nobody this booth may call
    order_key: int = 0
    number: int = 0


def pop_next(fair_id: int, booth_id: int, hold_ms: int) -> Called:
    """Take the first waiting student not held by another booth; hold him for `hold_ms` at the others."""
    k = keys(fair_id)
    found = _script("call_next", _CALL_NEXT)(
        keys=[k.epoch, k.booth(booth_id, "w"), k.booth(booth_id, "n"), k.booth(booth_id, "cur")],
        args=[k.hold_prefix, booth_id, hold_ms, SCAN_LIMIT], client=_redis())
    if found[0] == -1:
        raise StateLost(fair_id)
    if found[0] == 0:
        return Called(_text(found[1]), None)
    return Called(_text(found[1]), int(found[2]), int(found[3]), int(found[4]))


def requeue_at_end(fair_id: int, booth_id: int, student_id: int) -> tuple[str, int]:
    """Back into the queue at its end (after a first no-show): (epoch, the new order key)."""
    k = keys(fair_id)
    found = _script("requeue", _REQUEUE)(
        keys=[k.epoch, k.booth(booth_id, "w"), k.booth(booth_id, "ord"), k.booth(booth_id, "cur")],
        args=[student_id, rules.requeue_priority(), rules.ORDER_SPAN, k.hold(student_id), booth_id], client=_redis())
    if found[0] == -1:
        raise StateLost(fair_id)
    return _text(found[1]), int(found[2])


def set_state(fair_id: int, booth_id: int, student_id: int, number: int, state: str | None, hold_ms: int = 0,
              waiting_key: int | None = None, interview_s: int | None = None) -> str | None:
    """Make Redis say what the ticket's row says (idempotent): waiting with `waiting_key`, called or in an
    interview (`state`, holding the student `hold_ms` elsewhere), or gone (both None). Returns the epoch."""
    k = keys(fair_id)
    epoch = _script("set_state", _SET_STATE)(
        keys=[k.booth(booth_id, "w"), k.booth(booth_id, "n"), k.booth(booth_id, "cur"), k.booth(booth_id, "len"),
              k.epoch],
        args=[student_id, number, state or "", k.hold(student_id), booth_id, hold_ms,
              "" if waiting_key is None else waiting_key, "" if interview_s is None else interview_s,
              rules.RECENT_INTERVIEWS], client=_redis())
    return _text(epoch) if epoch else None


def remove(fair_id: int, booth_id: int, student_id: int) -> None:
    """Forget a waiting entry that has no waiting ticket behind it (left meanwhile, or a crash before its row)."""
    k = keys(fair_id)
    _redis().zrem(k.booth(booth_id, "w"), student_id)


# -- reads ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoothSnapshot:
    epoch: str | None
    waiting: int
    next_numbers: list[int]
    next_students: list[int]
    current: list[tuple[int, str]]     # (number, state) of those called or in an interview

    def as_event(self, booth_id: int, code: str) -> dict:
        return {"booth": booth_id, "code": code, "waiting": self.waiting,
                "next": [rules.display_number(n) for n in self.next_numbers],
                "current": [{"number": rules.display_number(n), "state": s} for n, s in sorted(self.current)]}


def snapshot(fair_id: int, booth_id: int, shown: int = NEXT_SHOWN) -> BoothSnapshot:
    k = keys(fair_id)
    epoch, waiting, numbers, current, students = _script("snapshot", _SNAPSHOT)(
        keys=[k.booth(booth_id, "w"), k.booth(booth_id, "n"), k.booth(booth_id, "cur"), k.epoch], args=[shown],
        client=_redis())
    now = []
    for value in current:
        number, _sep, state = _text(value).partition(":")
        now.append((int(number), state))
    return BoothSnapshot(_text(epoch) if epoch else None, int(waiting), [int(n) for n in numbers if n is not None],
                         [int(s) for s in students], now)


@dataclass(frozen=True)
class Standing:
    position: int | None               # 1 = next; None: not waiting here
    held_by: int | None                # the booth holding the student (called there), if any
    recent_lengths: list[float]


def standings(fair_id: int, student_id: int, booth_ids: Iterable[int]) -> dict[int, Standing]:
    """The student's position in each of these booths' queues, in one round trip."""
    k = keys(fair_id)
    booth_ids = list(booth_ids)
    pipe = _redis().pipeline(transaction=False)
    pipe.get(k.epoch)
    pipe.get(k.hold(student_id))
    for booth_id in booth_ids:
        pipe.zrank(k.booth(booth_id, "w"), student_id)
        pipe.lrange(k.booth(booth_id, "len"), 0, rules.RECENT_INTERVIEWS - 1)
    epoch, held, *rest = pipe.execute()
    if epoch is None:
        raise StateLost(fair_id)
    held_by = int(held) if held is not None else None
    found = {}
    for index, booth_id in enumerate(booth_ids):
        rank, lengths = rest[2 * index], rest[2 * index + 1]
        found[booth_id] = Standing(None if rank is None else int(rank) + 1, held_by,
                                   [float(x) for x in lengths])
    return found


def booth_figures(fair_id: int, booth_ids: Iterable[int]) -> dict[int, tuple[int, list[float]]]:
    """Per booth: (students waiting, recent interview lengths), for the staff overview."""
    k = keys(fair_id)
    booth_ids = list(booth_ids)
    pipe = _redis().pipeline(transaction=False)
    pipe.get(k.epoch)
    for booth_id in booth_ids:
        pipe.zcard(k.booth(booth_id, "w"))
        pipe.lrange(k.booth(booth_id, "len"), 0, rules.RECENT_INTERVIEWS - 1)
    epoch, *rest = pipe.execute()
    if epoch is None:
        raise StateLost(fair_id)
    return {booth_id: (int(rest[2 * i]), [float(x) for x in rest[2 * i + 1]]) for i, booth_id in enumerate(booth_ids)}


def current_epoch(fair_id: int) -> str | None:
    value = _redis().get(keys(fair_id).epoch)
    return _text(value) if value is not None else None


# -- rebuilding from the database ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketRow:
    booth_id: int
    student_id: int
    number: int
    order_key: int
    status: str
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


def rebuild(fair_id: int, booth_ids: list[int], tickets: Iterable[TicketRow], times: rules.QueueTimes,
            now: datetime, wait_s: float = 10.0) -> str:
    """Replace the fair's copy with one made from its ticket rows (all of them: numbers and arrivals continue
    after the highest ever given). One process rebuilds (a lock); the others wait for its epoch. Returns it."""
    k = keys(fair_id)
    redis = _redis()
    token = uuid.uuid4().hex
    if not redis.set(k.lock, token, nx=True, px=REBUILD_LOCK_MS):
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            epoch = current_epoch(fair_id)
            if epoch is not None:
                return epoch
            time.sleep(0.02)
        raise StateLost(fair_id)
    try:
        if (epoch := current_epoch(fair_id)) is not None:
            return epoch  # another process finished a rebuild between our look and our lock
        holds = list(redis.scan_iter(match=f"{k.hold_prefix}*", count=1000))
        pipe = redis.pipeline(transaction=True)
        if holds:
            pipe.delete(*holds)
        for booth_id in booth_ids:
            pipe.delete(*(k.booth(booth_id, part) for part in ("w", "n", "cur", "seq", "ord", "len")))
        top_number: dict[int, int] = {}
        top_arrival: dict[int, int] = {}
        lengths: dict[int, list[tuple[datetime, float]]] = {}
        for t in tickets:
            top_number[t.booth_id] = max(top_number.get(t.booth_id, 0), t.number)
            top_arrival[t.booth_id] = max(top_arrival.get(t.booth_id, 0), rules.arrival_of(t.order_key))
            if t.status in rules.ACTIVE:
                pipe.hset(k.booth(t.booth_id, "n"), t.student_id, t.number)
            if t.status == rules.WAITING:
                pipe.zadd(k.booth(t.booth_id, "w"), {t.student_id: t.order_key})
            elif t.status in (rules.CALLED, rules.IN_INTERVIEW):
                pipe.hset(k.booth(t.booth_id, "cur"), t.student_id, f"{t.number}:{t.status}")
                since, length = ((t.called_at, rules.call_pause_ms(times)) if t.status == rules.CALLED
                                 else (t.started_at, rules.interview_pause_ms(times)))
                left_ms = int(length - (now - (since or now)).total_seconds() * 1000)
                if left_ms > 0:
                    pipe.set(k.hold(t.student_id), t.booth_id, px=left_ms)
            elif t.status == rules.DONE and t.started_at and t.finished_at:
                lengths.setdefault(t.booth_id, []).append(
                    (t.finished_at, (t.finished_at - t.started_at).total_seconds()))
        for booth_id, number in top_number.items():
            pipe.set(k.booth(booth_id, "seq"), number)
            # arrivals of check-ins in flight during the loss may exceed what the rows say: leave room
            pipe.set(k.booth(booth_id, "ord"), top_arrival[booth_id] + 1000)
        for booth_id, done in lengths.items():
            recent = [seconds for _at, seconds in sorted(done, key=lambda pair: pair[0], reverse=True)]
            pipe.rpush(k.booth(booth_id, "len"), *recent[: rules.RECENT_INTERVIEWS])
        epoch = uuid.uuid4().hex
        pipe.set(k.epoch, epoch)
        pipe.execute()
        return epoch
    finally:
        if _text(redis.get(k.lock)) == token:
            redis.delete(k.lock)


def forget(fair_id: int) -> None:
    """Drop the fair's copy (tests simulate a loss; a closed fair's copy is not needed)."""
    redis = _redis()
    names = list(redis.scan_iter(match=f"{keys(fair_id).prefix}:*", count=1000))
    if names:
        redis.delete(*names)
