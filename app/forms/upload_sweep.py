"""Removing uploaded files that no row references (a draft attachment replaced by a newer one, a file whose
request was killed between storing it and committing its row), once they are older than a grace period.

What references a file is found in the database itself rather than asked of each area: every text and JSON
column of every table is searched for the candidates' ids (task data in the workflow state, drafts, an
employer's qualification, a résumé, history). A new area's column is covered without registering anything,
and a file is kept whenever any row mentions its id.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import JSON, Connection, Engine, String, Text, cast, or_, select

from app.forms.uploads import STAGING, sweep_staging

_FILE_ID = re.compile(r"[0-9a-f]{32}\Z")
_IDS_IN_TEXT = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
BATCH = 200  # candidate ids per LIKE query


def stored_files(uploads_dir: Path, older_than_s: float) -> dict[str, Path]:
    """Committed uploads (``<id[:2]>/<id>``) last modified more than ``older_than_s`` seconds ago."""
    cutoff = time.time() - older_than_s
    found: dict[str, Path] = {}
    if not uploads_dir.is_dir():
        return found
    for folder in uploads_dir.iterdir():
        if folder.name == STAGING or not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                if _FILE_ID.match(path.name) and path.name[:2] == folder.name and path.stat().st_mtime < cutoff:
                    found[path.name] = path
            except FileNotFoundError:
                pass
    return found


def _text_columns(metadata) -> Iterator:
    for table in metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if isinstance(kind, JSON) or isinstance(kind, Text) or (isinstance(kind, String) and kind.length is None):
                yield column


def referenced(conn: Connection, metadata, candidates: Iterable[str]) -> set[str]:
    """Those of ``candidates`` that some text or JSON column of some row mentions (read in one transaction
    of ``conn``: a row moving a reference from one table to another meanwhile is seen in one of them)."""
    wanted = sorted(set(candidates))
    found: set[str] = set()
    for column in _text_columns(metadata):
        as_text = cast(column, Text)
        for start in range(0, len(wanted), BATCH):
            batch = [i for i in wanted[start:start + BATCH] if i not in found]
            if not batch:
                continue
            rows = conn.execute(select(as_text).where(or_(*(as_text.contains(i) for i in batch))))
            for (value,) in rows:
                found.update(i for i in _IDS_IN_TEXT.findall(value or "") if i in batch)
        if len(found) == len(wanted):
            break
    return found


def sweep(engine: Engine, metadata, uploads_dir: Path, grace_s: float) -> list[str]:
    """Remove committed uploads older than ``grace_s`` that no row references, and staged parts as old;
    returns the ids removed. Files younger than the grace period are never touched: their request may
    still be on its way to committing the row that names them."""
    sweep_staging(uploads_dir, older_than_s=grace_s)
    old = stored_files(uploads_dir, grace_s)
    if not old:
        return []
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot for every table (SQLite: BEGIN IMMEDIATE is one)
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            keep = referenced(conn, metadata, old)
    removed = []
    for file_id, path in sorted(old.items()):
        if file_id not in keep:
            path.unlink(missing_ok=True)
            removed.append(file_id)
    return removed
