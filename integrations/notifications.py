"""Notifications to people (站内信 / 短信 / 微信). Only the simulator exists so far: it records every
message in Redis, newest first, where development pages and tests can read it.

No Flask here: callers pass a Redis connection and a namespace (the platform uses its RQ queue name, so
test runs never see each other's messages). Sending is idempotent per `key` (a service task's idempotency
key plus the recipient): a job that runs twice notifies once.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

KEEP = 10_000  # messages kept per namespace
DEDUP_TTL_S = 30 * 24 * 3600


@dataclass(frozen=True)
class Message:
    recipient_id: int
    subject: str
    body: str
    channel: str = "inbox"  # inbox | sms | wechat
    key: str | None = None  # idempotency key
    data: dict = field(default_factory=dict)


class SimulatedNotifier:
    def __init__(self, redis, namespace: str):
        self.redis = redis
        self.outbox_key = f"notify:{namespace}:outbox"
        self.seen_prefix = f"notify:{namespace}:sent:"

    def send(self, message: Message) -> bool:
        """Record the message; False when a message with the same key was sent before."""
        if message.key and not self.redis.set(self.seen_prefix + message.key, "1", nx=True, ex=DEDUP_TTL_S):
            return False
        record = asdict(message) | {"sent_at": datetime.now(timezone.utc).isoformat()}
        pipe = self.redis.pipeline()
        pipe.lpush(self.outbox_key, json.dumps(record, ensure_ascii=False))
        pipe.ltrim(self.outbox_key, 0, KEEP - 1)
        pipe.execute()
        return True

    def outbox(self, recipient_id: int | None = None, limit: int = 100) -> list[dict]:
        """Recorded messages, newest first (optionally for one recipient)."""
        found = []
        for raw in self.redis.lrange(self.outbox_key, 0, KEEP - 1):
            record = json.loads(raw)
            if recipient_id is None or record["recipient_id"] == recipient_id:
                found.append(record)
                if len(found) >= limit:
                    break
        return found


def notifier(redis, namespace: str, backend: str = "simulator") -> SimulatedNotifier:
    if backend != "simulator":
        raise ValueError(f"notification backend {backend!r} is not available (only 'simulator')")
    return SimulatedNotifier(redis, namespace)
