"""Shared fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema when
LAUREL_TEST_DATABASE_URL is set), the real definitions, an engine, the app and its CLI."""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import time_machine

from world import NOW
from workflow import Actor, Registry
from workflow.db import create_db_engine, create_schema, make_session_factory, normalise_url, postgres_scratch_schema
from workflow.deploy import deploy
from workflow.domain.setup import load_domain
from workflow.loader import DEFAULT_ROOT
from workflow.workdays import utcnow

PG_URL = os.environ.get("LAUREL_TEST_DATABASE_URL")


@pytest.fixture(scope="session", autouse=True)
def test_calendar_day():
    """Every test starts on the test world's day (Friday 27 November 2026, the 2026 submission
    window open) and the clock ticks from there, whatever the real date: the browser tests,
    which read the clock, then mean the same in 2027 as today."""
    with time_machine.travel(NOW, tick=True):
        yield


def _pg_schema_url(base: str):
    with postgres_scratch_schema(base, "t") as scratch:
        yield scratch.url


@pytest.fixture
def database_url(tmp_path):
    """The database of one test: PostgreSQL when configured, else a SQLite file."""
    if PG_URL:
        yield from _pg_schema_url(PG_URL)
    else:
        yield f"sqlite:///{tmp_path / 'laurel.db'}"


@pytest.fixture
def pg_url():
    """A scratch PostgreSQL schema; the test is skipped when PostgreSQL is not configured."""
    if not PG_URL:
        pytest.skip("LAUREL_TEST_DATABASE_URL is not set (PostgreSQL tests)")
    yield from _pg_schema_url(PG_URL)


@pytest.fixture
def db(database_url):
    engine = create_db_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db):
    return make_session_factory(db, expire_on_commit=False)


@pytest.fixture
def write_sessions(db):
    """Sessions for transactions that write while others do too (BEGIN IMMEDIATE on SQLite)."""
    return make_session_factory(db, write=True, expire_on_commit=False)


SAMPLE = Path(__file__).parent / "workflows" / "sample.yaml"  # the engine tests' workflow: no domain rules


def sample_domain():
    """The real definitions (catalogue included), plus the engine tests' 'sample' workflow."""
    loaded = load_domain(DEFAULT_ROOT, [DEFAULT_ROOT / "workflows", SAMPLE])
    assert loaded.ok, loaded.problems
    return loaded


@pytest.fixture(scope="session")
def domain():
    return sample_domain()


@pytest.fixture(scope="session")
def definitions(domain):
    return domain.definitions


@pytest.fixture(scope="session")
def keys_folder(tmp_path_factory):
    """One folder of test signing keys (the local test CA and a certificate per signer) per run."""
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def publisher(domain, keys_folder):
    """The decision publisher of the tests: real rendering and signing, test keys."""
    from workflow.documents.keys import Keys
    from workflow.documents.publisher import Publisher
    return Publisher.of(domain, Keys(keys_folder), "http://laurel.test")


@pytest.fixture
def engine(domain, sessions, publisher):
    """The engine over the real definitions and 'sample', deployed into the test's database."""
    with sessions.begin() as session:
        deploy(session, domain.definitions.workflows.values(), utcnow())
    return domain.build_engine(publisher=publisher)


@pytest.fixture
def definitions_dir(tmp_path):
    """A copy of the real definitions folder (with 'sample') the test may change."""
    target = tmp_path / "definitions"
    shutil.copytree(DEFAULT_ROOT, target)
    shutil.copy(SAMPLE, target / "workflows" / "sample.yaml")
    return target


@pytest.fixture
def app(database_url, definitions_dir, keys_folder):
    from web import create_app
    app = create_app({"DATABASE_URL": database_url, "DEFINITIONS": str(definitions_dir), "TESTING": True,
                      "KEYS": str(keys_folder)})
    yield app
    app.extensions["laurel"].db.dispose()


@pytest.fixture
def cli(app):
    """Runs ``flask --app web …`` commands against the test app."""
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args), catch_exceptions=False)
    return run


