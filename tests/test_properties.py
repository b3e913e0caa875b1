"""Property-based tests: random triggers by random actors, checked against a plain oracle.

Whatever sequence is tried, the engine only ever takes a transition the definition declares
from the current state, whose roles, separation of duties, guards and requirements all hold
at that moment; everything else is refused and writes nothing; and replaying the audit trail
reproduces the current state.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conftest import registry_with, write_workflow
from workflow import Actor, Blocked, Engine, load_definitions
from workflow.audit import replay, verify
from workflow.deploy import deploy
from workflow.models import AuditEvent, WorkflowInstance
from workflow.workdays import utcnow

FLOW = """
id: prop
version: 1
label: {vi: Thử nghiệm, en: Property test}
subject: individual
initial: a
states:
  a: {label: {vi: A, en: A}}
  b: {label: {vi: B, en: B}}
  c: {label: {vi: C, en: C}, deadline: {days: 1, on_expiry: remind}}
  done: {label: {vi: Xong, en: Done}, final: true}
  dropped: {label: {vi: Bỏ, en: Dropped}, final: true}
transitions:
  - {trigger: go, label: {vi: Đi, en: Go}, from: a, to: b, roles: [unit_officer], guards: [g1, g2]}
  - {trigger: go, label: {vi: Đi, en: Go}, from: a, to: c, roles: [unit_officer], unless: [g1]}
  - {trigger: review, label: {vi: Xét, en: Review}, from: b, to: c, roles: [unit_head],
     distinct_from: [proposer], comment: required, unless: [g2]}
  - {trigger: review, label: {vi: Xét, en: Review}, from: b, to: a, roles: [cluster_head, unit_head],
     guards: [g2]}
  - {trigger: loop, label: {vi: Lặp, en: Loop}, from: c, to: c, roles: [unit_officer, unit_head],
     distinct_from: [previous_actor]}
  - {trigger: finish, label: {vi: Kết thúc, en: Finish}, from: c, to: done, roles: [secretariat],
     guards: [g1, g2], attachments: [meeting_minutes], inputs: {n: {label: {vi: Số, en: Number}, type: number}}}
  - {trigger: drop, label: {vi: Bỏ, en: Drop}, from: "*", to: dropped, roles: [unit_officer], comment: required}
