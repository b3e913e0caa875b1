"""The audit trail: append-only, hash-chained, and ``audit verify`` names the first broken link."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from conftest import HEAD, OFFICER
from workflow.audit import GENESIS, event_hash, replay, verify
from workflow.deploy import deploy
from workflow.models import AuditEvent, WorkflowInstance
from workflow.workdays import utcnow

REPORT = {"achievement_report": "sha256:" + "cd" * 32}


@pytest.fixture
def trail(engine, sessions):
    """Two instances with a few events each; returns their ids."""
    ids = []
    with sessions.begin() as session:
        for _ in range(2):
            instance = engine.start(session, "sample", OFFICER, subject_kind="individual")
            engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
            engine.fire(session, instance, "return_for_revision", HEAD, comment="Bổ sung số liệu")
            engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
            ids.append(instance.id)
    return ids


def tamper(db, *statements: str) -> None:
    """What someone with the database owner's rights could do: drop the guard triggers, edit rows."""
    drops = {"sqlite": ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"],
             "postgresql": ["DROP TRIGGER audit_event_protected ON audit_event"]}[db.dialect.name]
    with db.begin() as conn:
        for statement in drops + list(statements):
            conn.execute(text(statement))


def breaks(sessions):
    with sessions() as session:
        return list(verify(session))


def test_an_intact_trail_verifies(trail, sessions):
    assert breaks(sessions) == []