OFFICER = Actor("officer-1", frozenset({"unit_officer"}), name="Nguyễn Thị Lan")
HEAD = Actor("head-1", frozenset({"unit_head"}), name="Trần Văn Hùng")
CLUSTER_HEAD = Actor("cluster-head-1", frozenset({"cluster_head"}))
SECRETARIAT = Actor("secretariat-1", frozenset({"secretariat"}))
CLERK = Actor("clerk-1", frozenset({"clerk"}))


def write_workflow(folder: Path, name: str, text: str) -> Path:
    path = folder / "workflows" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def registry_with(**guards) -> Registry:
    """A registry whose guards are the given functions (name → callable)."""
    registry = Registry()
    for name, func in guards.items():
        registry.guard(name, vi=f"điều kiện {name}", en=f"condition {name}")(func)
    return registry


# --- the domain: a small organisation and a desk to act on it ---------------------------------

@pytest.fixture
def world(engine, write_sessions):
    from world import build_world
    with write_sessions.begin() as session:
        return build_world(session)


@pytest.fixture
def desk(engine, domain, sessions, write_sessions, world):
    from desk import Desk
    return Desk(engine, domain.catalogue, domain.definitions.vocabulary.documents, write_sessions, world,
                readers=sessions)


# --- the browser app over the demo data ----------------------------------------------------------

def prepare_demo(app, *seed_options: str) -> None:
    """What ``make run`` does to the app's database: tables, workflows, demo data."""
    runner = app.test_cli_runner()
    for command in (["db", "init"], ["workflow", "deploy"], ["demo", "seed", *seed_options]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output


def _seed_demo(url: str, keys_folder) -> None:
    from web import create_app
    app = create_app({"DATABASE_URL": url, "TESTING": True, "KEYS": str(keys_folder)})
    prepare_demo(app)
    app.extensions["laurel"].db.dispose()


@contextmanager
def _pg_database(base: str, template: str | None = None):
    """A throwaway PostgreSQL database on the server of ``base`` (a copy of ``template`` when
    given), dropped afterwards: (its name, its URL)."""
    import psycopg
    from sqlalchemy.engine import make_url
    name = f"laurel_{uuid.uuid4().hex[:12]}"
    conninfo = normalise_url(base).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield name, make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def scratch_database(folder: Path, file_name: str):
    """The URL of a new, empty database: on PostgreSQL when configured, else a SQLite file."""
    if PG_URL:
        with _pg_database(PG_URL) as (_name, url):
            yield url
    else:
        yield f"sqlite:///{folder / file_name}"


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory, keys_folder):
    """The demo organisation and season, built once per test run: a SQLite file, or with
    LAUREL_TEST_DATABASE_URL a PostgreSQL database (its name) that each web test copies."""
    if PG_URL:
        with _pg_database(PG_URL) as (name, url):
            _seed_demo(url, keys_folder)
            yield name
        return
    import sqlite3
    path = tmp_path_factory.mktemp("seeded") / "demo.db"
    _seed_demo(f"sqlite:///{path}", keys_folder)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield path


@contextmanager
def demo_copy(seeded_db, folder: Path):
    """The URL of a fresh copy of the demo database (a file copy, or a PostgreSQL template copy)."""
    if PG_URL:
        with _pg_database(PG_URL, template=seeded_db) as (_name, url):
            yield url
        return
    copy = folder / "web.db"
    shutil.copy(seeded_db, copy)
    yield f"sqlite:///{copy}"


@pytest.fixture
def web(seeded_db, tmp_path, keys_folder):
    """The app over a fresh copy of the demo database (CSRF off: forms are posted directly)."""
    from web import create_app
    with demo_copy(seeded_db, tmp_path) as url:
        app = create_app({"DATABASE_URL": url, "TESTING": True, "WTF_CSRF_ENABLED": False, "KEYS": str(keys_folder)})
        yield app
        app.extensions["laurel"].db.dispose()


DEMO_PASSWORD = "thidua2026"


@pytest.fixture
def client_as(web):
    """``client_as("canbo.tccs")``: a test client signed in as that demo account."""
    def sign_in(username: str, lang: str | None = None):
        client = web.test_client()
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"cannot sign in as {username}"
        if lang:
            client.post(f"/lang/{lang}", data={"next": "/"})
        return client
    return sign_in
