"""Workflows this process saved recently, so the next step of the same instance need not read and restore
its state (the idea of Temporal's "sticky" workflow cache, on a small scale).

An entry is the workflow object exactly as it was committed at `version`. A step takes its entry out (so a
step that fails can never leave a half-changed workflow behind) and puts the result back only after its
transaction has committed. The cache is never trusted for correctness: every step's UPDATE checks the
version, so an entry made stale by another process costs one retry from the database, never a lost update.

Hits come from consecutive steps handled by the same process: a worker applying job results one after the
other, the scheduler, one user clicking through tasks. Bounded (ENGINE_INSTANCE_CACHE entries, LRU; 0 turns
it off) and per database URL.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import current_app


@dataclass
class Entry:
    instance_id: int
    definition: Any  # DefinitionInfo
    version: int
    status: str
    business_key: str | None
    step_count: int
    workflow: Any
    open_tasks: tuple[str, ...]
    scope: dict | None = None


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, int], Entry] = OrderedDict()
        self._by_task: dict[tuple[str, str], int] = {}

    def take(self, db_url: str, instance_id: int | None = None, task_guid: str | None = None) -> Entry | None:
        """Remove and return the entry for an instance (or for the instance owning an open task)."""
        with self._lock:
            if instance_id is None:
                instance_id = self._by_task.get((db_url, task_guid))
                if instance_id is None:
                    return None
            entry = self._entries.pop((db_url, instance_id), None)
            if entry is not None:
                self._forget_tasks(db_url, entry)
            return entry

    def put(self, db_url: str, entry: Entry, size: int) -> None:
        with self._lock:
            key = (db_url, entry.instance_id)
            old = self._entries.pop(key, None)
            if old is not None:
                self._forget_tasks(db_url, old)
                if old.version > entry.version:  # a later step of the same instance got here first
                    entry = old
            self._entries[key] = entry
            for guid in entry.open_tasks:
                self._by_task[(db_url, guid)] = entry.instance_id
            while len(self._entries) > size:
                (url, _), evicted = self._entries.popitem(last=False)
                self._forget_tasks(url, evicted)

    def discard(self, db_url: str, instance_id: int) -> None:
        self.take(db_url, instance_id)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_task.clear()

    def _forget_tasks(self, db_url: str, entry: Entry) -> None:
        for guid in entry.open_tasks:
            if self._by_task.get((db_url, guid)) == entry.instance_id:
                del self._by_task[(db_url, guid)]


_cache = _Cache()


def _db_url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def size() -> int:
    return int(current_app.config.get("ENGINE_INSTANCE_CACHE", 0))


def take(instance_id: int | None = None, task_guid: str | None = None) -> Entry | None:
    if size() <= 0:
        return None
    return _cache.take(_db_url(), instance_id, task_guid)


def put(entry: Entry) -> None:
    limit = size()
    if limit > 0:
        _cache.put(_db_url(), entry, limit)


def discard(instance_id: int) -> None:
    _cache.discard(_db_url(), instance_id)


def clear() -> None:
    _cache.clear()
