"""The demo seed: the seed story's organisation, and nominations in every state."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from workflow.audit import verify
from workflow.domain.models import Body, Decision, User
from workflow.models import WorkflowInstance


def test_demo_seed_covers_every_state_and_every_role(app, cli):
    assert cli("db", "init").exit_code == 0
    assert cli("workflow", "deploy").exit_code == 0
    result = cli("demo", "seed")
    assert result.exit_code == 0, result.output
    state = app.extensions["laurel"]
    nomination = state.definitions.workflows["nomination"]
    with state.sessions() as s:
        states = set(s.scalars(select(WorkflowInstance.state).where(WorkflowInstance.workflow_id == "nomination")))
        assert states == set(nomination.states), set(nomination.states) - states
        decision_states = set(s.scalars(select(WorkflowInstance.state).where(WorkflowInstance.workflow_id == "decision")))
        assert {"issued", "revoked", "awaiting_signature"} <= decision_states
        numbers = sorted(n for n in s.scalars(select(Decision.number)) if n)
        assert numbers == ["1/QĐ-BTCTU", "2/QĐ-BTCTU", "3/QĐ-BTCTU"]
        assert s.scalar(select(func.count()).select_from(Body).where(Body.code.in_(
            ["btc-tb", "btc-ls", "btc-nb", "btc-ht"]))) == 4
        user = s.scalar(select(User).where(User.username == "canbo.tccs"))
        assert check_password_hash(user.password_hash, "thidua2026")
        assert list(verify(s)) == []
    for role in ("unit_officer", "unit_head", "cluster_head", "cluster_deputy", "cluster_member", "secretariat",
                 "council_member", "chair", "clerk", "admin"):
        assert role in result.output
    again = cli("demo", "seed")
    assert again.exit_code == 0 and "already" in again.output
