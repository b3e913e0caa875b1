"""Working days, deadlines and ``workflow tick``: each deadline is acted on exactly once."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from conftest import CLUSTER_HEAD, HEAD, OFFICER, SECRETARIAT
from workflow.deadlines import tick
from workflow.models import AuditEvent, WorkflowInstance
from workflow.schema import CalendarSchema, Deadline
from workflow.workdays import WorkingCalendar

REPORT = {"achievement_report": "sha256:" + "ef" * 32}
VN = timezone(timedelta(hours=7))


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN).astimezone(timezone.utc)


@pytest.fixture
def calendar(definitions):
    return definitions.calendar


def test_working_days_skip_weekends(calendar):
    # Friday 27 November 2026 + 1 working day: due at the end of Monday 30 November (local time)
    assert calendar.due(vn(2026, 11, 27, 15), Deadline(working_days=1)) == vn(2026, 12, 1, 0)
    # started on a Saturday: counting begins on Monday
    assert calendar.due(vn(2026, 11, 28, 9), Deadline(working_days=1)) == vn(2026, 12, 1, 0)


def test_working_days_skip_public_holidays(calendar):
    # Thursday 12 February 2026 + 2 working days: Friday 13th, then Tết (14–22 February), then Monday 23rd
    assert calendar.due(vn(2026, 2, 12, 10), Deadline(working_days=2)) == vn(2026, 2, 24, 0)


def test_calendar_days_are_exact(calendar):
    start = vn(2026, 2, 12, 10, 30)
    assert calendar.due(start, Deadline(days=10)) == start + timedelta(days=10)


def test_make_up_working_saturdays_count():
    schema = CalendarSchema(timezone="Asia/Ho_Chi_Minh", working_weekends=[date(2026, 11, 28)])
    assert WorkingCalendar(schema).due(vn(2026, 11, 27, 15), Deadline(working_days=1)) == vn(2026, 11, 29, 0)


def in_state(engine, sessions, state: str) -> WorkflowInstance:
    path = {"unit_review": [("submit", OFFICER, {"attachments": REPORT})],
            "supplement": [("submit", OFFICER, {"attachments": REPORT}), ("approve_unit", HEAD, {}),
                           ("forward", CLUSTER_HEAD, {}), ("request_supplement", SECRETARIAT,
                                                           {"comment": "Thiếu biên bản"})]}[state]
    with sessions.begin() as session:
        instance = engine.start(session, "sample", OFFICER, subject_kind="individual")
        for trigger, actor, extra in path:
            engine.fire(session, instance, trigger, actor, **extra)
    return instance


def events_of(sessions, instance_id, kind=None):
    with sessions() as session:
        query = select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq)
        return [e for e in session.scalars(query) if kind is None or e.kind == kind]


def later(days: int) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days)


def test_nothing_is_done_before_the_deadline(engine, sessions):
    in_state(engine, sessions, "unit_review")
    assert list(tick(sessions, engine, later(1))) == []


def test_a_reminder_is_recorded_once(engine, sessions):
    instance = in_state(engine, sessions, "unit_review")
    first = list(tick(sessions, engine, later(30)))
    assert [(h.instance_id, h.outcome) for h in first] == [(instance.id, "reminded")]
    assert list(tick(sessions, engine, later(31))) == []
    reminders = events_of(sessions, instance.id, "reminder")
    assert len(reminders) == 1
    assert (reminders[0].actor_id, reminders[0].from_state, reminders[0].to_state) == \
        ("system", "unit_review", "unit_review")


def test_an_expiry_trigger_is_fired_by_the_system(engine, sessions):
    instance = in_state(engine, sessions, "supplement")
    handled = list(tick(sessions, engine, later(60)))
    assert [(h.outcome, h.detail) for h in handled] == [("fired", "lapse: supplement → lapsed")]
    with sessions() as session:
        assert session.get(WorkflowInstance, instance.id).state == "lapsed"
    assert events_of(sessions, instance.id)[-1].actor_id == "system"


def test_reentering_a_state_restarts_its_clock(engine, sessions):
    instance = in_state(engine, sessions, "supplement")
    later_start = later(20)
    with sessions.begin() as session:
        session.add(instance)
        engine.fire(session, instance, "resubmit", OFFICER, now=later_start)
        first_due = instance.deadline_at
        engine.fire(session, instance, "request_supplement", SECRETARIAT, comment="Còn thiếu", now=later_start)
        engine.fire(session, instance, "resubmit", OFFICER, now=later_start + timedelta(days=7))
        assert instance.deadline_at >= first_due + timedelta(days=7)


def test_concurrent_ticks_act_on_each_deadline_exactly_once(engine, sessions, write_sessions):
    ids = [in_state(engine, sessions, "unit_review").id for _ in range(12)]
    moment = later(30)
    results: list = []
    barrier = threading.Barrier(3)

    def run():
        barrier.wait()
        results.extend(tick(write_sessions, engine, moment))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reminded = sorted(h.instance_id for h in results if h.outcome == "reminded")
    assert reminded == sorted(ids)
    assert {h.outcome for h in results} <= {"reminded", "skipped"}
    for instance_id in ids:
        assert len(events_of(sessions, instance_id, "reminder")) == 1


def test_cli_tick_reports_what_it_did(app, cli):
    from workflow.deploy import deploy
    from workflow.workdays import utcnow
    assert cli("db", "init").exit_code == 0
    state = app.extensions["laurel"]
    with state.sessions.begin() as session:
        deploy(session, state.definitions.workflows.values(), utcnow())
    in_state(state.engine, state.sessions, "unit_review")
    when = later(30).strftime("%Y-%m-%dT%H:%M:%S")
    result = cli("workflow", "tick", "--now", when)
    assert result.exit_code == 0, result.output
    assert "reminded" in result.output and "1 reminded" in result.output
    again = cli("workflow", "tick", "--now", when)
    assert "nothing overdue" in again.output


def test_a_calendar_without_working_days_is_refused():
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match="no day would be a working day"):
        CalendarSchema(timezone="Asia/Ho_Chi_Minh", weekend=["monday", "tuesday", "wednesday", "thursday",
                                                            "friday", "saturday", "sunday"])


def test_one_failing_instance_does_not_stall_the_others(engine, sessions, write_sessions, monkeypatch):
    ids = [in_state(engine, sessions, "unit_review").id for _ in range(3)]
    import workflow.deadlines as deadlines
    real = deadlines._handle

    def flaky(session, engine_, instance_id, now):
        if instance_id == ids[0]:
            raise RuntimeError("a hook failed")
        return real(session, engine_, instance_id, now)
    monkeypatch.setattr(deadlines, "_handle", flaky)
    outcomes = {h.instance_id: h.outcome for h in tick(write_sessions, engine, later(30))}
    assert outcomes == {ids[0]: "error", ids[1]: "reminded", ids[2]: "reminded"}


# --- the working-day clock shown to the standing office -------------------------------------------

def test_working_days_between_is_the_inverse_of_adding_them(calendar):
    start = date(2026, 11, 27)  # a Friday
    for n in range(0, 30):
        assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n
    assert calendar.working_days_between(date(2026, 11, 27), date(2026, 11, 29)) == 0   # the weekend
    assert calendar.working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1
    assert calendar.working_days_between(date(2026, 2, 12), date(2026, 2, 23)) == 2     # across Tết
    assert calendar.working_days_between(date(2026, 12, 1), date(2026, 11, 27)) == -2  # 30 Nov, 1 Dec
    assert calendar.working_days_between(date(2026, 12, 1), date(2026, 12, 1)) == 0


def test_the_last_day_of_a_deadline(calendar):
    assert calendar.last_day(vn(2026, 12, 1, 0)) == date(2026, 11, 30)   # at local midnight: the day before
    assert calendar.last_day(vn(2026, 12, 1, 9)) == date(2026, 12, 1)


def test_working_days_left_before_and_after_the_deadline(calendar):
    due = calendar.due(vn(2026, 11, 27, 10), Deadline(working_days=3))  # Mon, Tue, Wed: the end of 2 December
    assert due == vn(2026, 12, 3, 0)
    assert calendar.working_days_left(due, vn(2026, 11, 27, 16)) == 3
    assert calendar.working_days_left(due, vn(2026, 11, 28, 23, 30)) == 3   # a Saturday evening
    assert calendar.working_days_left(due, vn(2026, 12, 2, 8)) == 0         # due today
    assert calendar.working_days_left(due, vn(2026, 12, 3, 8)) == -1        # a day overdue
    assert calendar.working_days_left(due, vn(2026, 12, 7, 8)) == -3        # Fri, (weekend), Mon
    # a UTC moment late on the 1st is already the 2nd in Hà Nội
    assert calendar.working_days_left(due, datetime(2026, 12, 1, 20, tzinfo=timezone.utc)) == 0
