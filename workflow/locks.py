"""Serialising transactions that decide on shared counts (quotas, deploys, numbering).

``hold(session, key)`` makes every other transaction that holds the same key wait until this
one ends. PostgreSQL: a transaction-scoped advisory lock on the key's hash. SQLite locks the
whole database for writing: a statement that writes nothing still takes the write lock, so
from here on the transaction runs alone (it fails as a conflict if its snapshot is stale).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["hold"]

_SQL = {
    "postgresql": text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
    "sqlite": text("UPDATE workflow_definition SET version = version WHERE 1 = 0"),
}


def hold(session: Session, key: str) -> None:
    """Holds the lock named ``key`` until the end of the session's transaction."""
    connection = session.connection()
    statement = _SQL.get(connection.dialect.name)
    if statement is not None:
        connection.execute(statement, {"key": key} if connection.dialect.name == "postgresql" else {})
