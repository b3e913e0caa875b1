"""Many threads and processes fire the same trigger on one instance: exactly one wins.

Run on SQLite always, and on PostgreSQL when LAUREL_TEST_DATABASE_URL is set. Two ways of
acting are raced: a plain session that reads then writes (the compare-and-swap decides),
and a write session that reloads the instance and passes the version its form showed.
"""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import func, select

from conftest import OFFICER, sample_domain
from workflow import Conflict
from workflow.db import create_db_engine, create_schema, make_session_factory
from workflow.deploy import deploy
from workflow.models import AuditEvent, WorkflowInstance
from workflow.workdays import utcnow

REPORT = {"achievement_report": "sha256:" + "12" * 32}
WORKERS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.db'}"
    else:
        yield request.getfixturevalue("pg_url")


def prepare(url: str) -> int:
    """A deployed database holding one nomination in draft; returns its id."""
    db = create_db_engine(url)
    create_schema(db)
    domain = sample_domain()
    engine = domain.build_engine()
    with make_session_factory(db).begin() as session:
        deploy(session, domain.definitions.workflows.values(), utcnow())
        instance_id = engine.start(session, "sample", OFFICER, subject_kind="individual").id
    db.dispose()
    return instance_id


def attempt(url: str, instance_id: int, mode: str, wait) -> str:
    """Fires 'submit' once, after ``wait()``; returns 'won' or 'conflict'."""
    db = create_db_engine(url)
    engine = sample_domain().build_engine()
    try:
        if mode == "read-then-write":
            with make_session_factory(db)() as session:
                instance = session.get(WorkflowInstance, instance_id)
                wait()
                try:
                    engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
                    session.commit()
                    return "won"
                except Conflict:
                    session.rollback()
                    return "conflict"
        with make_session_factory(db)() as session:
            seen = session.get(WorkflowInstance, instance_id).version  # the version the form showed
        wait()
        try:
            with make_session_factory(db, write=True).begin() as session:
                instance = session.get(WorkflowInstance, instance_id)
                engine.fire(session, instance, "submit", OFFICER, attachments=REPORT, expected_version=seen)
            return "won"
        except Conflict:
            return "conflict"
    finally:
        db.dispose()


def outcome(url: str, instance_id: int) -> tuple[str, int, int]:
    db = create_db_engine(url)
    with make_session_factory(db)() as session:
        instance = session.get(WorkflowInstance, instance_id)
        events = session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.instance_id == instance_id))
        result = (instance.state, instance.version, events)
    db.dispose()
    return result


@pytest.mark.parametrize("mode", ["read-then-write", "form-version"])
def test_threads_race_and_exactly_one_wins(url, mode):
    instance_id = prepare(url)
    barrier = threading.Barrier(WORKERS)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(attempt(url, instance_id, mode, barrier.wait)))
               for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["conflict"] * (WORKERS - 1) + ["won"]
    assert outcome(url, instance_id) == ("unit_review", 2, 2)


def _process(url, instance_id, mode, barrier, queue):
    queue.put(attempt(url, instance_id, mode, barrier.wait))


@pytest.mark.parametrize("mode", ["read-then-write", "form-version"])
def test_processes_race_and_exactly_one_wins(url, mode):
    instance_id = prepare(url)
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(WORKERS // 2), context.Queue()
    processes = [context.Process(target=_process, args=(url, instance_id, mode, barrier, queue))
                 for _ in range(WORKERS // 2)]
    for p in processes:
        p.start()
    results = sorted(queue.get(timeout=60) for _ in processes)
    for p in processes:
        p.join(timeout=60)
    assert results == ["conflict"] * (WORKERS // 2 - 1) + ["won"]
    assert outcome(url, instance_id) == ("unit_review", 2, 2)
