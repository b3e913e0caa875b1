"""Cluster review: covenant, scoring, acclaim vote, result with tie handling."""

from __future__ import annotations

import pytest

from world import NOW
from workflow.domain import clusters
from workflow.domain.errors import DomainError, NotAllowed
from workflow.domain.models import Cluster


@pytest.fixture
def cluster(desk, domain):
    with desk.sessions.begin() as s:
        clusters.sign_covenant(s, desk.user(s, "head_p2"), s.get(Cluster, desk.world["K"]), desk.world["2026"],
                               domain.covenant, on=NOW.date())
    return desk.world["K"]


def run(desk, fn, who, **kwargs):
    with desk.sessions.begin() as s:
        return fn(s, desk.user(s, who), s.get(Cluster, desk.world["K"]), desk.world["2026"], **kwargs)


def test_only_the_cluster_head_signs_the_covenant(desk, domain):
    with pytest.raises(NotAllowed):
        run(desk, clusters.sign_covenant, "head_p", template=domain.covenant, on=NOW.date())


def test_scores_are_checked(desk, domain, cluster):
    w, codes = desk.world, [c.code for c in domain.covenant.criteria]
    with pytest.raises(NotAllowed, match="does not score itself"):
        run(desk, clusters.record_scores, "head_p", scored_body_id=w["P"], scores={c: 5 for c in codes}, on=NOW.date())
    with pytest.raises(DomainError, match="Score every criterion"):
        run(desk, clusters.record_scores, "head_p", scored_body_id=w["P2"], scores={codes[0]: 5}, on=NOW.date())
    with pytest.raises(DomainError, match="between 0 and 10"):
        run(desk, clusters.record_scores, "head_p", scored_body_id=w["P2"], scores={c: 11 for c in codes}, on=NOW.date())
    with pytest.raises(NotAllowed, match="represents no member unit"):
        run(desk, clusters.record_scores, "sec_p", scored_body_id=w["P2"], scores={c: 5 for c in codes}, on=NOW.date())
    run(desk, clusters.record_scores, "head_p", scored_body_id=w["P2"], scores={c: 5 for c in codes}, on=NOW.date())


def test_votes_are_checked(desk, cluster):
    w = desk.world
    with pytest.raises(NotAllowed, match="does not vote for itself"):
        run(desk, clusters.cast_acclaim_vote, "head_p", candidates=[w["P"]], on=NOW.date())
    with pytest.raises(DomainError, match="Choose 1 to 1"):
        run(desk, clusters.cast_acclaim_vote, "head_p", candidates=[w["P2"], w["P3"]], on=NOW.date())
    with pytest.raises(NotAllowed, match="unit head votes"):
        run(desk, clusters.cast_acclaim_vote, "officer_p2", candidates=[w["P"]], on=NOW.date())


def test_a_tie_is_broken_by_the_score(desk, domain, cluster):
    w, codes = desk.world, [c.code for c in domain.covenant.criteria]
    run(desk, clusters.cast_acclaim_vote, "head_p", candidates=[w["P2"]], on=NOW.date())
    run(desk, clusters.cast_acclaim_vote, "head_p2", candidates=[w["P"]], on=NOW.date())
    run(desk, clusters.record_scores, "head_p3", scored_body_id=w["P"], scores={c: 9 for c in codes}, on=NOW.date())
    run(desk, clusters.record_scores, "head_p3", scored_body_id=w["P2"], scores={c: 8 for c in codes}, on=NOW.date())
    result = run(desk, clusters.record_result, "head_p2", now=NOW)
    assert result.acclaimed == [w["P"]] and result.result["tied"] == []


def test_a_tie_in_votes_and_score_is_decided_by_the_conference(desk, cluster):
    w = desk.world
    run(desk, clusters.cast_acclaim_vote, "head_p", candidates=[w["P2"]], on=NOW.date())
    run(desk, clusters.cast_acclaim_vote, "head_p2", candidates=[w["P"]], on=NOW.date())
    with pytest.raises(DomainError, match="Tied in votes and score"):
        run(desk, clusters.record_result, "head_p2", now=NOW)
    with pytest.raises(DomainError):
        run(desk, clusters.record_result, "head_p2", now=NOW, tie_decision=[w["P3"]])  # not among the tied
    result = run(desk, clusters.record_result, "head_p2", now=NOW, tie_decision=[w["P2"]])
    assert result.acclaimed == [w["P2"]] and result.result["tie_decision"] == [w["P2"]]
    assert sorted(result.result["tied"]) == sorted([w["P"], w["P2"]])


def test_only_the_cluster_head_records_the_result(desk, cluster):
    with pytest.raises(NotAllowed):
        run(desk, clusters.record_result, "head_p3", now=NOW)


def test_the_head_and_deputy_are_elected_per_period(desk):
    from workflow.domain.models import ClusterLeadership
    from workflow.domain.organisation import roles_for
    w = desk.world
    with pytest.raises(NotAllowed):
        run_on(desk, "2025", clusters.elect, "head_p", head_body_id=w["P"], deputy_body_id=w["P3"], on=NOW.date())
    with pytest.raises(DomainError, match="different units"):
        run_on(desk, "2025", clusters.elect, "sec_c", head_body_id=w["P"], deputy_body_id=w["P"], on=NOW.date())
    with pytest.raises(DomainError, match="member units"):
        run_on(desk, "2025", clusters.elect, "sec_c", head_body_id=w["D1"], deputy_body_id=None, on=NOW.date())
    run_on(desk, "2025", clusters.elect, "sec_c", head_body_id=w["P"], deputy_body_id=w["P3"], on=NOW.date())
    with desk.readers() as s:
        assert s.get(ClusterLeadership, (w["K"], w["2025"])).head_body_id == w["P"]
        assert "cluster_head" in roles_for(s, w["head_p"], on=NOW.date(), cluster_ids=[w["K"]], period_id=w["2025"])
        assert "cluster_head" not in roles_for(s, w["head_p"], on=NOW.date(), cluster_ids=[w["K"]], period_id=w["2026"])


def run_on(desk, year, fn, who, **kwargs):
    with desk.sessions.begin() as s:
        return fn(s, desk.user(s, who), s.get(Cluster, desk.world["K"]), desk.world[year], **kwargs)
