"""The rows one engine step writes, collected first and then sent to the database in one go.

`persist()` describes what changed as a short list of plain operations (insert rows, delete by key, update
by key). How they reach the database depends on the database:
  - PostgreSQL: one psycopg pipeline, so a whole step (instance row, open tasks, timers, jobs, history,
    and the COMMIT when the step is the whole unit of work) costs one network round trip instead of one
    per statement; new ids are read after the pipeline has synced, and the version check fails inside
    the database so that nothing after it (least of all the COMMIT) goes through.
  - anything else (SQLite): SQLAlchemy Core statements one after the other; SQLite is in-process, so
    there is no round trip to save.
The operations are few and simple on purpose: every column a row sets is named in the row (no Python-side
column defaults are applied), and a `where` maps columns to a value or to a list of values (IN).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, delete, insert, literal, select, update
from sqlalchemy.exc import DBAPIError

from app.platform.db_types import UTCDateTime


class StaleWrite(Exception):
    """An `expect_one` update matched no row: someone else saved the instance first."""


@dataclass
class Operation:
    kind: str  # "insert" | "insert_children" | "delete" | "update"
    table: Table
    parent: tuple[Table, str, str] | None = None  # insert_children: (parent table, its key column, our fk)
    rows: list[dict] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, Any] = field(default_factory=dict)
    returning: bool = False  # insert: collect the new rows' ids into `ids`, in row order
    expect_one: bool = False  # update: exactly one row must match, else StaleWrite
    ids: list[int] = field(default_factory=list)


class StepWrites:
    """An ordered list of writes, flushed once at the end of a step."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []

    def insert(self, table: Table, rows: list[dict], *, returning: bool = False) -> Operation:
        op = Operation("insert", table, rows=rows, returning=returning)
        if rows:
            self.ops.append(op)
        return op

    def insert_children(self, table: Table, parent: Table, parent_key: str, foreign_key: str,
                        rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Rows pointing at parent rows written earlier in the same step, found by a unique column of the
        parent instead of its id (so no id has to come back first): rows are (parent key value, columns)."""
        if rows:
            self.ops.append(Operation("insert_children", table, parent=(parent, parent_key, foreign_key),
                                      rows=[{"__key": key, **columns} for key, columns in rows]))

    def delete(self, table: Table, **where: Any) -> None:
        self.ops.append(Operation("delete", table, where=where))

    def update(self, table: Table, values: dict[str, Any], *, expect_one: bool = False, **where: Any) -> None:
        self.ops.append(Operation("update", table, values=values, where=where, expect_one=expect_one))

    def flush(self, conn: Connection, *, commit: bool = False) -> None:
        """Send the writes. `commit=True` (PostgreSQL only) also commits, in the same round trip: for the
        last writes of an outermost unit of work, whose own commit then finds nothing left to do."""
        if conn.dialect.name == "postgresql":
            _flush_pipeline(conn, self.ops, commit)
        else:
            for op in self.ops:
                _run_core(conn, op)
        self.ops = []


def _is_many(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset))


# -- SQLAlchemy Core (SQLite, and any other database) ---------------------------------------------

@lru_cache(maxsize=512)
def _core_statement(kind: str, table: Table, where: tuple[tuple[str, bool], ...], values: tuple[str, ...] = (),
                    returning: bool = False):
    """Statements built once per shape (kind, table, where columns, updated columns): SQLAlchemy then
    skips rebuilding and re-keying them on every step. Bound names are w_<column> and v_<column>."""
    if kind == "insert":
        stmt = insert(table)
        return stmt.returning(table.c.id, sort_by_parameter_order=True) if returning else stmt
    clauses = [table.c[k].in_(bindparam(f"w_{k}", expanding=True)) if many else table.c[k] == bindparam(f"w_{k}")
               for k, many in where]
    if kind == "delete":
        return delete(table).where(*clauses)
    return update(table).where(*clauses).values({k: bindparam(f"v_{k}") for k in values})


def _run_core(conn: Connection, op: Operation) -> None:
    t = op.table
    if op.kind == "insert":
        stmt = _core_statement("insert", t, (), returning=op.returning)
        if op.returning:
            op.ids = list(conn.execute(stmt, op.rows).scalars())
        else:
            conn.execute(stmt, op.rows)
        return
    if op.kind == "insert_children":
        parent, parent_key, foreign_key = op.parent
        for row in op.rows:
            columns = [k for k in row if k != "__key"]
            conn.execute(insert(t).from_select(
                [foreign_key, *columns],
                select(parent.c.id, *(literal(row[k], t.c[k].type) for k in columns))
                .where(parent.c[parent_key] == row["__key"])))
        return
    where = tuple((k, _is_many(v)) for k, v in op.where.items())
    params = {f"w_{k}": (list(v) if many else v) for (k, many), v in zip(where, op.where.values())}
    stmt = _core_statement(op.kind, t, where, tuple(op.values))
    params.update({f"v_{k}": v for k, v in op.values.items()})
    result = conn.execute(stmt, params)
    if op.expect_one and result.rowcount != 1:
        raise StaleWrite()


# -- PostgreSQL: one pipeline -----------------------------------------------------------------------

@lru_cache(maxsize=None)
def _adapters(table: Table) -> dict[str, Any]:
    """Bind conversions the SQLAlchemy column types would apply: UTC-aware datetimes to naive UTC, JSON
    values wrapped for JSONB (None stays JSON null, as SQLAlchemy's JSON type stores it)."""
    from psycopg.types.json import Jsonb

    adapters: dict[str, Any] = {}
    for col in table.columns:
        if isinstance(col.type, UTCDateTime):
            adapters[col.name] = lambda v, _t=col.type: _t.process_bind_param(v, None)
        elif isinstance(col.type, JSON):
            adapters[col.name] = Jsonb
    return adapters


def _value(table: Table, name: str, value: Any) -> Any:
    fn = _adapters(table).get(name)
    return fn(value) if fn is not None else value


def _adapt(table: Table, names: tuple[str, ...], row: dict[str, Any]) -> list[Any]:
    return [_value(table, name, row[name]) for name in names]


def _where_sql(table: Table, where: dict[str, Any]) -> tuple[str, list[Any]]:
    parts, params = [], []
    for name, value in where.items():
        if _is_many(value):
            parts.append(f'"{name}" = ANY(%s)')
            params.append([_value(table, name, v) for v in value])
        else:
            parts.append(f'"{name}" = %s')
            params.append(_value(table, name, value))
    return " AND ".join(parts), params


def _columns(names) -> str:
    return ", ".join(f'"{n}"' for n in names)


MANY = "many"  # a statement's parameters are a list of rows: executemany


def _statements(op: Operation) -> list[tuple[str, list[Any], bool | str]]:
    """The statements of one operation: (sql, parameters, keep the result for `op.ids`? or MANY: the
    parameters are rows, one execution each)."""
    t = op.table
    if op.kind == "insert":
        names = tuple(op.rows[0])
        head = f'INSERT INTO "{t.name}" ({_columns(names)}) VALUES '
        one = f'({", ".join(["%s"] * len(names))})'
        if op.returning:  # one row per statement: the ids come back in row order
            return [(head + one + ' RETURNING "id"', _adapt(t, names, row), True) for row in op.rows]
        if len(op.rows) == 1:
            return [(head + one, _adapt(t, names, op.rows[0]), False)]
        # Many rows: one statement sent for every row of the pipeline (psycopg parses and prepares it once; a
        # multi-row VALUES list would be a new text, parsed again, for every count of rows).
        return [(head + one, [_adapt(t, names, row) for row in op.rows], MANY)]
    if op.kind == "insert_children":
        parent, parent_key, foreign_key = op.parent
        out = []
        for row in op.rows:
            columns = tuple(k for k in row if k != "__key")
            values = ", ".join(["%s"] * len(columns))
            sql = (f'INSERT INTO "{t.name}" ("{foreign_key}", {_columns(columns)}) '
                   f'SELECT "id", {values} FROM "{parent.name}" WHERE "{parent_key}" = %s')
            out.append((sql, [*_adapt(t, columns, row), row["__key"]], False))
        return out
    where, params = _where_sql(t, op.where)
    if op.kind == "delete":
        return [(f'DELETE FROM "{t.name}" WHERE {where}', params, False)]
    names = tuple(op.values)
    sets = ", ".join(f'"{n}" = %s' for n in names)
    sql = f'UPDATE "{t.name}" SET {sets} WHERE {where}'
    if op.expect_one:
        # Fail the statement itself when the row has moved on: the error aborts the transaction, so the
        # rest of the pipeline (COMMIT included) cannot go through after a lost race.
        sql = f"WITH u AS ({sql} RETURNING 1) SELECT 1 / (SELECT count(*) FROM u)"
    return [(sql, _adapt(t, names, op.values) + params, False)]


_STALE_SQLSTATE = "22012"  # division_by_zero, raised only by the expect_one form of UPDATE above


def _flush_pipeline(conn: Connection, ops: list[Operation], commit: bool) -> None:
    import psycopg

    raw: psycopg.Connection = conn.connection.driver_connection
    pending: list[tuple[Operation, psycopg.Cursor]] = []
    sql = None
    try:
        with raw.pipeline():
            shared = raw.cursor()
            for op in ops:
                for sql, params, keep in _statements(op):
                    if keep == MANY:
                        shared.executemany(sql, params)
                        continue
                    cur = raw.cursor() if keep else shared
                    cur.execute(sql, params)
                    if keep:
                        pending.append((op, cur))
            if commit:
                sql = "COMMIT"
                raw.commit()
    except psycopg.Error as err:
        if err.sqlstate == _STALE_SQLSTATE:
            raise StaleWrite() from None
        raise DBAPIError.instance(sql, None, err, psycopg.Error) from err
    for op, cur in pending:
        op.ids.append(cur.fetchone()[0])
