"""Definition versions: immutable once deployed, deployed alongside, and migration between them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import OFFICER, SECRETARIAT, write_workflow
from workflow.audit import verify
from workflow.models import AuditEvent, WorkflowInstance

V1 = """
id: leave
version: 1
label: {vi: Nghỉ phép, en: Leave}
subject: individual
initial: asked
states:
  asked: {label: {vi: Đã xin, en: Asked}}
  checked: {label: {vi: Đã kiểm tra, en: Checked}, deadline: {days: 3}}
  parked: {label: {vi: Tạm dừng, en: Parked}}
  granted: {label: {vi: Đã duyệt, en: Granted}, final: true}
transitions:
  - {trigger: check, label: {vi: Kiểm tra, en: Check}, from: asked, to: checked, roles: [secretariat]}
  - {trigger: park, label: {vi: Tạm dừng, en: Park}, from: checked, to: parked, roles: [secretariat]}
  - {trigger: grant, label: {vi: Duyệt, en: Grant}, from: [checked, parked], to: granted, roles: [secretariat]}
"""
# version 2: 'checked' is renamed 'reviewed', 'parked' is gone, granting needs a comment
V2 = V1.replace("version: 1", "version: 2").replace("checked", "reviewed") \
    .replace("  parked: {label: {vi: Tạm dừng, en: Parked}}\n", "") \
    .replace("  - {trigger: park, label: {vi: Tạm dừng, en: Park}, from: reviewed, to: parked, roles: [secretariat]}\n", "") \
    .replace("from: [reviewed, parked], to: granted, roles: [secretariat]}",
             "from: reviewed, to: granted, roles: [secretariat], comment: required}")


@pytest.fixture
def state(app, cli, definitions_dir):
    """The app's own state with 'leave' v1 deployed and three instances: asked, checked, parked."""
    write_workflow(definitions_dir, "leave", V1)
    assert cli("db", "init").exit_code == 0
    deployed = cli("workflow", "deploy")
    assert deployed.exit_code == 0, deployed.output
    laurel = app.extensions["laurel"]
    ids = []
    with laurel.write_sessions.begin() as session:
        for path in ([], ["check"], ["check", "park"]):
            instance = laurel.engine.start(session, "leave", OFFICER, subject_kind="individual")
            for trigger in path:
                laurel.engine.fire(session, instance, trigger, SECRETARIAT)
            ids.append(instance.id)
    laurel.ids = ids
    return laurel


def instances(laurel):
    with laurel.sessions() as session:
        return {i.id: (i.workflow_version, i.state) for i in session.scalars(select(WorkflowInstance))}


def test_changing_a_deployed_version_is_refused(state, cli, definitions_dir):
    write_workflow(definitions_dir, "leave", V1.replace("Nghỉ phép", "Nghỉ phép năm"))
    validate = cli("workflow", "validate")
    assert validate.exit_code == 1
    assert "version 1 is already deployed with different content; to deploy this change, set 'version: 2'" \
        in validate.output
    deploy = cli("workflow", "deploy")
    assert deploy.exit_code == 1 and "already deployed" in deploy.output


def test_a_new_version_deploys_alongside_and_running_instances_stay(state, cli, definitions_dir):
    write_workflow(definitions_dir, "leave", V2)
    deploy = cli("workflow", "deploy")
    assert deploy.exit_code == 0, deploy.output
    assert "leave v2: added" in deploy.output
    asked, checked, parked = state.ids
    with state.write_sessions.begin() as session:
        old = session.get(WorkflowInstance, parked)
        state.engine.fire(session, old, "grant", SECRETARIAT)  # v1 rules: no comment needed
        new = state.engine.start(session, "leave", OFFICER, subject_kind="individual")
        assert (new.workflow_version, new.state) == (2, "asked")
    assert instances(state)[parked] == (1, "granted")


def test_migration_refuses_unmapped_states_and_moves_nothing(state, cli, definitions_dir):
    write_workflow(definitions_dir, "leave", V2)
    assert cli("workflow", "deploy").exit_code == 0
    before = instances(state)
    result = cli("workflow", "migrate", "leave", "--to", "2", "--map", "checked=reviewed")
    assert result.exit_code == 1
    asked, checked, parked = state.ids
    assert f"instance {parked}: v1 'parked' → '(no mapping)'" in result.output
    assert f"instance {checked}:" not in result.output.split("Add --map")[1]
    assert instances(state) == before


