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
    return create_engine(url, pool_pre_ping=True, **kwargs)


_APPEND_ONLY = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS workflow_instance_no_delete BEFORE DELETE ON workflow_instance
           BEGIN SELECT RAISE(ABORT, 'workflow instances are never deleted'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
        """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
           FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
        """CREATE OR REPLACE FUNCTION workflow_instance_kept() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'workflow instances are never deleted'; END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS workflow_instance_kept ON workflow_instance",
        """CREATE TRIGGER workflow_instance_kept BEFORE DELETE ON workflow_instance
           FOR EACH ROW EXECUTE FUNCTION workflow_instance_kept()""",
    ],
}


def create_schema(engine: Engine) -> None:
    """Creates missing tables (engine and domain) and the triggers that keep the audit trail
    append-only and instances undeletable (idempotent)."""
    from .domain import models as domain_models  # noqa: F401 - registers the domain's tables
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        for statement in _APPEND_ONLY.get(engine.dialect.name, []):
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
