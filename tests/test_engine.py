"""The engine: start, available, fire — roles, guards, inputs, separation, hooks, conflicts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from conftest import CLERK, CLUSTER_HEAD, HEAD, OFFICER, SECRETARIAT, registry_with, write_workflow
from workflow import Actor, Blocked, Conflict, DefinitionError, Engine, Reason, load_definitions
from workflow.deploy import deploy
from workflow.models import AuditEvent, WorkflowInstance
from workflow.schema import Deadline
from workflow.workdays import utcnow

REPORT = {"achievement_report": "sha256:" + "ab" * 32}

VOTE = """
id: vote
version: 1
label: {vi: Biểu quyết, en: Vote}
subject: individual
initial: open
states:
  open:
    label: {vi: Đang mở, en: Open}
    on_exit: [record_exit]
  passed:
    label: {vi: Đạt, en: Passed}
    final: true
    on_enter: [record_enter]
  failed:
    label: {vi: Không đạt, en: Failed}
    final: true
transitions:
  - trigger: close
    label: {vi: Kết thúc biểu quyết, en: Close the vote}
    from: open
    to: passed
    roles: [secretariat]
    guards: [vote_passed]
    after: [record_after]
  - trigger: close
    label: {vi: Kết thúc biểu quyết, en: Close the vote}
    from: open
    to: failed
    roles: [secretariat]
    unless: [vote_passed]
  - trigger: annul
    label: {vi: Hủy, en: Annul}
    from: open
    to: failed
    roles: [chair]
    guards: [quorum, vote_passed]
    comment: required
    inputs:
      reason: {label: {vi: Lý do, en: Reason}, type: choice, choices: [fraud, error]}
      votes: {label: {vi: Số phiếu, en: Votes}, type: number}
      held_on: {label: {vi: Ngày họp, en: Held on}, type: date, optional: true}
