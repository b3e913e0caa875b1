"""Hot-path statements: SQL built by SQLAlchemy once per dialect, run on the DBAPI cursor.

``fire()`` writes two statements per transition. Through ``Connection.execute`` SQLAlchemy
spends about 60–80 µs of Python per statement on this class of machine (a durable SQLite
commit costs about 100 µs), so the engine's two writes go to the driver directly — still on
the session's connection, in the caller's transaction. SQLAlchemy still writes the SQL and
converts the values (its public ``bind_processor`` of each column type), so the statements
stay portable across SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement

__all__ = ["FastStatement"]

log = logging.getLogger(__name__)


class _Compiled:
    def __init__(self, statement: ClauseElement, dialect: Any, column_keys: list[str] | None):
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        self.names = names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
        self.plan = [(name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                     for name in names]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        converted = [values[name] if convert is None else convert(values[name]) for name, convert in self.plan]
        return tuple(converted) if self.positional else dict(zip(self.names, converted, strict=True))


class FastStatement:
    """A statement run with one set of values on the session's connection."""

    def __init__(self, statement: ClauseElement, column_keys: list[str] | None = None):
        self.statement = statement
        self.column_keys = column_keys
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect: Any) -> _Compiled:
        key = f"{dialect.name}+{dialect.driver}"
        compiled = self._by_dialect.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._by_dialect.setdefault(key, _Compiled(self.statement, dialect, self.column_keys))
        return compiled

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Runs the statement in ``connection``'s transaction; returns the row count."""
        compiled = self._compiled(connection.dialect)
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(values))
            return cursor.rowcount
        finally:
            cursor.close()