"""
RAW = yaml.safe_load(FLOW)
TRIGGERS = sorted({t["trigger"] for t in RAW["transitions"]}) + ["bogus"]
ACTORS = [
    Actor("officer", frozenset({"unit_officer"})),
    Actor("officer-2", frozenset({"unit_officer"})),
    Actor("head", frozenset({"unit_head"})),
    Actor("officer-head", frozenset({"unit_officer", "unit_head"})),
    Actor("cluster", frozenset({"cluster_head"})),
    Actor("secretariat", frozenset({"secretariat"})),
    Actor("deputy", frozenset({"unit_head"}), acting_for="officer-head"),
]

SUPPLIED = st.tuples(st.booleans(), st.booleans(), st.sampled_from(["none", "valid", "invalid"]))


def sources(t: dict) -> list[str]:
    frm = t["from"] if isinstance(t["from"], list) else [t["from"]]
    if frm == ["*"]:
        return [name for name, s in RAW["states"].items() if not s.get("final")]
    return frm


def oracle(state: str, trigger: str, actor: Actor, flags: dict, supplied: dict, proposer: Actor,
           previous: set[str]) -> dict | None:
    """The transition the definition says must be taken, or None when it must be refused."""
    for t in RAW["transitions"]:
        if t["trigger"] != trigger or state not in sources(t):
            continue
        ok = bool(actor.roles & set(t["roles"]))
        ok &= all(flags[g] for g in t.get("guards", [])) and not any(flags[g] for g in t.get("unless", []))
        distinct = t.get("distinct_from", [])
        ok &= not ("proposer" in distinct and actor.principals & proposer.principals)
        ok &= not ("previous_actor" in distinct and actor.principals & previous)
        ok &= not (t.get("comment") == "required" and not supplied["comment"])
        ok &= not (t.get("attachments") and not supplied["attachments"])
        ok &= not (t.get("inputs") and supplied["inputs"] != "valid")
        ok &= not (supplied["inputs"] != "none" and not t.get("inputs"))
        ok &= not (supplied["attachments"] and not t.get("attachments"))
        if ok:
            return t
    return None


@pytest.fixture
def prop_engine(definitions_dir, sessions):
    flags = {"g1": False, "g2": False}
    registry = registry_with(g1=lambda ctx: flags["g1"], g2=lambda ctx: flags["g2"])
    path = write_workflow(definitions_dir, "prop", FLOW)
    loaded = load_definitions(registry, definitions_dir, [path])  # just this workflow
    assert loaded.ok, loaded.problems
    with sessions.begin() as session:
        deploy(session, loaded.workflows.values(), utcnow())
    return Engine(registry, loaded), flags


def offered(state: str) -> list[str]:
    return sorted({t["trigger"] for t in RAW["transitions"] if state in sources(t)})


def asked(state: str, trigger: str) -> tuple[bool, bool, str] | None:
    """What the first transition of ``trigger`` from ``state`` asks the actor to supply."""
    for t in RAW["transitions"]:
        if t["trigger"] == trigger and state in sources(t):
            return t.get("comment") == "required", bool(t.get("attachments")), "valid" if t.get("inputs") else "none"
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_sequences_follow_the_definition(prop_engine, sessions, data):
    engine, flags = prop_engine
    with sessions.begin() as session:
        proposer = data.draw(st.sampled_from(ACTORS[:4]), label="proposer")
        instance = engine.start(session, "prop", proposer, subject_kind="individual")
        previous: set[str] = set()
        for _ in range(data.draw(st.integers(1, 40), label="length")):
            # mostly triggers the state offers (to go deep), sometimes any trigger at all
            trigger = data.draw(st.sampled_from(offered(instance.state) or TRIGGERS) | st.sampled_from(TRIGGERS))
            # the proposer and their delegate often try, to probe separation of duties
            actor = data.draw(st.sampled_from(ACTORS) | st.sampled_from([proposer, ACTORS[-1]]))
            g1, g2 = data.draw(st.booleans()), data.draw(st.booleans())
            # usually supply what is asked for (so runs go deep), sometimes anything
            proper = asked(instance.state, trigger) if data.draw(st.integers(0, 3)) else None
            comment, attach, inputs = proper or data.draw(SUPPLIED)
            flags.update(g1=g1, g2=g2)
            supplied = {"comment": comment, "attachments": attach, "inputs": inputs}
            expected = oracle(instance.state, trigger, actor, flags, supplied, proposer, previous)
            before = (instance.state, instance.version)
            kwargs = {"comment": "ý kiến" if comment else None,
                      "attachments": {"meeting_minutes": "sha256:00"} if attach else None,
                      "inputs": {"n": {"valid": "7", "invalid": "bảy"}[inputs]} if inputs != "none" else None}
            try:
                fired = engine.fire(session, instance, trigger, actor, **kwargs)
            except Blocked:
                assert expected is None, f"refused {trigger} by {actor.id} in {before[0]}; should go to {expected}"
                assert (instance.state, instance.version) == before
                continue
            assert expected is not None, f"{trigger} by {actor.id} in {before[0]} went to {fired.to_state}"
            event(f"took {before[0]} -{trigger}-> {fired.to_state}")
            assert (fired.from_state, fired.to_state) == (before[0], expected["to"])
            assert instance.state in RAW["states"] and instance.version == before[1] + 1
            previous = actor.principals
        events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id)).all()
        assert replay(events) == session.get(WorkflowInstance, instance.id).state
        assert len(events) == instance.version
    with sessions() as session:
        assert list(verify(session)) == []
