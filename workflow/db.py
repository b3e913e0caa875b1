"""Database engine and sessions from configuration; SQLite by default, PostgreSQL supported.

SQLite runs in WAL mode with foreign keys on and durable commits (``synchronous=FULL``); the
driver's implicit transaction handling is replaced by a real ``BEGIN`` so reads and writes
of one transaction see one snapshot. SQLite locks the whole database for writing, and a
transaction that read first cannot start writing once anyone else has committed; so
transactions meant to write (``write_sessions``) begin with ``BEGIN IMMEDIATE`` and wait
their turn instead. Audit events are made append-only by database triggers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import SQLModel

from . import models  # noqa: F401 - registers the tables on SQLModel.metadata

__all__ = ["normalise_url", "create_db_engine", "create_schema", "make_session_factory",
           "ScratchSchema", "postgres_scratch_schema", "DEFAULT_URL"]

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///instance/laurel.db"
BUSY_TIMEOUT_MS = 10_000


def normalise_url(url: str) -> str:
    """Accepts ``postgresql://`` and ``postgres://`` URLs and picks the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                   f"busy_timeout={BUSY_TIMEOUT_MS}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


_BEGIN = {"DEFERRED": "BEGIN", "IMMEDIATE": "BEGIN IMMEDIATE"}


def _sqlite_begin(connection) -> None:
    mode = connection.get_execution_options().get("laurel_sqlite_begin", "DEFERRED")
    connection.connection.driver_connection.execute(_BEGIN[mode])


def create_db_engine(url: str = DEFAULT_URL, **kwargs) -> Engine:
    """An engine for ``url``; for a SQLite file, its folder is created when missing."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "connect", _postgres_utc)
    return engine


def _postgres_utc(dbapi_connection, _record) -> None:
    """Times are stored in UTC whatever the server's time zone (the columns carry none)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


# Rows the database itself keeps from being changed: table → (refused operations, message).
PROTECTED = {
    "audit_event": (("UPDATE", "DELETE"), "audit events are append-only"),
    "workflow_instance": (("DELETE",), "workflow instances are never deleted"),
    "decision_document": (("UPDATE", "DELETE"), "issued documents never change"),
}


def _protection(dialect: str) -> list[str]:
    """The statements creating the triggers of ``PROTECTED`` (idempotent)."""
    statements = []
    for table, (operations, message) in PROTECTED.items():
        if dialect == "sqlite":
            statements += [f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
                               BEGIN SELECT RAISE(ABORT, '{message}'); END""" for op in operations]
        elif dialect == "postgresql":
            statements += [
                f"""CREATE OR REPLACE FUNCTION {table}_protected() RETURNS trigger AS $$
                    BEGIN RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql""",
                f"DROP TRIGGER IF EXISTS {table}_protected ON {table}",
                f"""CREATE TRIGGER {table}_protected BEFORE {' OR '.join(operations)} ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {table}_protected()"""]
    return statements


def create_schema(engine: Engine) -> None:
    """Creates missing tables (engine and domain) and the triggers that keep the audit trail
    append-only, instances undeletable and issued documents unchanged (idempotent)."""
    from .domain import models as domain_models  # noqa: F401 - registers the domain's tables
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        for statement in _protection(engine.dialect.name):
            conn.execute(text(statement))


def make_session_factory(engine: Engine, *, write: bool = False, **kwargs) -> sessionmaker[Session]:
    """Sessions on ``engine``; with ``write=True`` their transactions are meant to write
    (on SQLite they take the write lock at ``BEGIN``, so they never fail half-way)."""
    if write and engine.dialect.name == "sqlite":
        engine = engine.execution_options(laurel_sqlite_begin="IMMEDIATE")
    return sessionmaker(engine, **kwargs)


@dataclass(frozen=True)
class ScratchSchema:
    """A throwaway PostgreSQL schema: ``url`` for SQLAlchemy, ``conninfo``/``options`` for psycopg."""

    url: str
    conninfo: str
    options: str


@contextmanager
def postgres_scratch_schema(url: str, prefix: str = "scratch") -> Iterator[ScratchSchema]:
    """Creates a schema in the PostgreSQL database at ``url``, and drops it afterwards
    (for tests and benchmarks, so they never touch real tables)."""
    import psycopg
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conninfo = normalise_url(url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    try:
        yield ScratchSchema(f"{normalise_url(url)}{separator}options=-csearch_path%3D{schema}",
                            conninfo, f"-csearch_path={schema}")
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