"""


@pytest.fixture
def world():
    """Switches the test guards read, and a log the test hooks write."""
    return {"passed": True, "quorum": True, "log": []}


@pytest.fixture
def vote_engine(definitions_dir, sessions, world):
    registry = registry_with(vote_passed=lambda ctx: world["passed"],
                             quorum=lambda ctx: None if world["quorum"] else
                             Reason("quorum", "Chưa đủ số thành viên có mặt", "Quorum not reached"))
    for name in ("record_exit", "record_enter", "record_after"):
        registry.hook(name)(lambda ctx, name=name: world["log"].append((name, ctx.instance.state, ctx.event.seq)))
    path = write_workflow(definitions_dir, "vote", VOTE)
    loaded = load_definitions(registry, definitions_dir, [path])  # just this workflow
    assert loaded.ok, loaded.problems
    with sessions.begin() as session:
        deploy(session, loaded.workflows.values(), utcnow())
    return Engine(registry, loaded)


def start(engine, sessions, workflow="sample", actor=OFFICER):
    with sessions.begin() as session:
        return engine.start(session, workflow, actor, subject_kind="individual", subject_ref="person-1")


def test_start_writes_the_first_event(engine, sessions):
    instance = start(engine, sessions)
    with sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id)).all()
    assert instance.state == "draft" and instance.version == 1
    assert [(e.seq, e.kind, e.from_state, e.to_state, e.actor_id) for e in events] == \
        [(1, "start", None, "draft", OFFICER.id)]
    assert instance.audit_head == events[0].hash


def test_fire_moves_and_records_one_event(engine, sessions):
    instance = start(engine, sessions)
    with sessions.begin() as session:
        session.add(instance)
        event = engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
    assert (event.seq, event.from_state, event.to_state, event.trigger) == (2, "draft", "unit_review", "submit")
    with sessions() as session:
        stored = session.get(WorkflowInstance, instance.id)
        assert (stored.state, stored.version, stored.audit_head) == ("unit_review", 2, event.hash)
        assert stored.deadline_at is not None and not stored.deadline_handled
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_available_lists_every_trigger_with_reasons(engine, sessions):
    instance = start(engine, sessions)
    with sessions() as session:
        session.add(instance)
        for_officer = {o.trigger: o for o in engine.available(session, instance, OFFICER)}
        for_clerk = {o.trigger: o for o in engine.available(session, instance, CLERK)}
    assert set(for_officer) == {"submit", "withdraw"}
    assert for_officer["submit"].allowed and for_officer["submit"].attachments == ("achievement_report",)
    assert for_officer["withdraw"].comment == "required"
    assert not for_clerk["submit"].allowed
    assert [r.code for r in for_clerk["submit"].reasons] == ["role"]
    assert "Cán bộ TĐKT đơn vị" in for_clerk["submit"].reasons[0].vi
    assert "Unit emulation officer" in for_clerk["submit"].reasons[0].en


def test_a_role_not_allowed_is_blocked_and_nothing_is_written(engine, sessions):
    instance = start(engine, sessions)
    with sessions.begin() as session:
        session.add(instance)
        with pytest.raises(Blocked) as blocked:
            engine.fire(session, instance, "submit", CLERK, attachments=REPORT)
    assert [r.code for r in blocked.value.reasons] == ["role"]
    with sessions() as session:
        assert session.get(WorkflowInstance, instance.id).version == 1


def test_missing_document_and_comment_are_named(engine, sessions):
    instance = start(engine, sessions)
    with sessions.begin() as session:
        session.add(instance)
        with pytest.raises(Blocked) as blocked:
            engine.fire(session, instance, "submit", OFFICER)
        assert blocked.value.vi == "Thiếu báo cáo thành tích"
        assert blocked.value.en == "Missing achievement report"
        with pytest.raises(Blocked) as blocked:
            engine.fire(session, instance, "withdraw", OFFICER, comment="   ")
        assert [r.code for r in blocked.value.reasons] == ["comment_required"]


def test_a_trigger_not_offered_here_is_blocked(engine, sessions):
    instance = start(engine, sessions)
    with sessions.begin() as session:
        session.add(instance)
        with pytest.raises(Blocked) as blocked:
            engine.fire(session, instance, "award", CLERK)
    assert blocked.value.reasons[0].code == "not_here"
    assert "Dự thảo" in blocked.value.vi


def test_undeclared_inputs_and_documents_are_refused(engine, sessions):
    instance = start(engine, sessions)
    with sessions.begin() as session:
        session.add(instance)
        with pytest.raises(Blocked) as blocked:
            engine.fire(session, instance, "submit", OFFICER, attachments=dict(REPORT, virus="x"),
                        inputs={"is_admin": "yes"})
    assert sorted(r.code for r in blocked.value.reasons) == ["attachment_unexpected", "input_unexpected"]


def test_the_proposer_may_not_approve_their_own_nomination(engine, sessions):
    both = Actor("officer-1", frozenset({"unit_officer", "unit_head"}))
    instance = start(engine, sessions, actor=both)
    with sessions.begin() as session:
        session.add(instance)
        engine.fire(session, instance, "submit", both, attachments=REPORT)
        options = {o.trigger: o for o in engine.available(session, instance, both)}
        assert [r.code for r in options["approve_unit"].reasons] == ["distinct_proposer"]
        with pytest.raises(Blocked):
            engine.fire(session, instance, "approve_unit", both)
        engine.fire(session, instance, "approve_unit", HEAD)


def test_a_delegate_acting_for_the_proposer_is_also_the_proposer(engine, sessions):
    instance = start(engine, sessions)
    deputy = Actor("deputy-1", frozenset({"unit_head"}), acting_for=OFFICER.id)
    with sessions.begin() as session:
        session.add(instance)
        engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
        with pytest.raises(Blocked) as blocked:
            engine.fire(session, instance, "approve_unit", deputy)
    assert blocked.value.reasons[0].code == "distinct_proposer"


def test_acting_for_is_recorded(engine, sessions):
    instance = start(engine, sessions)
    deputy = Actor("deputy-1", frozenset({"unit_head"}), acting_for=HEAD.id)
    with sessions.begin() as session:
        session.add(instance)
        engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
        event = engine.fire(session, instance, "approve_unit", deputy)
    assert (event.actor_id, event.acting_for_id) == ("deputy-1", HEAD.id)


def test_guards_route_between_transitions_of_one_trigger(vote_engine, sessions, world):
    passing, failing = start(vote_engine, sessions, "vote"), start(vote_engine, sessions, "vote")
    with sessions.begin() as session:
        session.add_all([passing, failing])
        assert vote_engine.fire(session, passing, "close", SECRETARIAT).to_state == "passed"
        world["passed"] = False
        assert vote_engine.fire(session, failing, "close", SECRETARIAT).to_state == "failed"


def test_every_failing_guard_is_a_reason(vote_engine, sessions, world):
    chair = Actor("chair-1", frozenset({"chair"}))
    instance = start(vote_engine, sessions, "vote")
    world.update(passed=False, quorum=False)
    with sessions() as session:
        session.add(instance)
        annul = {o.trigger: o for o in vote_engine.available(session, instance, chair)}["annul"]
    assert not annul.allowed
    assert [(r.code, r.en) for r in annul.reasons] == [
        ("quorum", "Quorum not reached"), ("guard_failed", "Condition not met: condition vote_passed")]


def test_inputs_are_checked_and_normalised(vote_engine, sessions, world):
    chair = Actor("chair-1", frozenset({"chair"}))
    instance = start(vote_engine, sessions, "vote")
    with sessions.begin() as session:
        session.add(instance)
        with pytest.raises(Blocked) as blocked:
            vote_engine.fire(session, instance, "annul", chair, comment="x",
                             inputs={"reason": "boredom", "votes": "many", "held_on": "31/12/2026"})
        assert sorted(r.en for r in blocked.value.reasons) == [
            "Invalid value for Held on (a date as YYYY-MM-DD is needed)",
            "Invalid value for Reason (choose one of: fraud, error)",
            "Invalid value for Votes (a number is needed)"]
        event = vote_engine.fire(session, instance, "annul", chair, comment=" Gian lận ",
                                 inputs={"reason": "fraud", "votes": "12", "held_on": " 2026-12-01"})
    assert event.inputs == {"reason": "fraud", "votes": 12, "held_on": "2026-12-01"}
    assert event.comment == "Gian lận"


def test_hooks_run_after_the_change_is_written_in_order(vote_engine, sessions, world):
    instance = start(vote_engine, sessions, "vote")
    with sessions.begin() as session:
        session.add(instance)
        vote_engine.fire(session, instance, "close", SECRETARIAT)
    assert world["log"] == [("record_exit", "passed", 2), ("record_enter", "passed", 2), ("record_after", "passed", 2)]


def test_a_failing_hook_leaves_nothing_written_when_the_caller_rolls_back(vote_engine, sessions, world):
    instance = start(vote_engine, sessions, "vote")
    instance_id = instance.id
    world["log"] = None  # the hooks now raise (None has no append)
    with pytest.raises(AttributeError):
        with sessions.begin() as session:
            session.add(instance)
            vote_engine.fire(session, instance, "close", SECRETARIAT)
    with sessions() as session:
        assert session.get(WorkflowInstance, instance_id).state == "open"
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_a_stale_instance_gets_a_conflict_and_writes_nothing(engine, sessions):
    instance = start(engine, sessions)
    with sessions() as one, sessions() as two:
        mine, theirs = one.get(WorkflowInstance, instance.id), two.get(WorkflowInstance, instance.id)
        engine.fire(one, mine, "submit", OFFICER, attachments=REPORT)
        one.commit()
        with pytest.raises(Conflict) as conflict:
            engine.fire(two, theirs, "withdraw", OFFICER, comment="rút")
        two.rollback()
    assert "reload" in conflict.value.en and "tải lại" in conflict.value.vi
    with sessions() as session:
        assert session.get(WorkflowInstance, instance.id).state == "unit_review"
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_an_expected_version_from_an_old_form_is_a_conflict(engine, sessions):
    instance = start(engine, sessions)
    with sessions.begin() as session:
        session.add(instance)
        engine.fire(session, instance, "submit", OFFICER, attachments=REPORT)
        with pytest.raises(Conflict):
            engine.fire(session, instance, "approve_unit", HEAD, expected_version=1)


def test_start_refuses_a_subject_the_workflow_does_not_cover(engine, sessions):
    with sessions.begin() as session, pytest.raises(DefinitionError, match="not to 'decision'"):
        engine.start(session, "sample", OFFICER, subject_kind="decision")


def test_start_refuses_an_undeployed_workflow(engine, sessions):
    with sessions.begin() as session, pytest.raises(DefinitionError, match="not deployed"):
        engine.start(session, "no-such-flow", OFFICER, subject_kind="individual")


def test_a_full_path_to_the_award(engine, sessions):
    instance = start(engine, sessions)
    steps = [("submit", OFFICER, {"attachments": REPORT}), ("approve_unit", HEAD, {}),
             ("forward", CLUSTER_HEAD, {}), ("send_to_council", SECRETARIAT, {}),
             ("approve", SECRETARIAT, {"inputs": {"votes_for": "11"}}),
             ("award", CLERK, {"inputs": {"decision_number": "125/QĐ-UBND"}})]
    with sessions.begin() as session:
        session.add(instance)
        for trigger, actor, extra in steps:
            engine.fire(session, instance, trigger, actor, **extra)
        assert instance.state == "awarded" and instance.deadline_at is None
        assert engine.available(session, instance, CLERK) == []


POSTED = """
id: posted
version: 1
label: {vi: Công khai, en: Posting}
subject: individual
initial: posted
states:
  posted:
    label: {vi: Đang công khai, en: Posted}
    deadline: {duration: posting, on_expiry: remind}
  done: {label: {vi: Xong, en: Done}, final: true}