def test_migration_dry_run_then_for_real(state, cli, definitions_dir):
    write_workflow(definitions_dir, "leave", V2)
    assert cli("workflow", "deploy").exit_code == 0
    asked, checked, parked = state.ids
    args = ["workflow", "migrate", "leave", "--to", "2", "--map", "checked=reviewed", "--map", "parked=reviewed"]
    dry = cli(*args, "--dry-run")
    assert dry.exit_code == 0 and "3 instance(s) would move" in dry.output
    assert instances(state)[checked] == (1, "checked")
    real = cli(*args)
    assert real.exit_code == 0, real.output
    assert instances(state) == {asked: (2, "asked"), checked: (2, "reviewed"), parked: (2, "reviewed")}
    with state.sessions() as session:
        moved = session.scalars(select(AuditEvent).where(AuditEvent.kind == "migration")
                                .order_by(AuditEvent.instance_id)).all()
        assert [(e.instance_id, e.from_state, e.to_state, e.workflow_version, e.inputs) for e in moved] == [
            (asked, "asked", "asked", 2, {"from_version": 1}),
            (checked, "checked", "reviewed", 2, {"from_version": 1}),
            (parked, "parked", "reviewed", 2, {"from_version": 1})]
        assert moved[0].actor_id.startswith("cli:")
        assert list(verify(session)) == []
        # the migrated instance now follows version 2: granting needs a comment
        instance = session.get(WorkflowInstance, checked)
        assert [o.comment for o in state.engine.available(session, instance, SECRETARIAT)] == ["required"]


def test_migration_to_an_unknown_state_is_refused(state, cli, definitions_dir):
    write_workflow(definitions_dir, "leave", V2)
    assert cli("workflow", "deploy").exit_code == 0
    result = cli("workflow", "migrate", "leave", "--to", "2", "--map", "checked=reviewd")
    assert result.exit_code == 1
    assert "unknown state 'reviewd' (did you mean 'reviewed'?)" in result.output


def test_migration_map_must_be_old_equals_new(state, cli):
    result = cli("workflow", "migrate", "leave", "--to", "1", "--map", "checked")
    assert result.exit_code == 2 and "'checked' is not OLD=NEW" in result.output


def test_a_change_between_planning_and_moving_is_a_conflict(state, cli, definitions_dir):
    from workflow import Actor, Conflict
    from workflow.migrate import migrate, plan_migration
    from workflow.workdays import utcnow
    write_workflow(definitions_dir, "leave", V2)
    assert cli("workflow", "deploy").exit_code == 0
    asked, checked, parked = state.ids
    admin = Actor("admin-1", frozenset({"admin"}))
    with pytest.raises(Conflict):
        with state.sessions.begin() as session:  # (a write session would make the other wait instead)
            plan = plan_migration(session, state.engine, "leave", 2, {"checked": "reviewed", "parked": "reviewed"})
            with state.write_sessions.begin() as other:  # someone acts on 'asked' meanwhile
                state.engine.fire(other, other.get(WorkflowInstance, asked), "check", SECRETARIAT)
            migrate(session, state.engine, plan, admin, utcnow())
    assert instances(state) == {asked: (1, "checked"), checked: (1, "checked"), parked: (1, "parked")}


def test_migration_keeps_a_handled_deadline_handled(state, cli, definitions_dir):
    from datetime import datetime, timedelta, timezone
    from workflow.deadlines import tick
    later = datetime.now(timezone.utc) + timedelta(days=30)
    assert [h.outcome for h in tick(state.write_sessions, state.engine, later)] == ["reminded"]
    write_workflow(definitions_dir, "leave", V1.replace("version: 1", "version: 2"))
    assert cli("workflow", "deploy").exit_code == 0
    assert cli("workflow", "migrate", "leave", "--to", "2").exit_code == 0
    assert list(tick(state.write_sessions, state.engine, later)) == []
    with state.sessions() as session:
        assert len(session.scalars(select(AuditEvent).where(AuditEvent.kind == "reminder")).all()) == 1


def test_concurrent_deploys_leave_one_current_version(database_url, definitions_dir):
    import threading
    from workflow import Registry, load_definitions
    from workflow.db import create_db_engine, create_schema, make_session_factory
    from workflow.deploy import deploy
    from workflow.models import WorkflowDefinition
    from workflow.workdays import utcnow
    db = create_db_engine(database_url)
    create_schema(db)
    specs = []
    for version in (2, 3):
        folder = definitions_dir.parent / f"v{version}"
        import shutil
        shutil.copytree(definitions_dir, folder)
        write_workflow(folder, "leave", V1.replace("version: 1", f"version: {version}"))
        specs.append(load_definitions(Registry(), folder).workflows["leave"])
    writes = make_session_factory(db, write=True)
    barrier, errors = threading.Barrier(2), []

    def run(spec):
        barrier.wait()
        try:
            with writes.begin() as session:
                deploy(session, [spec], utcnow())
        except Exception as err:  # noqa: BLE001 - the test reports whatever happened
            errors.append(err)

    threads = [threading.Thread(target=run, args=(spec,)) for spec in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with make_session_factory(db)() as session:
        assert len(session.scalars(select(WorkflowDefinition).where(WorkflowDefinition.current.is_(True))).all()) == 1
    db.dispose()