def test_events_cannot_be_updated_or_deleted(trail, db):
    for statement in ("UPDATE audit_event SET comment = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.begin() as conn:
                conn.execute(text(statement))


def test_an_altered_event_is_named(trail, db, sessions):
    tamper(db, f"UPDATE audit_event SET comment = 'Đồng ý' WHERE instance_id = {trail[1]} AND seq = 3")
    found = breaks(sessions)
    assert len(found) == 1
    assert (found[0].instance_id, found[0].seq) == (trail[1], 3)
    assert "altered" in found[0].message


def test_an_altered_actor_is_named(trail, db, sessions):
    tamper(db, f"UPDATE audit_event SET actor_id = 'someone-else' WHERE instance_id = {trail[0]} AND seq = 2")
    assert [(b.instance_id, b.seq) for b in breaks(sessions)] == [(trail[0], 2)]


def test_a_removed_event_in_the_middle_is_named(trail, db, sessions):
    tamper(db, f"DELETE FROM audit_event WHERE instance_id = {trail[0]} AND seq = 2")
    found = breaks(sessions)
    assert [(b.instance_id, b.seq) for b in found] == [(trail[0], 2)]
    assert "missing" in found[0].message


def test_a_removed_last_event_is_named(trail, db, sessions):
    tamper(db, f"DELETE FROM audit_event WHERE instance_id = {trail[0]} AND seq = 4")
    found = breaks(sessions)
    assert [b.instance_id for b in found] == [trail[0]]
    assert "ends at event #3" in found[0].message


def test_an_inserted_event_is_named(trail, db, sessions):
    with sessions() as session:
        last = session.query(AuditEvent).filter_by(instance_id=trail[0], seq=4).one()
        forged = {name: getattr(last, name) for name in ("instance_id", "kind", "trigger", "from_state",
                                                         "to_state", "actor_id", "acting_for_id", "comment",
                                                         "inputs", "attachments", "workflow_version", "occurred_at")}
    forged.update(seq=5, from_state="unit_review", to_state="unit_review", comment="forged")
    digest = event_hash(forged, last.hash)  # a well-formed event, correctly chained
    tamper(db)
    with db.begin() as conn:
        conn.execute(AuditEvent.__table__.insert().values(**forged, prev_hash=last.hash, hash=digest))
    found = breaks(sessions)
    assert [b.instance_id for b in found] == [trail[0]]
    assert "version 4" in found[0].message


def test_a_state_changed_behind_the_engines_back_is_named(trail, db, sessions):
    tamper(db, f"UPDATE workflow_instance SET state = 'approved' WHERE id = {trail[1]}")
    found = breaks(sessions)
    assert [b.instance_id for b in found] == [trail[1]]
    assert "replaying the trail gives state 'unit_review'" in found[0].message


def test_replay_reproduces_the_state(trail, sessions):
    with sessions() as session:
        events = session.query(AuditEvent).filter_by(instance_id=trail[0]).all()
    assert replay(events) == "unit_review"
    assert events[0].prev_hash == GENESIS


def test_cli_verify_passes_then_names_the_first_broken_link(app, cli, trail_in_app):
    ok = cli("audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "intact: 2 instances, 8 events" in ok.output
    tamper(app.extensions["laurel"].db,
           f"UPDATE audit_event SET comment = 'sửa' WHERE instance_id = {trail_in_app[0]} AND seq = 3")
    bad = cli("audit", "verify")
    assert bad.exit_code == 1
    assert f"first broken link: instance {trail_in_app[0]}, event #3" in bad.output


@pytest.fixture
def trail_in_app(app, cli):
    """The ``trail`` fixture, written through the app's own database and engine."""
    assert cli("db", "init").exit_code == 0
    state = app.extensions["laurel"]
    with state.sessions.begin() as session:
        deploy(session, state.definitions.workflows.values(), utcnow())
    ids = []
    with state.sessions.begin() as session:
        for _ in range(2):
            instance = state.engine.start(session, "sample", OFFICER, subject_kind="individual")
            engine = state.engine
            engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
            engine.fire(session, instance, "return_for_revision", HEAD, comment="Bổ sung")
            engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
            ids.append(instance.id)
    return ids


def test_a_changed_proposer_is_named(trail, db, sessions):
    tamper(db, f"UPDATE workflow_instance SET proposer_id = 'head-1' WHERE id = {trail[0]}")
    found = breaks(sessions)
    assert [b.instance_id for b in found] == [trail[0]] and "proposer" in found[0].message


def test_a_changed_subject_is_named(trail, db, sessions):
    tamper(db, f"UPDATE workflow_instance SET subject_ref = 'someone-else' WHERE id = {trail[1]}")
    found = breaks(sessions)
    assert [b.instance_id for b in found] == [trail[1]] and "subject" in found[0].message


def test_a_changed_definition_hash_is_named(trail, db, sessions):
    tamper(db, f"UPDATE workflow_instance SET workflow_hash = '{'0' * 64}' WHERE id = {trail[1]}")
    assert [b.instance_id for b in breaks(sessions)] == [trail[1]]


def test_instances_cannot_be_deleted(trail, db):
    with pytest.raises(DatabaseError, match="never deleted"):
        with db.begin() as conn:
            conn.execute(text(f"DELETE FROM workflow_instance WHERE id = {trail[0]}"))


def test_a_deleted_instance_is_named(trail, db, sessions):
    statements = {"sqlite": ["PRAGMA foreign_keys = OFF", "DROP TRIGGER workflow_instance_no_delete"],
                  "postgresql": ["DROP TRIGGER workflow_instance_protected ON workflow_instance",
                                 "ALTER TABLE audit_event DROP CONSTRAINT audit_event_instance_id_fkey"]}
    with db.connect() as conn:  # straight to the driver: PRAGMA foreign_keys works outside a transaction only
        driver = conn.connection.driver_connection
        for statement in statements[db.dialect.name] + [f"DELETE FROM workflow_instance WHERE id = {trail[0]}"]:
            driver.execute(statement)
        driver.commit()
    found = breaks(sessions)
    assert [b.instance_id for b in found] == [trail[0]] and "deleted" in found[0].message


def test_a_corrupt_row_is_named_not_a_crash(trail, db, sessions):
    if db.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's JSON type refuses invalid JSON on write")
    tamper(db, f"UPDATE audit_event SET inputs = 'not json' WHERE instance_id = {trail[1]} AND seq = 2")
    found = breaks(sessions)
    assert [(b.instance_id, b.seq) for b in found] == [(trail[1], 2)] and "cannot be read" in found[0].message


def test_changes_committed_while_verifying_are_not_breaks(trail, engine, sessions, write_sessions):
    """verify reads one snapshot: a transition committed between its queries is not a break."""
    from sqlalchemy import event
    with sessions() as session:
        fired = []

        def meanwhile(conn, cursor, statement, *args):
            if "FROM audit_event" in statement and "instance_id BETWEEN" in statement.replace("\n", " ") and not fired:
                fired.append(True)
                with write_sessions.begin() as other:
                    instance = other.get(WorkflowInstance, trail[0])
                    engine.fire(other, instance, "return_for_revision", HEAD, comment="lần nữa")
        event.listen(session.get_bind(), "before_cursor_execute", meanwhile)
        try:
            found = list(verify(session))
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", meanwhile)
    assert fired and found == []
