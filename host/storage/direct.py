"""Statements of the write path executed straight on the DB-API cursor.

Every ticket waits for the writer's transaction, and SQLAlchemy's per-statement machinery
(execution context, events, result set-up: about 60 us a statement) was a third of it. Here each
statement is compiled once per dialect by SQLAlchemy itself and executed on the raw cursor with
SQLAlchemy's own type conversions, so the SQL text, placeholders, casts and stored values are the
ones SQLAlchemy would produce (and rows read back are converted as SQLAlchemy would convert them);
DB-API errors are wrapped into SQLAlchemy's exception classes (``IntegrityError``,
``OperationalError``...) so callers handle them as before.

On PostgreSQL every statement is a network round trip, and each wait for an answer also costs the
writer thread a fresh turn at the GIL. :meth:`DirectStatements.pipeline` sends the statements
executed inside it together (psycopg's pipeline mode): a write batch is one round trip for the
branch lock and the events other processes wrote, and one for its rows and the COMMIT
(docs/performance.md, PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Params = Mapping[str, Any]


class DirectStatement:
    """One statement, compiled for one dialect and one set of parameter names."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"not a DML statement: {statement}")
        self.statement = statement  # held, so its id() keys the cache for as long as it lives
        self.sql = compiled.string
        self.dialect = dialect
        self._convert: list[tuple[str, Callable[[Any], Any] | None]] = [
            (name, bind.type.dialect_impl(dialect).bind_processor(dialect))
            for name, bind in compiled.binds.items()]
        # qmark (SQLite) takes a tuple in the compiled order; pyformat (psycopg) a dict.
        self._order = compiled.positiontup if dialect.paramstyle in ("qmark", "numeric") else None
        # A SELECT's columns by name, each with SQLAlchemy's conversion of the value read.
        self._results: list[tuple[str, Callable[[Any], Any] | None]] = [
            (column.keyname, column.type.dialect_impl(dialect).result_processor(dialect, None))
            for column in compiled._result_columns]

    def _rows(self, params: Sequence[Params]) -> Sequence[tuple[Any, ...]] | Sequence[dict[str, Any]]:
        """The DB-API parameters of each row: tuples in the compiled order, or dicts by name."""
        named = [{name: (convert(p[name]) if convert and p[name] is not None else p[name])
                  for name, convert in self._convert} for p in params]
        if self._order is None:
            return named
        return [tuple(values[n] for n in self._order) for values in named]

    def execute(self, conn: Connection, params: Params) -> Any:
        """Run once in ``conn``'s transaction; returns the DB-API cursor (for a SELECT)."""
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, self._rows([params])[0])
        except self.dialect.loaded_dbapi.Error as err:
            cursor.close()
            raise DBAPIError.instance(self.sql, None, err, self.dialect.loaded_dbapi.Error) from err
        return cursor

    def execute_many(self, conn: Connection, rows: Sequence[Params]) -> None:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, self._rows(rows))
        except self.dialect.loaded_dbapi.Error as err:
            raise DBAPIError.instance(self.sql, None, err, self.dialect.loaded_dbapi.Error) from err
        finally:
            cursor.close()

    def fetch_all(self, cursor: Any) -> list[dict[str, Any]]:
        """The rows of a SELECT run by :meth:`execute`, by column name, values converted."""
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [{name: (convert(value) if convert else value)
                 for (name, convert), value in zip(self._results, row, strict=True)}
                for row in rows]


class DirectStatements:
    """The compiled statements of one database, built on first use."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._compiled: dict[tuple[int, tuple[str, ...]], DirectStatement] = {}

    def get(self, statement: ClauseElement, keys: Sequence[str]) -> DirectStatement:
        key = (id(statement), tuple(keys))
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = DirectStatement(statement, self.dialect, keys)
        return found

    def execute(self, conn: Connection, statement: ClauseElement, params: Params) -> Any:
        return self.get(statement, tuple(params)).execute(conn, params)

    def execute_many(self, conn: Connection, statement: ClauseElement,
                     rows: Sequence[Params]) -> None:
        if rows:
            self.get(statement, tuple(rows[0])).execute_many(conn, rows)

    @contextmanager
    def pipeline(self, conn: Connection, commit: bool = False) -> Iterator[None]:
        """PostgreSQL: the statements executed inside the block go to the server together when
        it ends, in one round trip (read their cursors after it); with ``commit`` the COMMIT
        goes with them. Other databases run each statement at once (and ``commit`` is left to
        the caller's transaction).

        A statement that fails stops the rest (PostgreSQL skips them): its error is raised when
        the block ends, wrapped like :meth:`DirectStatement.execute` wraps it; the transaction
        is then aborted and rolls back.
        """
        if self.dialect.name != "postgresql":
            yield
            return
        raw = conn.connection.dbapi_connection
        dbapi = self.dialect.loaded_dbapi
        try:
            with raw.pipeline():  # type: ignore[union-attr]
                yield
                if commit:
                    # Sent as a statement, so that it rides with the others; psycopg then sees
                    # the session idle, and the transaction's own commit has nothing left to do.
                    raw.execute("COMMIT")  # type: ignore[union-attr]
        except dbapi.Error as err:
            raise DBAPIError.instance("(pipelined statements)", None, err, dbapi.Error) from err