transitions:
  - {trigger: finish, label: {vi: Xong, en: Finish}, from: posted, to: done, roles: [secretariat]}
"""


@pytest.mark.parametrize("length, expected_days", [(Deadline(days=7), 7), (None, None)])
def test_a_duration_function_sets_the_deadline_per_item(definitions_dir, sessions, length, expected_days):
    registry = registry_with()
    registry.duration("posting")(lambda ctx: length)
    path = write_workflow(definitions_dir, "posted", POSTED)
    loaded = load_definitions(registry, definitions_dir, [path])  # just this workflow
    assert loaded.ok, loaded.problems
    with sessions.begin() as session:
        deploy(session, loaded.workflows.values(), utcnow())
        instance = Engine(registry, loaded).start(session, "posted", OFFICER, subject_kind="individual")
        if expected_days is None:
            assert instance.deadline_at is None
        else:
            assert instance.deadline_at == instance.state_entered_at + timedelta(days=expected_days)


def test_guards_see_what_the_actor_supplied(definitions_dir, sessions):
    seen = []
    registry = registry_with(enough_votes=lambda ctx: seen.append(dict(ctx.inputs)) or ctx.inputs.get("votes", 0) >= 5,
                             vote_passed=lambda ctx: True, quorum=lambda ctx: True)
    for name in ("record_exit", "record_enter", "record_after"):
        registry.hook(name)(lambda ctx: None)
    path = write_workflow(definitions_dir, "vote", VOTE.replace("guards: [quorum, vote_passed]", "guards: [enough_votes]"))
    loaded = load_definitions(registry, definitions_dir, [path])  # just this workflow
    assert loaded.ok, loaded.problems
    chair = Actor("chair-1", frozenset({"chair"}))
    with sessions.begin() as session:
        deploy(session, loaded.workflows.values(), utcnow())
        engine = Engine(registry, loaded)
        instance = engine.start(session, "vote", OFFICER, subject_kind="individual")
        with pytest.raises(Blocked):
            engine.fire(session, instance, "annul", chair, comment="x", inputs={"reason": "fraud", "votes": "3"})
        engine.fire(session, instance, "annul", chair, comment="x", inputs={"reason": "fraud", "votes": "9"})
    assert seen[-1] == {"reason": "fraud", "votes": 9}


def test_the_initial_states_on_enter_hooks_run_at_start(definitions_dir, sessions):
    calls = []
    registry = registry_with()
    registry.hook("welcome")(lambda ctx: calls.append((ctx.instance.state, ctx.event.seq, ctx.event.kind)))
    path = write_workflow(definitions_dir, "posted", POSTED.replace("deadline: {duration: posting, on_expiry: remind}",
                                                             "on_enter: [welcome]"))
    loaded = load_definitions(registry, definitions_dir, [path])  # just this workflow
    assert loaded.ok, loaded.problems
    with sessions.begin() as session:
        deploy(session, loaded.workflows.values(), utcnow())
        Engine(registry, loaded).start(session, "posted", OFFICER, subject_kind="individual")
    assert calls == [("posted", 1, "start")]


@pytest.mark.parametrize("field", ["comment", "input", "attachment"])
def test_control_characters_are_refused(vote_engine, engine, sessions, field):
    chair = Actor("chair-1", frozenset({"chair"}))
    with sessions.begin() as session:
        if field == "attachment":
            instance = engine.start(session, "sample", OFFICER, subject_kind="individual")
            with pytest.raises(Blocked) as blocked:
                engine.fire(session, instance, "submit", OFFICER, attachments={"achievement_report": "a\x00b"})
            assert blocked.value.reasons[0].code == "attachment_missing"
            return
        instance = vote_engine.start(session, "vote", OFFICER, subject_kind="individual")
        bad = "Gian lận\x00" if field == "comment" else "1\x07"
        with pytest.raises(Blocked) as blocked:
            vote_engine.fire(session, instance, "annul", chair, comment=bad if field == "comment" else "x",
                             inputs={"reason": "fraud", "votes": bad if field == "input" else "1"})
    codes = [r.code for r in blocked.value.reasons]
    assert ("comment_invalid" if field == "comment" else "input_invalid") in codes


# --- observers: told of every event, in the caller's transaction ----------------------------------

OBSERVED = POSTED.replace("deadline: {duration: posting, on_expiry: remind}", "deadline: {days: 1, on_expiry: remind}")


def _observed(definitions_dir, sessions, observer):
    registry = registry_with()
    if observer is not None:
        registry.observer(observer)
    path = write_workflow(definitions_dir, "posted", OBSERVED)
    loaded = load_definitions(registry, definitions_dir, [path])  # just this workflow
    assert loaded.ok, loaded.problems
    with sessions.begin() as session:
        deploy(session, loaded.workflows.values(), utcnow())
    return registry, Engine(registry, loaded)


def test_observers_see_start_transition_reminder_and_migration(definitions_dir, sessions, write_sessions):
    from workflow.deadlines import tick
    from workflow.migrate import migrate, plan_migration
    seen = []

    def watch(ctx, record):
        assert ctx.session.in_transaction() and ctx.instance.version == record.seq  # written, not yet committed
        seen.append((record.kind, record.from_state, record.to_state, ctx.actor.id))

    registry, engine = _observed(definitions_dir, sessions, watch)
    with sessions.begin() as session:
        finished = engine.start(session, "posted", OFFICER, subject_kind="individual")
        waiting = engine.start(session, "posted", OFFICER, subject_kind="individual")
        engine.fire(session, finished, "finish", SECRETARIAT)
    assert [h.outcome for h in tick(write_sessions, engine, utcnow() + timedelta(days=3))] == ["reminded"]
    path = write_workflow(definitions_dir, "posted", OBSERVED.replace("version: 1", "version: 2"))
    newer = load_definitions(registry, definitions_dir, [path])
    admin = Actor("admin-1", frozenset({"admin"}))
    with sessions.begin() as session:
        deploy(session, newer.workflows.values(), utcnow())
        migrate(session, engine, plan_migration(session, engine, "posted", 2, {}), admin, utcnow())
    assert seen == [("start", None, "posted", OFFICER.id), ("start", None, "posted", OFFICER.id),
                    ("transition", "posted", "done", SECRETARIAT.id), ("reminder", "posted", "posted", "system"),
                    ("migration", "done", "done", "admin-1"), ("migration", "posted", "posted", "admin-1")]
    with sessions() as session:
        assert session.get(WorkflowInstance, waiting.id).workflow_version == 2


def test_an_observer_that_fails_undoes_the_change(definitions_dir, sessions):
    def refuse(ctx, record):
        if record.kind == "transition":
            raise RuntimeError("the observer failed")

    _registry, engine = _observed(definitions_dir, sessions, refuse)
    with sessions.begin() as session:
        instance = engine.start(session, "posted", OFFICER, subject_kind="individual")
    with pytest.raises(RuntimeError), sessions.begin() as session:
        engine.fire(session, session.get(WorkflowInstance, instance.id), "finish", SECRETARIAT)
    with sessions() as session:
        assert session.get(WorkflowInstance, instance.id).state == "posted"
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_without_observers_the_engine_does_no_extra_work(definitions_dir, sessions, monkeypatch):
    def never(*_args):
        raise AssertionError("observe() called with no observer registered")

    registry, engine = _observed(definitions_dir, sessions, None)
    assert registry.observers == ()
    monkeypatch.setattr(Engine, "observe", never)
    with sessions.begin() as session:
        instance = engine.start(session, "posted", OFFICER, subject_kind="individual")
        engine.fire(session, instance, "finish", SECRETARIAT)


def test_an_observer_is_registered_once():
    registry = registry_with()

    @registry.observer
    def watch(ctx, record):
        pass

    assert registry.observers == (watch,)
    with pytest.raises(ValueError, match="twice"):
        registry.observer(watch)
